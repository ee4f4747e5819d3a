from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

ActorType = Literal["user", "admin", "operator"]


@dataclass(frozen=True)
class Actor:
    """Who performs a change: a user of the organization, a Nuvera admin, or an operator at the CLI.

    Nuvera admins and operators act on other organizations' applications, so their changes carry a reason.
    """

    type: ActorType
    label: str
    id: str | None = None
    organization_id: str | None = None
    role: str | None = None
    reason: str | None = None

    @classmethod
    def operator(cls, reason: str | None = None) -> Actor:
        return cls(type="operator", label="operator (nuvera CLI)", reason=reason)

    def because(self, reason: str | None) -> Actor:
        return replace(self, reason=reason)
