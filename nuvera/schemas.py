"""Conventions every REST schema shares: camelCase JSON, ISO 8601 UTC timestamps, decimals as strings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from starlette.responses import Response

if TYPE_CHECKING:
    from nuvera.pagination import Page


def refuse_json_numbers(value: Any) -> Any:
    """For decimal fields (money, percentages): a JSON number has already been turned into a binary float by the
    JSON parser (0.1 is not 0.1 any more), so only strings are accepted, and a number is refused saying so."""
    if not isinstance(value, str):
        raise ValueError('must be a decimal string such as "10.50", not a JSON number')
    return value


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class PageOut(CamelModel):
    """Base of every cursor-paginated list response; each subclass declares `items`, `next_cursor`, `has_more`."""

    @classmethod
    def of(cls, page: Page[Any], item: Callable[[Any], Any]) -> Self:
        """The response for one page of rows, each turned into its schema by `item`."""
        return cls(items=[item(row) for row in page.items], next_cursor=page.next_cursor, has_more=page.has_more)


def respond(model: BaseModel, status_code: int = 200) -> Response:
    """The JSON response for a model the endpoint already built and validated, serialized once.

    Returned as a model, FastAPI would dump it to Python data, validate that against the `response_model` again
    and only then serialize it: on a list page that second pass cost as much as building the page. The route
    keeps its `response_model`, which still documents the response in the API reference.
    """
    return Response(model.model_dump_json(by_alias=True), status_code=status_code, media_type="application/json")


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
