"""Conventions every REST schema shares: camelCase JSON, ISO 8601 UTC timestamps, decimals as strings, stored text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from pydantic import BaseModel, ConfigDict, WithJsonSchema
from pydantic.alias_generators import to_camel

if TYPE_CHECKING:
    from nuvera.pagination import Page

# Stored text, as the document states it: something besides white space (it is trimmed before it is checked and
# stored; the class is what pydantic trims, Unicode White_Space) and no NUL anywhere (PostgreSQL cannot store one).
# Published only: the server's own checks are the trimming and the lengths, and the database's for the NUL.
_WHITE_SPACE = r"\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
TEXT_PATTERN = rf"^[^\x00]*[^\x00{_WHITE_SPACE}][^\x00]*$"


def stored_text(max_length: int) -> WithJsonSchema:
    """The published schema of trimmed text of 1 to `max_length` characters (see TEXT_PATTERN)."""
    return WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": max_length,
            "pattern": TEXT_PATTERN,
            "description": f"1–{max_length:,} characters; spaces around it are trimmed, it must contain more than "
            "white space, and no NUL character",
        }
    )


def not_null(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of an optional field the server refuses null for (it cannot be cleared): published
    without its `null` option, keeping the field's own title and description."""
    options = schema.pop("anyOf")
    value = next(option for option in options if option.get("type") != "null")
    schema.update({**value, **schema})


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
