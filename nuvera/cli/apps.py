"""`nuvera apps …`: operator commands for API applications. CLI actions are recorded as operator actions.

Operators hold the server's database credentials, so the access policy lets them do everything; their reason is
recorded in the audit history where they give one. A raw API key is printed only by `create` and `keys rotate`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.orm import Session

from nuvera.applications import service
from nuvera.applications.schemas import ApiKeyOut, ApplicationOut, ApplicationSummaryOut, parse_end
from nuvera.audit.actor import Actor
from nuvera.cli.common import JSON_OPTION, REASON_OPTION, run
from nuvera.cli.output import emit, fail
from nuvera.clock import utcnow
from nuvera.config import Settings

apps_app = typer.Typer(help="API applications.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys of an application.", no_args_is_help=True)
signing_key_app = typer.Typer(help="The signing public key of an application.", no_args_is_help=True)
permissions_app = typer.Typer(help="Permissions of an application.", no_args_is_help=True)
apps_app.add_typer(keys_app, name="keys")
apps_app.add_typer(signing_key_app, name="signing-key")
apps_app.add_typer(permissions_app, name="permissions")


def read_public_key_file(path: Path) -> str:
    try:
        return path.read_text()
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    except UnicodeDecodeError:
        fail(f"{path} is not a text PEM file")


def _dump(model: ApplicationOut | ApiKeyOut | ApplicationSummaryOut) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def _describe(detail: dict[str, Any]) -> str:
    lines = [
        f"{detail['id']}  {detail['name']}  ({detail['status']})",
        f"organization: {detail['organizationId']}",
        f"permissions:  {', '.join(detail['permissions']) or '(none)'}",
        f"signing key:  {detail['signingKey']['fingerprint']} ({detail['signingKey']['bits']} bits, set "
        f"{detail['signingKey']['setAt']})",
        "API keys:",
    ]
    for key in detail["keys"]:
        expires = f" expires {key['expiresAt']}" if key["expiresAt"] else ""
        used = f" last used {key['lastUsedAt']} from {key['lastUsedIp']}" if key["lastUsedAt"] else " never used"
        lines.append(f"  {key['id']}  {key['prefix']}…{key['lastFour']}  {key['status']}{expires};{used}")
    return "\n".join(lines)


def _detail(session: Session, application_id: str, now: datetime) -> dict[str, Any]:
    view = service.get_application(session, actor=Actor.operator(), application_id=application_id)
    return _dump(ApplicationOut.of(view, now))


def _change(change: Callable[..., object], application_id: str, reason: str | None, **values: object) -> dict[str, Any]:
    """Make one change to the application as the operator, in one transaction; its detail afterwards."""

    def apply(session: Session, _settings: Settings) -> dict[str, Any]:
        now = utcnow()
        change(session, actor=Actor.operator(reason), application_id=application_id, now=now, **values)
        return _detail(session, application_id, now)

    return run(apply)


@apps_app.command("create")
def create(
    org: str = typer.Option(..., "--org", help="Partner organization id."),
    name: str = typer.Option(..., help="Application name (1–100 characters)."),
    public_key_file: Path = typer.Option(..., help="RSA public key, PEM 'BEGIN PUBLIC KEY' (SPKI), ≥ 2048 bits."),
    permission: list[str] = typer.Option(..., "--permission", help="A permission to grant; repeat the flag."),
    reason: str = typer.Option(None, help="Why an operator creates it (recorded in the audit history)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an application and print its API key — the only time the key is ever shown."""
    pem = read_public_key_file(public_key_file)
    created = run(
        lambda session, settings: service.create_application(
            session,
            actor=Actor.operator(reason),
            organization_id=org,
            name=name,
            public_key_pem=pem,
            permissions=permission,
            hmac_secret=settings.hmac_secret,
            now=utcnow(),
        )
    )
    application = created.application
    emit(
        {
            "id": application.id,
            "apiKey": created.issued.raw,
            "apiKeyId": created.issued.api_key.id,
            "signingKeyFingerprint": created.signing_key.fingerprint,
            "permissions": application.permissions,
        },
        as_json,
        f"application {application.id}\nAPI key (shown only once, store it now): {created.issued.raw}",
    )


@apps_app.command("show")
def show(application_id: str = typer.Argument(..., metavar="APP_ID"), as_json: bool = JSON_OPTION) -> None:
    """Show an application: status, permissions, signing key and API keys (never a raw key)."""
    detail = run(lambda session, _settings: _detail(session, application_id, utcnow()))
    emit(detail, as_json, _describe(detail))


@apps_app.command("list")
def list_applications(
    org: str = typer.Option(..., "--org", help="Organization id."), as_json: bool = JSON_OPTION
) -> None:
    """List every application of an organization, newest first."""

    def collect(session: Session, settings: Settings) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = service.list_applications(
                session,
                actor=Actor.operator(),
                organization_id=org,
                secret=settings.hmac_secret,
                cursor=cursor,
                limit=100,
            )
            items.extend(_dump(ApplicationSummaryOut.of(a)) for a in page.items)
            if not page.has_more:
                return items
            cursor = page.next_cursor

    items = run(collect)
    human = "\n".join(f"{a['id']}  {a['status']:8}  {a['name']}" for a in items) or "(no applications)"
    emit({"items": items}, as_json, human)


