from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from nuvera.schemas import CamelModel


class SignInIn(CamelModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)
    one_time_code: str | None = Field(
        default=None,
        max_length=40,
        description="For accounts with two-factor authentication: the current TOTP code or an unused recovery code.",
    )


class MeUserOut(CamelModel):
    id: str
    email: str
    first_name: str
    last_name: str
    role: Literal["owner", "admin", "member"]


class MeOrganizationOut(CamelModel):
    id: str
    name: str
    kind: Literal["partner", "customer_platform", "admin"]


class MeOut(CamelModel):
    user: MeUserOut
    organization: MeOrganizationOut
    csrf_token: str = Field(description="Send it in the x-csrf-token header of every state-changing request.")
    session_expires_at: datetime
