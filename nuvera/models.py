"""Imports every area's models so that Base.metadata knows the whole schema (Alembic, tests)."""

from nuvera.applications.models import ApiApplication, ApiKey, SigningKey
from nuvera.audit.models import AuditEvent
from nuvera.auth.replay import SeenToken
from nuvera.crypto.models import CryptoAsset, CryptoNetwork
from nuvera.db import Base
from nuvera.organizations.models import Organization, User

__all__ = [
    "ApiApplication",
    "ApiKey",
    "AuditEvent",
    "Base",
    "CryptoAsset",
    "CryptoNetwork",
    "Organization",
    "SeenToken",
    "SigningKey",
    "User",
]
