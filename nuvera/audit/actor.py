from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from nuvera.organizations.models import Organization, OrganizationKind, User

ActorType = Literal["user", "admin", "operator"]


@dataclass(frozen=True)
class Actor:
    """Who performs a change: a user of the organization, a Nuvera admin, or an operator at the CLI.

    Nuvera admins and operators act on other organizations' applications, so their changes carry a reason.
    `organization_kind` lets the access policy tell a partner user from a customer-platform user without
    another lookup; it is always taken from the database row, never from anything the caller sent.
    """

    type: ActorType
    label: str
    id: str | None = None
    organization_id: str | None = None
    role: str | None = None
    reason: str | None = None
    organization_kind: OrganizationKind | None = None

    @classmethod
    def operator(cls, reason: str | None = None) -> Actor:
        return cls(type="operator", label="operator (nuvera CLI)", reason=reason)

    @classmethod
    def for_user(cls, user: User, organization: Organization, reason: str | None = None) -> Actor:
        """A signed-in person. Members of the Nuvera admin organization act as admins, everyone else as users."""
        if user.organization_id != organization.id:
            raise ValueError("the user does not belong to this organization")
        return cls(
            type="admin" if organization.kind is OrganizationKind.ADMIN else "user",
            label=user.email,
            id=user.id,
            organization_id=organization.id,
            role=user.role.value,
            reason=reason,
            organization_kind=organization.kind,
        )

    def because(self, reason: str | None) -> Actor:
        return replace(self, reason=reason)
