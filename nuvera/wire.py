"""List pages rendered straight from database rows: the lean read path of hot lists.

A page's rows arrive from the database already typed, and were validated on their way in. Building a pydantic
model per row only to serialize it again cost about as much as the rest of the list endpoint (20 customers with
their persons: ~300 µs of ~1.5 ms, measured in-process). A `Rendering` is derived once, at import, from the
response schema: which row column feeds each field, the field's name on the wire, and the few values that JSON
cannot carry as they are. orjson then writes the page in one call.

The schema stays the contract: it documents the response in the API reference, and tests/test_wire.py holds the
rendered JSON byte for byte equal to what the schema itself produces for the same rows. A schema with a field
type this module does not know is refused at import, never rendered differently.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Union, cast, get_args, get_origin

import orjson
from pydantic import AliasChoices, BaseModel, PlainSerializer
from pydantic.fields import FieldInfo
from starlette.responses import Response

from nuvera.pagination import Page

Convert = Callable[[Any], Any]
# What orjson writes as pydantic does: str, int, float, bool, None, lists of those, dates, enums by value, and
# datetimes (UTC as "Z", the microseconds only when not zero).
_NATIVE: tuple[type, ...] = (str, int, float, bool, date, datetime, Enum)


@dataclass(frozen=True, slots=True)
class Rendering:
    """How one response schema's fields are read from a row (a dict of column → value) and named on the wire."""

    fields: tuple[tuple[str, str], ...]  # (row key, wire key), in the schema's order
    converters: tuple[tuple[str, Convert], ...]  # wire key → how a value that is not None becomes JSON
    nested: tuple[tuple[str, Rendering], ...]  # wire key → the rendering of each item of a list of schemas

    @classmethod
    def of(cls, schema: type[BaseModel]) -> Rendering:
        decorators = schema.__pydantic_decorators__
        if decorators.field_serializers or decorators.model_serializers or schema.model_computed_fields:
            raise TypeError(f"{schema.__name__} serializes with code of its own: nuvera/wire.py cannot render it")
        fields: list[tuple[str, str]] = []
        converters: list[tuple[str, Convert]] = []
        nested: list[tuple[str, Rendering]] = []
        for name, field in schema.model_fields.items():
            wire = field.serialization_alias or field.alias or name
            fields.append((_row_key(name, field), wire))
            annotation, metadata = _unwrapped(field.annotation, field.metadata)
            serializer = next((item for item in metadata if isinstance(item, PlainSerializer)), None)
            if serializer is not None and serializer.when_used in ("always", "json"):
                if len(inspect.signature(serializer.func).parameters) != 1:
                    raise TypeError(f"{schema.__name__}.{name}: nuvera/wire.py cannot render a serializer with `info`")
                converters.append((wire, cast(Convert, serializer.func)))
            elif get_origin(annotation) is list and _is_schema(item := _unwrapped(get_args(annotation)[0], [])[0]):
                nested.append((wire, cls.of(item)))
            elif annotation is Decimal:
                converters.append((wire, str))  # pydantic sends a Decimal as its exact text
            elif not _native(annotation):
                raise TypeError(f"{schema.__name__}.{name}: nuvera/wire.py cannot render {annotation!r}")
        return cls(tuple(fields), tuple(converters), tuple(nested))

    def row(self, values: dict[str, Any]) -> dict[str, Any]:
        item = {wire: values[key] for key, wire in self.fields}
        for wire, convert in self.converters:
            value = item[wire]
            if value is not None:
                item[wire] = convert(value)
        for wire, inner in self.nested:
            if item[wire] is not None:
                item[wire] = [inner.row(value) for value in item[wire]]
        return item

    def page(self, page: Page[dict[str, Any]]) -> Response:
        """The response of a `ListOut` of this schema (items, nextCursor, hasMore) for a page of rows."""
        body = {
            "items": [self.row(values) for values in page.items],
            "nextCursor": page.next_cursor,
            "hasMore": page.has_more,
        }
        return Response(orjson.dumps(body, option=orjson.OPT_UTC_Z), media_type="application/json")


def _row_key(name: str, field: FieldInfo) -> str:
    """The row column of a field: the first name its validation aliases offer where it reads another one
    (`org_id` from `organization_id`), else its own name (the camelCase alias is the wire's, not the row's)."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    if isinstance(alias, str) and alias != field.alias:
        return alias
    return name


def _unwrapped(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """The type under `X | None` and `Annotated[X, ...]`, with the metadata met on the way (a `PlainSerializer`
    may sit inside the optional: `PercentOut | None`)."""
    if get_origin(annotation) is Annotated:
        inner, *more = get_args(annotation)
        return _unwrapped(inner, [*metadata, *more])
    if get_origin(annotation) in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _unwrapped(inner, metadata)
    return annotation, metadata


def _is_schema(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _native(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return _native(_unwrapped(get_args(annotation)[0], [])[0])
    return isinstance(annotation, type) and issubclass(annotation, _NATIVE)
