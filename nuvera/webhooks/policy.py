"""Who may see and change webhook endpoints in the web app (the REST API uses WEBHOOKS_READ / WEBHOOKS_WRITE).

Default deny, as for API applications (nuvera/applications/policy.py): users of a partner organization see their
own organization's endpoints; only its owners and admins change them (an endpoint decides where the
organization's data is sent). Customer-platform users and Nuvera staff have no webhook pages.
"""

from __future__ import annotations

from nuvera.audit.actor import Actor
from nuvera.errors import ErrorCode, NuveraError
from nuvera.organizations.models import OrganizationKind, UserRole

_MANAGERS = frozenset({UserRole.OWNER.value, UserRole.ADMIN.value})


def may_view(actor: Actor) -> bool:
    return actor.type == "user" and actor.organization_kind is OrganizationKind.PARTNER


def may_manage(actor: Actor) -> bool:
    return may_view(actor) and actor.member_role in _MANAGERS


def require_view(actor: Actor) -> None:
    if not may_view(actor):
        raise NuveraError(ErrorCode.FORBIDDEN, "Webhooks are managed by partner organizations in their own settings.")


def require_manage(actor: Actor) -> None:
    require_view(actor)
    if not may_manage(actor):
        raise NuveraError(
            ErrorCode.FORBIDDEN,
            "Only an owner or admin of your organization can change webhooks; members can view them.",
        )
