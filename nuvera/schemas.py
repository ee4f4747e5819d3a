"""Conventions every REST schema shares: camelCase JSON, ISO 8601 UTC timestamps, decimals as strings, stored text."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from pydantic import BaseModel, ConfigDict, WithJsonSchema
from pydantic.alias_generators import to_camel
from starlette.responses import Response

from nuvera.errors import ERROR_CODES, ErrorCode
from nuvera.reference.error_guide import AUTH_CODES_401, AUTH_CODES_403

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


def checked_string(pattern: str, description: str, *examples: str) -> WithJsonSchema:
    """The published schema of a string that a validator checks further than its pattern can say (check digits,
    registries); `description` says what it checks."""
    schema: dict[str, Any] = {"type": "string", "pattern": pattern, "description": description}
    if examples:
        schema["examples"] = list(examples)
    return WithJsonSchema(schema)


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


Item = TypeVar("Item")


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class PageOut(CamelModel):
    """Base of every cursor-paginated list response; each subclass declares `items`, `next_cursor`, `has_more`
    (`ListOut` declares them for a list of one item schema)."""

    @classmethod
    def of(cls, page: Page[Any], item: Callable[[Any], Any]) -> Self:
        """The response for one page of rows, each turned into its schema by `item`."""
        return cls(items=[item(row) for row in page.items], next_cursor=page.next_cursor, has_more=page.has_more)


class ListOut(PageOut, Generic[Item]):
    """A page of one item schema: `class CustomerList(ListOut[CustomerOut])`."""

    items: list[Item]
    next_cursor: str | None
    has_more: bool


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


# FastAPI's `responses=` of a route: status (or "default") → what that response is. The one alias for it.
Responses = dict[int | str, dict[str, Any]]


# The OpenAPI extension listing the codes a documented error status stands for (one example each in the reference).
ERROR_CODES_EXTENSION = "x-error-codes"

# What a status means when a route declares it without naming codes.
DEFAULT_CODES: dict[int, tuple[ErrorCode, ...]] = {
    400: (ErrorCode.BAD_REQUEST,),
    401: tuple(ErrorCode(c) for c in AUTH_CODES_401),
    403: tuple(ErrorCode(c) for c in AUTH_CODES_403),
    404: (ErrorCode.NOT_FOUND,),
    408: (ErrorCode.REQUEST_TIMEOUT,),
    409: (ErrorCode.INVALID_STATE,),
    413: (ErrorCode.PAYLOAD_TOO_LARGE,),
    414: (ErrorCode.URI_TOO_LONG,),
    415: (ErrorCode.UNSUPPORTED_MEDIA_TYPE,),
    422: (ErrorCode.VALIDATION_ERROR,),
    429: (ErrorCode.RATE_LIMITED,),
    503: (ErrorCode.DEPENDENCY_UNAVAILABLE,),
}


def problem_responses(*declared: int | ErrorCode, **descriptions: str) -> Responses:
    """`responses=` for a route: each argument is a status (`404`) or a stable code (`"quote_expired"`).

    Codes are grouped under their status from `ERROR_CODES`; each status gets the `Problem` schema, a description
    and the `x-error-codes` list the reference turns into one example per code. A keyword argument `s409="…"`
    overrides the description of that status.
    """
    codes_by_status: dict[int, list[ErrorCode]] = {}
    for item in declared:
        if isinstance(item, int):
            codes_by_status.setdefault(item, [])
            continue
        if item not in ERROR_CODES:  # a plain string that is no code
            raise ValueError(f"unknown error code {item!r}")
        codes_by_status.setdefault(ERROR_CODES[item].status, []).append(item)
    responses: Responses = {}
    for status, codes in sorted(codes_by_status.items()):
        codes = codes or list(DEFAULT_CODES.get(status, ()))
        description = descriptions.get(f"s{status}") or "; ".join(f"`{c}`: {ERROR_CODES[c].title}" for c in codes)
        responses[status] = {"model": Problem, "description": description, ERROR_CODES_EXTENSION: codes}
    return responses


# Every list with cursor pagination answers a forged or foreign cursor the same way.
INVALID_CURSOR: Responses = problem_responses(
    ErrorCode.INVALID_CURSOR, s400="The cursor is forged or from another list (`invalid_cursor`)."
)
