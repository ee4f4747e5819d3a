"""Conventions every REST schema shares: camelCase JSON, ISO 8601 UTC timestamps."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class ProblemField(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error response carries them."""

    model_config = ConfigDict(json_schema_extra={"description": "RFC 9457 problem details (application/problem+json)"})

    type: str
    title: str
    status: int
    detail: str
    code: str
    requestId: str
    errors: list[ProblemField] | None = None


def problem_doc(description: str) -> dict[str, Any]:
    """One documented error response for FastAPI's `responses=`: the Problem schema and what the code means."""
    return {"model": Problem, "description": description}
