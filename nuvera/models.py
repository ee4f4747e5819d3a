"""Imports every area's models so that Base.metadata knows the whole schema (Alembic, tests)."""

from nuvera.accounts.models import LoginFailure, OneTimeLink, OrganizationSecurity, RecoveryCode, TwoFactor, WebSession
from nuvera.activity.models import ActivityEvent
from nuvera.applications.models import ApiApplication, ApiKey, SigningKey
from nuvera.audit.models import AuditEvent
from nuvera.auth.replay import SeenToken
from nuvera.beneficiaries.models import Beneficiary
from nuvera.crypto.models import CryptoAsset, CryptoNetwork
from nuvera.customers.models import Customer, CustomerPerson
from nuvera.db import Base
from nuvera.documents.models import Document
from nuvera.events.models import Event
from nuvera.jobs.models import Job, WorkerHeartbeat
from nuvera.organizations.models import Organization, User
from nuvera.payments.models import IdempotencyKey, Payment, PaymentQuote, PaymentStatusEvent
from nuvera.ratelimit.models import RateLimitCounter
from nuvera.request_log.models import RequestLogEntry
from nuvera.screening.models import ScreeningMatch, ScreeningRun, ScreeningSubject
from nuvera.support.models import SupportMessage, SupportTicket
from nuvera.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ActivityEvent",
    "ApiApplication",
    "ApiKey",
    "AuditEvent",
    "Base",
    "Beneficiary",
    "CryptoAsset",
    "CryptoNetwork",
    "Customer",
    "CustomerPerson",
    "Document",
    "Event",
    "IdempotencyKey",
    "Job",
    "LoginFailure",
    "OneTimeLink",
    "Organization",
    "OrganizationSecurity",
    "Payment",
    "PaymentQuote",
    "PaymentStatusEvent",
    "RateLimitCounter",
    "RecoveryCode",
    "RequestLogEntry",
    "ScreeningMatch",
    "ScreeningRun",
    "ScreeningSubject",
    "SeenToken",
    "SigningKey",
    "SupportMessage",
    "SupportTicket",
    "TwoFactor",
    "User",
    "WebSession",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkerHeartbeat",
]
