"""Rules the applications service keeps whichever door a change comes through (management API, web app, CLI):
a key belongs to the application named with it, a pasted private key is refused on its own, unchanged values
write no history, and the rate limit stays within its bounds. Also the access policy's two refusals that the
role matrix (test_access_matrix.py) cannot reach with real sign-ins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from nuvera.applications import service
from nuvera.applications.models import ApiApplication, ApiKey, ApiKeyStatus
from nuvera.applications.policy import Operation, authorize
from nuvera.applications.public_keys import PrivateKeyRefused
from nuvera.applications.views import MAX_RATE_LIMIT
from nuvera.audit.actor import Actor, ActorRole
from nuvera.audit.models import AuditEvent
from nuvera.auth.permissions import Permission
from nuvera.db import Database
from nuvera.errors import ErrorCode, NotFound, NuveraError
from nuvera.organizations.models import OrganizationKind
from tests.harness import Factory, new_rsa_key, private_pem

OPERATOR = Actor.operator("test")


def audit_count(database: Database, application_id: str) -> int:
    with database.session() as session:
        query = select(func.count()).select_from(AuditEvent).where(AuditEvent.application_id == application_id)
        return int(session.scalar(query) or 0)


def test_a_key_is_found_only_under_the_application_named_with_it(database: Database, factory: Factory) -> None:
    """The management API names the application in the URL: a key of a sibling application of the same
    organization is not found there (and stays untouched), so a URL can never act on a key it does not show."""
    partner = factory.partner([Permission.CRYPTO_READ])
    sibling = factory.partner([Permission.CRYPTO_READ], organization_id=partner.organization_id)
    now = datetime.now(UTC)
    with database.session() as session, pytest.raises(NotFound):
        service.revoke_api_key(
            session, actor=OPERATOR, key_id=partner.api_key_id, now=now, application_id=sibling.application_id
        )
    with database.session() as session, pytest.raises(NotFound):
        service.expire_api_key(
            session, actor=OPERATOR, key_id=partner.api_key_id, at=None, now=now, application_id=sibling.application_id
        )
    with database.session() as session:
        key = session.get(ApiKey, partner.api_key_id)
        assert key is not None
        assert key.status is ApiKeyStatus.ACTIVE
    # Under its own application the same call goes through.
    with database.session() as session:
        revoked = service.revoke_api_key(
            session, actor=OPERATOR, key_id=partner.api_key_id, now=now, application_id=partner.application_id
        )
        assert revoked.status is ApiKeyStatus.REVOKED


def test_a_pasted_private_key_is_refused_on_its_own_beside_other_mistakes(database: Database, factory: Factory) -> None:
    """The private-key warning is not folded into a list of field errors: it is the one thing the partner must
    read, and nothing of the form is stored."""
    organization_id = factory.organization()
    with database.session() as session, pytest.raises(PrivateKeyRefused) as refused:
        service.create_application(
            session,
            actor=OPERATOR,
            organization_id=organization_id,
            name="",  # also wrong
            public_key_pem=private_pem(new_rsa_key()),
            permissions=["no-such-permission"],  # also wrong
            hmac_secret=b"secret",
            now=datetime.now(UTC),
        )
    assert [error.field for error in refused.value.errors] == ["publicKey"]
    with database.session() as session:
        query = (
            select(func.count()).select_from(ApiApplication).where(ApiApplication.organization_id == organization_id)
        )
        assert session.scalar(query) == 0


def test_unchanged_permissions_or_rate_limit_write_no_history(database: Database, factory: Factory) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    before = audit_count(database, partner.application_id)
    now = datetime.now(UTC)
    with database.session() as session:
        service.set_permissions(
            session,
            actor=OPERATOR,
            application_id=partner.application_id,
            permissions=[Permission.CRYPTO_READ.value],
            now=now,
        )
        service.set_rate_limit(session, actor=OPERATOR, application_id=partner.application_id, requests=None, now=now)
    assert audit_count(database, partner.application_id) == before
    # A real change is recorded, so the count above could have moved.
    with database.session() as session:
        service.set_rate_limit(session, actor=OPERATOR, application_id=partner.application_id, requests=5, now=now)
    assert audit_count(database, partner.application_id) == before + 1


@pytest.mark.parametrize("requests", [0, -1, MAX_RATE_LIMIT + 1])
def test_the_service_refuses_a_rate_limit_out_of_bounds(database: Database, factory: Factory, requests: int) -> None:
    """The management API's schema bounds the value too; the service holds the rule for every other caller."""
    partner = factory.partner([Permission.CRYPTO_READ])
    with database.session() as session, pytest.raises(NuveraError) as refused:
        service.set_rate_limit(
            session, actor=OPERATOR, application_id=partner.application_id, requests=requests, now=datetime.now(UTC)
        )
    assert refused.value.code == ErrorCode.VALIDATION_ERROR
    assert [error.field for error in refused.value.errors] == ["requests"]
    with database.session() as session:
        application = session.get(ApiApplication, partner.application_id)
        assert application is not None
        assert application.rate_limit_requests is None


def test_staff_asking_for_a_missing_application_get_404() -> None:
    staff = Actor(type="admin", organization_kind=OrganizationKind.ADMIN, role=ActorRole.NUVERA_ADMIN, reason="x")
    with pytest.raises(NotFound, match="API application app_missing not found"):
        authorize(staff, Operation.VIEW, None, what="API application app_missing")


@pytest.mark.parametrize(
    "actor",
    [
        # An admin-typed actor outside the Nuvera admin organization is no staff member.
        Actor(type="admin", organization_kind=OrganizationKind.PARTNER, role=ActorRole.NUVERA_ADMIN, reason="x"),
        # A user whose organization kind is unknown (not read from the database) is nobody the table knows.
        Actor(type="user", organization_id="org_1", organization_kind=None, member_role="owner"),
    ],
    ids=["admin-outside-nuvera", "user-of-unknown-kind"],
)
def test_an_actor_the_policy_does_not_know_is_refused(actor: Actor) -> None:
    with pytest.raises(NuveraError) as refused:
        authorize(actor, Operation.VIEW, "org_1", what="API application app_1")
    assert refused.value.code == ErrorCode.FORBIDDEN
    assert "may not view or manage" in refused.value.detail
