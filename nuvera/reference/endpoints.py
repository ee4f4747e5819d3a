"""`/api-reference`: the API reference pages, the error catalogue and the signing guide, with every asset served
from this application (no CDN), so the reference works on a machine without internet access.

The ReDoc bundle comes from the pinned `fastapi-offline` package, which ships the Swagger UI/ReDoc dist files;
only the files named in `_VENDOR_ASSETS` are reachable, so the route cannot be turned into a file server.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Final

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.anchors import anchors_plugin

from nuvera.errors import ERROR_CODES, NotFound
from nuvera.reference.error_guide import AUTH_CODES_401, AUTH_CODES_403, ERROR_GUIDE

router = APIRouter(prefix="/api-reference", include_in_schema=False)

OPENAPI_URL: Final = "/api-reference/openapi.json"
GUIDE_RESOURCE: Final = "signing-guide.md"

# Our own assets (this package) and the vendored ReDoc bundle, by public name → media type.
_OWN_ASSETS: Final = {
    "reference.css": "text/css; charset=utf-8",
    "reference.js": "text/javascript; charset=utf-8",
    "logo.svg": "image/svg+xml",
}
_VENDOR_ASSETS: Final = {
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}

# The pages load nothing from another origin; the policy makes the browser enforce it too. ReDoc renders its
# styles inline (styled-components) and starts its search index in a blob: worker, hence those two allowances.
_CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'"
)
_PAGE_HEADERS: Final = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

_templates = Environment(
    loader=PackageLoader("nuvera.reference", "templates"), autoescape=select_autoescape(["html"]), auto_reload=False
)
# The error guide's texts are written with Markdown code spans (`x-api-key`); rendered inline, without raw HTML,
# so a text can only ever produce Markdown's own markup (code, emphasis, links), everything else escaped.
_inline_markdown = MarkdownIt("commonmark", {"html": False})


def inline_markdown(text: str) -> Markup:
    return Markup(_inline_markdown.renderInline(text))  # noqa: S704  # markdown-it escapes all text; raw HTML is off


_templates.filters["inline_markdown"] = inline_markdown


def _page(template: str, **context: object) -> HTMLResponse:
    html = _templates.get_template(template).render(openapi_url=OPENAPI_URL, **context)
    return HTMLResponse(html, headers=_PAGE_HEADERS)


@router.get("")
def reference_page() -> HTMLResponse:
    """The API reference (ReDoc), rendered in the browser from the OpenAPI document."""
    return _page("reference.html", title="Nuvera API reference")


@router.get("/errors")
def errors_page() -> HTMLResponse:
    """Every stable error code with its HTTP status, meaning and fix; problem `type` URIs point here."""
    rows = [
        {"code": code, "status": kind.status, "title": kind.title, "help": ERROR_GUIDE.get(code)}
        for code, kind in ERROR_CODES.items()
    ]
    auth = set(AUTH_CODES_401) | set(AUTH_CODES_403)
    return _page(
        "errors.html",
        title="Nuvera API error codes",
        auth_rows=[r for r in rows if r["code"] in auth],
        other_rows=[r for r in rows if r["code"] not in auth],
    )


@router.get("/signing-guide")
def signing_guide_page() -> HTMLResponse:
    """The signing guide (docs/signing-guide.md), rendered to HTML."""
    return _page("guide.html", title="Signing Nuvera API requests", body=_rendered_guide())


@router.get("/signing-guide.md")
def signing_guide_markdown() -> Response:
    """The signing guide as the Markdown source, e.g. for `curl`."""
    return Response(signing_guide_text(), media_type="text/markdown; charset=utf-8")


@router.get("/assets/{name}")
def asset(name: str) -> Response:
    if name in _OWN_ASSETS:
        data = resources.files("nuvera.reference").joinpath("static", name).read_bytes()
        media_type = _OWN_ASSETS[name]
    elif name in _VENDOR_ASSETS:
        data = _vendor_asset(name)
        media_type = _VENDOR_ASSETS[name]
    else:
        raise NotFound("Asset")
    return Response(data, media_type=media_type, headers={"Cache-Control": "public, max-age=3600"})


# The ReDoc bundle shows a "powered by" logo fetched from Redocly's CDN; point it at a local image instead so the
# page makes no request to another host (the browser test fails on any such request).
_VENDOR_REWRITES: Final = {"https://cdn.redoc.ly/redoc/logo-mini.svg": "/api-reference/assets/logo.svg"}


@cache
def _vendor_asset(name: str) -> bytes:
    data = resources.files("fastapi_offline").joinpath("static", name).read_bytes()
    for remote, local in _VENDOR_REWRITES.items():
        data = data.replace(remote.encode(), local.encode())
    return data


def signing_guide_text() -> str:
    """The guide ships inside the package (a symlink to docs/signing-guide.md that wheels resolve to a copy)."""
    return resources.files("nuvera.reference").joinpath(GUIDE_RESOURCE).read_text(encoding="utf-8")


@cache
def _rendered_guide() -> str:
    # Raw HTML in the Markdown is not passed through: the page's HTML comes only from Markdown constructs.
    markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
    markdown.use(anchors_plugin, min_level=2, max_level=3)
    html: str = markdown.render(signing_guide_text())
    return html
