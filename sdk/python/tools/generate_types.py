"""Generate `nuvera_client/types.py` (TypedDicts and Literal enums) from the Nuvera OpenAPI document.

The SDK's request and response types are the API's own schemas, so they cannot drift from the server: a test in
the platform's suite regenerates this file from the served document and fails when the committed copy differs.

    python sdk/python/tools/generate_types.py openapi.json > sdk/python/src/nuvera_client/types.py
    python sdk/python/tools/generate_types.py --from-app         # builds the document from the platform code

Only schemas reachable from `/api/v1` operations are emitted (the management API is not part of the SDK).
"""

from __future__ import annotations

import json
import keyword
import re
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

API_PREFIX = "/api/v1"
REF_PREFIX = "#/components/schemas/"
SKIP = re.compile(r"^Body_")  # multipart form bodies: the SDK builds those itself

HEADER = '''"""Request and response types of the Nuvera REST API, generated from its OpenAPI document.

Do not edit: regenerate with `python sdk/python/tools/generate_types.py --from-app > .../types.py`.
Responses are plain dicts (JSON as received); these TypedDicts describe them for type checkers and editors.
Money amounts are decimal strings; timestamps are ISO 8601 UTC strings.
"""

from __future__ import annotations

from typing import {imports}

__all__ = [
{exports}
]
'''


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            yield ref[len(REF_PREFIX) :]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def reachable_schemas(document: dict[str, Any]) -> list[str]:
    schemas = document.get("components", {}).get("schemas", {})
    pending: list[str] = []
    for path, item in document.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            pending.extend(_refs(operation.get("requestBody", {})))
            for status, response in operation.get("responses", {}).items():
                if status.startswith("2"):
                    pending.extend(_refs(response))
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas or SKIP.match(name):
            continue
        seen.add(name)
        pending.extend(_refs(schemas[name]))
    return sorted(seen)


def _identifier(name: str) -> str:
    cleaned = re.sub(r"\W", "_", name)
    return cleaned if cleaned.isidentifier() else f"_{cleaned}"


def python_type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return _identifier(schema["$ref"][len(REF_PREFIX) :])
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            parts = list(dict.fromkeys(python_type(s) for s in schema[combinator]))
            return " | ".join(parts)
    if "enum" in schema:
        return "Literal[" + ", ".join(json.dumps(v) for v in schema["enum"]) + "]"
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(python_type({**schema, "type": k}) for k in kind)
    if kind == "string":
        return "str"
    if kind == "integer":
        return "int"
    if kind == "number":
        return "float"
    if kind == "boolean":
        return "bool"
    if kind == "null":
        return "None"
    if kind == "array":
        return f"list[{python_type(schema.get('items', {}))}]"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"dict[str, {python_type(schema['additionalProperties'])}]"
    return "Any" if kind != "object" else "dict[str, Any]"


def _comment(text: str | None) -> str:
    return " ".join((text or "").split())


def _comment_lines(text: str, indent: str) -> str:
    if not text:
        return ""
    wrapped = textwrap.wrap(text, width=116 - len(indent), break_long_words=False, break_on_hyphens=False)
    return "".join(f"{indent}#: {line}\n" for line in wrapped)


def _docstring(text: str) -> str:
    text = text.replace("\\", "\\\\").replace('"""', "'''")
    lines = textwrap.wrap(text, width=112, break_long_words=False, break_on_hyphens=False)
    if len(lines) == 1:
        return f'    """{lines[0]}"""'
    return '    """' + "\n    ".join(lines) + '\n    """'


def render_schema(name: str, schema: dict[str, Any]) -> str:
    identifier = _identifier(name)
    description = _comment(schema.get("description"))
    if "enum" in schema:
        return _comment_lines(description, "") + f"{identifier} = {python_type(schema)}\n"
    properties: dict[str, Any] = schema.get("properties", {})
    if schema.get("type") != "object" or not properties:
        return f"{identifier} = {python_type(schema)}\n"
    required = set(schema.get("required", []))
    fields = []
    for prop, prop_schema in properties.items():
        annotation = python_type(prop_schema)
        if prop not in required:
            annotation = f"NotRequired[{annotation}]"
        note = _comment(prop_schema.get("description"))
        fmt = prop_schema.get("format") or next(
            (s.get("format") for s in prop_schema.get("anyOf", []) if s.get("format")), None
        )
        if fmt and not note:
            note = fmt
        fields.append((prop, annotation, note))
    if all(p.isidentifier() and not keyword.iskeyword(p) for p, _, _ in fields):
        lines = [f"class {identifier}(TypedDict):"]
        lines.append(_docstring(description or f"{name}."))
        lines.append("")
        for prop, annotation, note in fields:
            lines.append(_comment_lines(note, "    ") + f"    {prop}: {annotation}")
        return "\n".join(lines) + "\n"
    body = ", ".join(f"{json.dumps(p)}: {a}" for p, a, _ in fields)
    return f'{identifier} = TypedDict("{identifier}", {{{body}}})\n'


def render(document: dict[str, Any]) -> str:
    schemas = document.get("components", {}).get("schemas", {})
    names = reachable_schemas(document)
    # Aliases (enums) first so class bodies read naturally; classes resolve lazily (postponed annotations).
    names.sort(key=lambda n: (0 if "enum" in schemas[n] else 1, n))
    exports = "\n".join(f'    "{_identifier(n)}",' for n in sorted(names, key=_identifier))
    rendered = [render_schema(name, schemas[name]) for name in names]
    used = [
        n for n in ("Any", "Literal", "NotRequired", "TypedDict") if any(re.search(rf"\b{n}\b", b) for b in rendered)
    ]
    blocks = [HEADER.format(exports=exports, imports=", ".join(used)), *rendered]
    text = "\n\n".join(blocks)
    text = re.sub(r"\n{4,}", "\n\n\n", text)
    return text.rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    if argv[1:] == ["--from-app"]:
        from nuvera.app import create_app  # the platform, only for this developer tool, never in the SDK
        from nuvera.config import Settings

        document = create_app(Settings(env="test", database_url="sqlite://")).openapi()
    elif len(argv) == 2:
        with open(argv[1], encoding="utf-8") as handle:
            document = json.load(handle)
    else:
        sys.stderr.write(__doc__ or "")
        return 2
    sys.stdout.write(render(document))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
