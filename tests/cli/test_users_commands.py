"""`nuvera users list|invite|set-role|remove|unlock|reset-password`: the Team page's rules, for operators."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from nuvera.audit.models import AuditEvent
from nuvera.config import Settings
from nuvera.organizations.models import OrganizationKind, UserRole
from tests.accounts.browser import PASSWORD
from tests.accounts.test_team import NEW_PASSWORD, json_sign_in, set_password
from tests.harness import Factory, LiveServer, operator_cli


def users(settings: Settings, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return operator_cli(settings.resolved_database_url, tmp_path / "var", "users", *args)


def ok(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    assert done.returncode == 0, done.stderr
    parsed: dict[str, object] = json.loads(done.stdout)
    return parsed


def link_path(url: object) -> str:
    parts = urlsplit(str(url))
    return f"{parts.path}?{parts.query}"


def test_an_operator_runs_a_team_from_the_command_line(
    factory: Factory, server: LiveServer, settings: Settings, tmp_path: Path
) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    owner = factory.user(org, UserRole.OWNER)
    invitee = f"cli-{org[-8:]}@example.com"

    invited = ok(users(settings, tmp_path, "invite", "--org", org, "--email", invitee, "--role", "admin", "--json"))
    assert str(invited["link"]).startswith("http")
    assert invited["role"] == "admin"
    assert set_password(server.base_url, link_path(invited["link"])).status_code == 303

    listed = ok(users(settings, tmp_path, "list", "--org", org, "--json"))["items"]
    assert {(row["email"], row["role"], row["status"]) for row in listed} == {  # type: ignore[attr-defined]
        (owner, "owner", "active"),
        (invitee, "admin", "active"),
    }

    refused = users(settings, tmp_path, "set-role", "--email", owner, "--role", "member")
    assert refused.returncode == 1
    assert "last owner" in refused.stderr
    assert users(settings, tmp_path, "remove", "--email", owner).returncode == 1

    ok(users(settings, tmp_path, "set-role", "--email", invitee, "--role", "member", "--reason", "T-1", "--json"))
    for _ in range(5):
        json_sign_in(server.base_url, invitee, "wrong", local_address="127.0.18.1")
    assert json_sign_in(server.base_url, invitee, NEW_PASSWORD, local_address="127.0.18.2").status_code == 429
    rows = ok(users(settings, tmp_path, "list", "--org", org, "--json"))["items"]
    assert {row["email"]: row["locked"] for row in rows} == {owner: False, invitee: True}  # type: ignore[attr-defined]
    ok(users(settings, tmp_path, "unlock", "--email", invitee, "--reason", "ticket 42", "--json"))
    assert json_sign_in(server.base_url, invitee, NEW_PASSWORD, local_address="127.0.18.2").status_code == 200

    reset = ok(users(settings, tmp_path, "reset-password", "--email", owner, "--json"))
    assert set_password(server.base_url, link_path(reset["link"]), "owner's new password").status_code == 303
    assert json_sign_in(server.base_url, owner, PASSWORD).status_code == 401

    ok(users(settings, tmp_path, "remove", "--email", invitee, "--json"))
    assert json_sign_in(server.base_url, invitee, NEW_PASSWORD).status_code == 401
    missing = users(settings, tmp_path, "unlock", "--email", "nobody@example.com")
    assert missing.returncode == 1
    assert "not found" in missing.stderr

    with factory.database.session() as session:
        recorded = session.execute(
            select(AuditEvent.action, AuditEvent.actor_type, AuditEvent.reason)
            .where(AuditEvent.action.in_(["user.role_changed", "user.unlocked"]), AuditEvent.actor_type == "operator")
            .where(AuditEvent.subject_id == str(invited["id"]))
        ).all()
    assert sorted(recorded) == [("user.role_changed", "operator", "T-1"), ("user.unlocked", "operator", "ticket 42")]


def test_a_link_is_printed_once_and_never_logged(settings: Settings, tmp_path: Path, factory: Factory) -> None:
    org = factory.organization(OrganizationKind.PARTNER)
    done = users(settings, tmp_path, "invite", "--org", org, "--email", f"quiet-{org[-8:]}@example.com")
    assert done.returncode == 0, done.stderr
    token = httpx.URL(done.stdout.strip()).params["token"]
    assert token.startswith("nvt_")
    assert token not in done.stderr
