from __future__ import annotations

from dataclasses import dataclass

from nuvera.auth.permissions import Permission


@dataclass(frozen=True)
class Principal:
    """Who is calling /api/v1: a verified API application acting for its partner organization."""

    organization_id: str
    application_id: str
    api_key_id: str
    permissions: frozenset[Permission]
