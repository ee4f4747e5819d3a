"""Who performs a change: the one `Actor` every service, the audit history and the activity timeline take."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from nuvera.organizations.models import Organization, OrganizationKind, User
from nuvera.tenancy import OrganizationScope, belongs


class ActorRole(enum.StrEnum):
    """Who wrote an activity-timeline entry, as `createdByRole` shows it (stored in `activity_events`)."""

    PARTNER_APPLICATION = "PARTNER_APPLICATION"  # a partner's API application (signed request)
    PARTNER_USER = "PARTNER_USER"  # a user of the partner organization (web app)
    NUVERA_ADMIN = "NUVERA_ADMIN"  # a Nuvera admin (admin hub)
    NUVERA_OPERATOR = "NUVERA_OPERATOR"  # an operator at the `nuvera` CLI
    SYSTEM = "SYSTEM"  # the platform itself (e.g. screening)


class ApplicationPrincipal(Protocol):
    """What `Actor.application` reads of an authenticated API application (`nuvera.auth.principal.Principal`,
    which sits in a higher layer)."""

    @property
    def organization_id(self) -> str: ...

    @property
    def application_id(self) -> str: ...


# `audit_events.actor_type`, stored: a user of an organization (or a partner's API application), a Nuvera admin,
# or an operator at the CLI.
ActorType = Literal["user", "admin", "operator"]
_TYPE_OF_ROLE: dict[ActorRole, ActorType] = {ActorRole.NUVERA_ADMIN: "admin", ActorRole.NUVERA_OPERATOR: "operator"}


@dataclass(frozen=True)
class Actor:
    """Who performs a change: a user of the organization, a partner's API application, a Nuvera admin, or an
    operator at the CLI.

    The audit history records `type`, `label`, `id` and `reason`; the activity timeline records `role` and the
    names (copied onto each entry, so the timeline keeps saying who acted even if the user is renamed or removed).
    Nuvera admins and operators act on other organizations' data, so their changes carry a reason.
    `organization_kind` and `member_role` let the access policy tell a partner user from a customer-platform
    user, and a manager from a member, without another lookup; they are always taken from the database row, never
    from anything the caller sent.

    `type` and `role` say the same thing twice (one for each record) and must agree.
    """

    type: ActorType = "user"
    label: str = ""
    id: str | None = None
    organization_id: str | None = None
    member_role: str | None = None
    reason: str | None = None
    organization_kind: OrganizationKind | None = None
    role: ActorRole = ActorRole.PARTNER_USER  # `createdByRole` on the timeline
    first_name: str | None = None
    last_name: str | None = None

    def __post_init__(self) -> None:
        if _TYPE_OF_ROLE.get(self.role, "user") != self.type:
            raise ValueError(f"an actor of type {self.type} cannot have the timeline role {self.role}")

    @classmethod
    def operator(cls, reason: str | None = None) -> Actor:
        return cls(
            type="operator",
            label="operator (nuvera CLI)",
            reason=reason,
            role=ActorRole.NUVERA_OPERATOR,
            first_name="Nuvera",
            last_name="Operator",
        )

    @classmethod
    def application(cls, principal: ApplicationPrincipal) -> Actor:
        """A partner's API application (a signed request); its id is also in the audit row's `application_id`."""
        return cls(
            type="user",
            label=f"API application {principal.application_id}",
            id=principal.application_id,
            organization_id=principal.organization_id,
            role=ActorRole.PARTNER_APPLICATION,
        )

    @classmethod
    def for_user(cls, user: User, organization: Organization, reason: str | None = None) -> Actor:
        """A signed-in person. Members of the Nuvera admin organization act as admins, everyone else as users."""
        if not belongs(user.organization_id, OrganizationScope(organization.id)):
            raise ValueError("the user does not belong to this organization")
        admin = organization.kind is OrganizationKind.ADMIN
        return cls(
            type="admin" if admin else "user",
            label=user.email,
            id=user.id,
            organization_id=organization.id,
            member_role=user.role.value,
            reason=reason,
            organization_kind=organization.kind,
            role=ActorRole.NUVERA_ADMIN if admin else ActorRole.PARTNER_USER,
            first_name=user.first_name or None,
            last_name=user.last_name or None,
        )

    @classmethod
    def user(cls, user: User, role: ActorRole) -> Actor:
        """A person acting in a timeline `role` (e.g. a Nuvera admin deciding a review, found by email)."""
        return cls(
            type=_TYPE_OF_ROLE.get(role, "user"),
            label=user.email,
            id=user.id,
            organization_id=user.organization_id,
            member_role=user.role.value,
            role=role,
            first_name=user.first_name or None,
            last_name=user.last_name or None,
        )

    def because(self, reason: str | None) -> Actor:
        return replace(self, reason=reason)
