"""`nuvera keygen` and `nuvera request`: the partner side, for trying the API from a terminal.

Neither needs the server: they import only the SDK (`nuvera_client`), and each imports its libraries inside the
command, so that `keygen` does not load an HTTP client nor `request` an RSA key generator.
tests/cli/test_lazy_commands.py fails if a server module (the app, SQLAlchemy, screening…) creeps in.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from nuvera.cli.output import fail

if TYPE_CHECKING:
    import httpx


def keygen(
    out: Path = typer.Option(..., "--out", help="Directory for private.pem (0600) and public.pem."),
    bits: int = typer.Option(2048, help="RSA modulus size: 2048, 3072 or 4096."),
) -> None:
    """Generate an RSA signing key pair: private.pem (PKCS#8) stays with you, public.pem goes to Nuvera."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    if bits not in (2048, 3072, 4096):
        fail("--bits must be 2048, 3072 or 4096")
    private_path, public_path = out / "private.pem", out / "public.pem"
    if private_path.exists() or public_path.exists():
        fail(f"{out} already holds a key pair; refusing to overwrite it")
    out.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Created with 0600 from the first byte, never world-readable even briefly.
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private_pem)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    typer.echo(f"wrote {private_path} (keep it secret) and {public_path} (register it with Nuvera)", err=True)


def _json_body(value: str | None) -> bytes | None:
    if value is None:
        return None
    if value.startswith("@"):
        try:
            value = Path(value[1:]).read_text()
        except OSError as exc:
            fail(f"cannot read {value[1:]}: {exc.strerror}")
    try:
        json.loads(value)
    except json.JSONDecodeError as exc:
        fail(f"--json-body is not valid JSON: {exc.msg} at position {exc.pos}")
    return value.encode()


def request(
    method: str = typer.Argument(..., help="HTTP method, e.g. GET."),
    path: str = typer.Argument(..., help="Path and query, e.g. /api/v1/crypto/assets."),
    json_body: str = typer.Option(None, "--json-body", help="JSON body, or @file."),
    form: list[str] = typer.Option([], "--form", help="Multipart field k=v; repeat."),
    file: list[str] = typer.Option([], "--file", help="Multipart file field=@path; repeat."),
    base_url: str = typer.Option("http://127.0.0.1:45000", "--base-url", envvar="NUVERA_BASE_URL"),
    api_key: str = typer.Option(..., "--api-key", envvar="NUVERA_API_KEY", help="The application's API key."),
    private_key: Path = typer.Option(
        ..., "--private-key", envvar="NUVERA_PRIVATE_KEY_FILE", help="PEM file of the signing private key."
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Print the request line, headers and signed claims to stderr (no secrets)."
    ),
) -> None:
    """Sign and send one request, then print the response body (exit 1 on an HTTP error status).

    With --verbose, stderr shows exactly what was signed: the canonical claims (the API key shortened to its
    prefix and last four characters; the JWT itself is never printed). On an error the server's `code` is
    printed with its fix.
    """
    import httpx
    from nuvera_client import NuveraAuth, load_private_key

    try:
        key = load_private_key(private_key)
    except OSError as exc:
        fail(f"cannot read {private_key}: {exc.strerror}")
    except (ValueError, TypeError):
        fail(f"{private_key} is not an unencrypted RSA private key in PEM format")
    body = _json_body(json_body)
    if body is not None and (form or file):
        fail("use either --json-body or --form/--file, not both")
    fields = dict(_pair(item, "--form") for item in form)
    files = {}
    for item in file:
        name, value = _pair(item, "--file")
        file_path = Path(value.removeprefix("@"))
        try:
            files[name] = (file_path.name, file_path.read_bytes())
        except OSError as exc:
            fail(f"cannot read {file_path}: {exc.strerror}")
    headers = {"content-type": "application/json"} if body is not None else {}
    signed: list[dict[str, Any]] = []
    hooks: dict[str, list[Callable[..., None]]] = {}
    if verbose:
        hooks = {
            "request": [lambda sent: _show_request(sent, signed[-1] if signed else None)],
            "response": [_show_response],
        }
    auth = NuveraAuth(api_key, key, on_sign=signed.append)
    with httpx.Client(base_url=base_url, auth=auth, timeout=60, event_hooks=hooks) as client:
        try:
            response = client.request(
                method.upper(), path, content=body, data=fields or None, files=files or None, headers=headers
            )
        except httpx.HTTPError as exc:
            fail(f"request failed: {exc}")
    sys.stdout.write(response.text + ("\n" if not response.text.endswith("\n") else ""))
    if response.is_error:
        _explain_error(response, base_url)
        raise typer.Exit(1)


def _err(line: str) -> None:
    typer.echo(line, err=True)


def _show_request(sent: httpx.Request, claims: dict[str, Any] | None) -> None:
    """What went on the wire, minus the secrets: the key is masked, the JWT is described, never printed."""
    from nuvera_client import mask_api_key

    _err(f"> {sent.method} {sent.url.raw_path.decode('ascii')}")
    _err(f"> host: {sent.url.netloc.decode('ascii')}")
    for name, value in sent.headers.items():
        if name.lower() == "x-api-key":
            value = mask_api_key(value)
        elif name.lower() == "authorization":
            value = f"Bearer <RS256 JWT, {len(value) - 7} characters, not shown>"
        _err(f"> {name}: {value}")
    _err(f"> body: {len(sent.content)} bytes")
    if claims is None:
        return
    _err("> signed claims:")
    for name, value in claims.items():
        shown = mask_api_key(str(value)) if name == "sub" else value
        note = ""
        if name in ("iat", "exp") and isinstance(value, int):
            note = f"  ({datetime.fromtimestamp(value, UTC).isoformat().replace('+00:00', 'Z')})"
        _err(f">   {name}: {shown}{note}")


def _show_response(response: httpx.Response) -> None:
    _err(f"< {response.status_code} {response.reason_phrase}")
    request_id = response.headers.get("x-request-id")
    if request_id:
        _err(f"< x-request-id: {request_id}")


def _explain_error(response: httpx.Response, base_url: str) -> None:
    from nuvera.reference.error_guide import fix_for

    try:
        problem = response.json()
    except ValueError:
        return
    code = problem.get("code") if isinstance(problem, dict) else None
    if not isinstance(code, str):
        return
    _err(f"error: {response.status_code} {code}: {problem.get('detail', '')}")
    fix = fix_for(code)
    if fix:
        _err(f"fix: {fix}")
    _err(f"see: {base_url.rstrip('/')}/api-reference/errors#{code}")


def _pair(item: str, flag: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        fail(f"{flag} expects name=value, got {item!r}")
    return name, value
