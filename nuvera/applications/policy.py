"""Who may do what with API applications: the one access policy, used by the management API and the CLI alike.

partner-api.md §1 and issue 3:
- partner `owner`/`admin`: every operation on their own organization's applications; `member`: read only;
- users of another partner organization: the application (and its organization) does not exist for them (404);
- `customer_platform` users: refused on every application operation (403);
- Nuvera `admin` organization users: every operation on every partner's applications, each change with a reason;
  the rate limit of an application is theirs alone to change (issue 14): partners see it, read only;
- CLI operators: every operation (they hold the server's database credentials anyway); reason recorded if given.

Default deny: an actor this table does not describe is refused.
"""

from __future__ import annotations

import enum

from nuvera.audit.actor import Actor
from nuvera.errors import ErrorCode, FieldError, NotFound, NuveraError, validation_error
from nuvera.organizations.models import OrganizationKind, UserRole
from nuvera.tenancy import OrganizationScope, belongs

MAX_REASON_LENGTH = 500


class Operation(enum.StrEnum):
    VIEW = "view"  # application detail, application list, audit history
    CREATE = "create"
    ROTATE_KEY = "rotate_key"
    EXPIRE_KEY = "expire_key"
    REVOKE_KEY = "revoke_key"
    REPLACE_SIGNING_KEY = "replace_signing_key"
    DISABLE = "disable"
    ENABLE = "enable"
    SET_PERMISSIONS = "set_permissions"
    RENAME = "rename"
    SET_RATE_LIMIT = "set_rate_limit"

    @property
    def mutates(self) -> bool:
        return self is not Operation.VIEW


_MANAGERS = frozenset({UserRole.OWNER.value, UserRole.ADMIN.value})
# What a partner may see but not change, however senior: the limit protects the platform, not the partner.
_STAFF_ONLY = frozenset({Operation.SET_RATE_LIMIT})


def clean_reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    reason = reason.strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise validation_error([FieldError("reason", f"must be at most {MAX_REASON_LENGTH} characters")])
    return reason or None


def authorize(actor: Actor, operation: Operation, owner_organization_id: str | None, *, what: str) -> Actor:
    """Allow `operation` on an object owned by `owner_organization_id` (None: the object does not exist).

    Returns the actor with its reason normalised, for the audit record. The order of checks is deliberate:
    a refusal that does not depend on the object (customer platform) comes first, then existence, so nobody
    outside the owning organization can tell another organization's object from a missing one; only then the
    role and the reason.
    """
    actor = actor.because(clean_reason(actor.reason))
    if actor.type == "operator":
        if owner_organization_id is None:
            raise NotFound(what)
        return actor
    if actor.type == "user" and actor.organization_kind is OrganizationKind.CUSTOMER_PLATFORM:
        raise NuveraError(
            ErrorCode.FORBIDDEN,
            "Customer platform accounts cannot view or manage API applications; only partner organizations hold them.",
        )
    if actor.type == "admin" and actor.organization_kind is OrganizationKind.ADMIN:
        if owner_organization_id is None:
            raise NotFound(what)
        if operation.mutates and not actor.reason:
            # Staff act on partners' credentials only for support, emergency disablement, permission fixes and
            # partner-assisted rotation (§1); the reason is what makes such an action reviewable afterwards.
            raise validation_error(
                [
                    FieldError(
                        "reason",
                        "Nuvera staff must give a reason for every change (e.g. support, emergency disablement, "
                        "permission fix, partner-assisted rotation)",
                    )
                ]
            )
        return actor
    if actor.type == "user" and actor.organization_kind is OrganizationKind.PARTNER:
        if owner_organization_id is None or not belongs(
            actor.organization_id, OrganizationScope(owner_organization_id)
        ):
            raise NotFound(what)
        if operation in _STAFF_ONLY:
            raise NuveraError(
                ErrorCode.FORBIDDEN,
                "Only Nuvera can change an application's rate limit; ask Nuvera support if your traffic needs more.",
            )
        if operation.mutates and actor.member_role not in _MANAGERS:
            raise NuveraError(
                ErrorCode.FORBIDDEN,
                "Only an owner or admin of your organization can change API applications; members can view them.",
            )
        return actor
    raise NuveraError(ErrorCode.FORBIDDEN, "You may not view or manage API applications.")
