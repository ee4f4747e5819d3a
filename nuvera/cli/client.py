"""`nuvera keygen` and `nuvera request`: the partner side, for trying the API from a terminal."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import httpx
import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from nuvera_client import NuveraAuth, load_private_key

from nuvera.cli.common import fail


def keygen(
    out: Path = typer.Option(..., "--out", help="Directory for private.pem (0600) and public.pem."),
    bits: int = typer.Option(2048, help="RSA modulus size: 2048, 3072 or 4096."),
) -> None:
    """Generate an RSA signing key pair: private.pem (PKCS#8) stays with you, public.pem goes to Nuvera."""
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
) -> None:
    """Sign and send one request, then print the response body (exit 1 on an HTTP error status)."""
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
    with httpx.Client(base_url=base_url, auth=NuveraAuth(api_key, key), timeout=60) as client:
        try:
            response = client.request(
                method.upper(), path, content=body, data=fields or None, files=files or None, headers=headers
            )
        except httpx.HTTPError as exc:
            fail(f"request failed: {exc}")
    sys.stdout.write(response.text + ("\n" if not response.text.endswith("\n") else ""))
    if response.is_error:
        raise typer.Exit(1)


def _pair(item: str, flag: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        fail(f"{flag} expects name=value, got {item!r}")
    return name, value
