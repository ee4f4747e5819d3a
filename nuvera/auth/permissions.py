"""The closed permission vocabulary. Every /api/v1 route declares exactly one of these."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from nuvera.errors import FieldError, validation_error


class Permission(enum.StrEnum):
    CUSTOMERS_READ = "CUSTOMERS_READ"
    CUSTOMERS_WRITE = "CUSTOMERS_WRITE"
    BENEFICIARIES_READ = "BENEFICIARIES_READ"
    BENEFICIARIES_WRITE = "BENEFICIARIES_WRITE"
    DOCUMENTS_READ = "DOCUMENTS_READ"
    DOCUMENTS_WRITE = "DOCUMENTS_WRITE"
    CRYPTO_READ = "CRYPTO_READ"
    PAYMENTS_READ = "PAYMENTS_READ"
    PAYMENTS_WRITE = "PAYMENTS_WRITE"
    SCREENING_READ = "SCREENING_READ"
    SUPPORT_READ = "SUPPORT_READ"
    SUPPORT_WRITE = "SUPPORT_WRITE"
    EVENTS_READ = "EVENTS_READ"
    WEBHOOKS_READ = "WEBHOOKS_READ"
    WEBHOOKS_WRITE = "WEBHOOKS_WRITE"

    @property
    def area(self) -> str:
        return self.value.rsplit("_", 1)[0]

    @property
    def required_read(self) -> Permission | None:
        """A write permission is only usable together with the read permission of its area."""
        if self.value.endswith("_WRITE"):
            return Permission(self.area + "_READ")
        return None


def parse_permissions(names: Iterable[str], *, field: str = "permissions") -> list[Permission]:
    """Validate a requested permission set: known names only, and every write with its read."""
    wanted: list[Permission] = []
    errors: list[FieldError] = []
    known = {p.value for p in Permission}
    for name in names:
        if name not in known:
            errors.append(FieldError(field, f"unknown permission {name!r}; known: {', '.join(sorted(known))}"))
        elif Permission(name) not in wanted:
            wanted.append(Permission(name))
    for permission in wanted:
        read = permission.required_read
        if read is not None and read not in wanted:
            errors.append(FieldError(field, f"{permission} requires {read}; add {read} too"))
    if errors:
        raise validation_error(errors)
    return sorted(wanted, key=list(Permission).index)