def _parse_grace(value: str) -> service.Grace:
    try:
        return service.Grace(value)
    except ValueError:
        fail(f"--grace must be one of {', '.join(g.value for g in service.Grace)}, not {value!r}")


@keys_app.command("rotate")
def rotate(
    application_id: str = typer.Argument(..., metavar="APP_ID"),
    grace: str = typer.Option(..., "--grace", help="How long current active keys keep working: none, 1h, 24h, 7d."),
    reason: str = REASON_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Create a replacement API key and print it — the only time it is ever shown."""
    window = _parse_grace(grace)

    def rotate_key(session: Session, settings: Settings) -> dict[str, Any]:
        now = utcnow()
        rotation = service.rotate_api_key(
            session,
            actor=Actor.operator(reason),
            application_id=application_id,
            grace=window,
            hmac_secret=settings.hmac_secret,
            now=now,
        )
        return {
            "apiKey": rotation.issued.raw,
            "key": _dump(ApiKeyOut.of(rotation.issued.api_key, now)),
            "replacedKeyIds": [k.id for k in rotation.replaced],
            "grace": window.value,
        }

    result = run(rotate_key)
    replaced = ", ".join(result["replacedKeyIds"]) or "none"
    effect = "revoked" if window is service.Grace.NONE else f"expiring in {window.value}"
    emit(
        result,
        as_json,
        f"new key {result['key']['id']}\nAPI key (shown only once, store it now): {result['apiKey']}\n"
        f"previous active keys ({replaced}): {effect}",
    )


@keys_app.command("revoke")
def revoke(
    key_id: str = typer.Argument(..., metavar="KEY_ID"), reason: str = REASON_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """Revoke an API key at once. Final: it is never accepted again."""

    def revoke_key(session: Session, _settings: Settings) -> dict[str, Any]:
        now = utcnow()
        key = service.revoke_api_key(session, actor=Actor.operator(reason), key_id=key_id, now=now)
        return _dump(ApiKeyOut.of(key, now))

    key = run(revoke_key)
    emit(key, as_json, f"{key['id']} revoked")


def _parse_at(value: str) -> datetime | None:
    try:
        return parse_end(value)
    except ValueError as exc:
        fail(f"--at {exc}")


@keys_app.command("expire")
def expire(
    key_id: str = typer.Argument(..., metavar="KEY_ID"),
    at: str = typer.Option(..., "--at", help="'now', or an earlier end of the grace window (ISO 8601 with offset)."),
    reason: str = REASON_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Shorten an expiring key's grace window, or end it now."""
    end = _parse_at(at)

    def expire_key(session: Session, _settings: Settings) -> dict[str, Any]:
        now = utcnow()
        key = service.expire_api_key(session, actor=Actor.operator(reason), key_id=key_id, at=end, now=now)
        return _dump(ApiKeyOut.of(key, now))

    key = run(expire_key)
    emit(key, as_json, f"{key['id']} {key['status']}, expires at {key['expiresAt']}")


@signing_key_app.command("replace")
def replace_signing_key(
    application_id: str = typer.Argument(..., metavar="APP_ID"),
    public_key_file: Path = typer.Option(..., "--public-key-file", help="RSA public key, PEM 'BEGIN PUBLIC KEY'."),
    reason: str = REASON_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Replace the signing public key; requests signed with the old private key fail from now on."""
    pem = read_public_key_file(public_key_file)

    detail = _change(service.replace_signing_key, application_id, reason, public_key_pem=pem)
    emit(detail, as_json, f"signing key of {application_id} is now {detail['signingKey']['fingerprint']}")


def _set_enabled(application_id: str, enabled: bool, reason: str, as_json: bool) -> None:
    detail = _change(service.set_enabled, application_id, reason, enabled=enabled)
    emit(detail, as_json, f"{application_id} {detail['status']}")


@apps_app.command("disable")
def disable(
    application_id: str = typer.Argument(..., metavar="APP_ID"),
    reason: str = typer.Option(..., "--reason", help="Why (recorded in the audit history)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Disable an application: every request made with it is rejected until it is enabled again."""
    _set_enabled(application_id, False, reason, as_json)


@apps_app.command("enable")
def enable(
    application_id: str = typer.Argument(..., metavar="APP_ID"),
    reason: str = typer.Option(..., "--reason", help="Why (recorded in the audit history)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Re-enable a disabled application."""
    _set_enabled(application_id, True, reason, as_json)


@permissions_app.command("set")
def set_permissions(
    application_id: str = typer.Argument(..., metavar="APP_ID"),
    permission: list[str] = typer.Option(..., "--permission", help="A permission to grant; repeat the flag."),
    reason: str = REASON_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Replace the permission set (a write permission needs its read permission)."""

    detail = _change(service.set_permissions, application_id, reason, permissions=permission)
    emit(detail, as_json, f"{application_id}: {', '.join(detail['permissions'])}")


@apps_app.command("rename")
def rename(
    application_id: str = typer.Argument(..., metavar="APP_ID"),
    name: str = typer.Option(..., "--name", help="New name (1–100 characters)."),
    reason: str = REASON_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Rename an application."""

    detail = _change(service.rename_application, application_id, reason, name=name)
    emit(detail, as_json, f"{application_id} is now named {detail['name']!r}")
