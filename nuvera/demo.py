"""Demo data for `nuvera serve --demo`: a newcomer can sign in at once. Refused in production."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.clock import utcnow
from nuvera.organizations import service as organizations
from nuvera.organizations.models import OrganizationKind, User, UserRole

# Public on purpose: it is printed at start-up and written in the README. Only for the embedded default.
DEMO_PASSWORD = "nuvera-demo-password"  # noqa: S105


def ensure_demo_data(session: Session) -> bool:
    if session.scalar(select(User.id).where(User.email == "demo@nuvera.example")) is not None:
        return False
    now = utcnow()
    partner = organizations.create_organization(
        session, name="Demo Partner Ltd", kind=OrganizationKind.PARTNER, now=now
    )
    organizations.create_user(
        session,
        organization_id=partner.id,
        email="demo@nuvera.example",
        password=DEMO_PASSWORD,
        role=UserRole.OWNER,
        first_name="Dana",
        last_name="Demo",
        now=now,
    )
    nuvera = organizations.create_organization(session, name="Nuvera", kind=OrganizationKind.ADMIN, now=now)
    organizations.create_user(
        session,
        organization_id=nuvera.id,
        email="admin@nuvera.example",
        password=DEMO_PASSWORD,
        role=UserRole.ADMIN,
        first_name="Ada",
        last_name="Admin",
        now=now,
    )
    return True
