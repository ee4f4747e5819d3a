"""After every foundation flow, no raw API key, JWT, private key or password is in the database (the request log
included) or the logs; nor, after the team and account-security flows, an invitation or reset token, a recovery
code or a TOTP secret."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pyotp
import pytest
from nuvera_client import sign_request
from sqlalchemy import create_engine, inspect, text

from nuvera.config import Settings
from tests.harness import TEST_HMAC_SECRET, new_rsa_key, private_pem, public_pem, start_server_process

pytestmark = pytest.mark.slow
PASSWORD = "hygiene-password-4242"
INVITED_PASSWORD = "hygiene-invitee-password-77"
RESET_PASSWORD = "hygiene-reset-password-99"
LOGIN_CSRF = re.compile(r'name="login_csrf" value="([^"]+)"')
LINK = re.compile(r"(/app/sign-in/set-password\?token=(nvt_[A-Za-z0-9_-]+))")


def use_link(client: httpx.Client, path: str, password: str) -> None:
    form = client.get(path)
    assert form.status_code == 200, form.text
    csrf = LOGIN_CSRF.search(form.text)
    assert csrf is not None
    token = path.split("token=", 1)[1]
    done = client.post(
        "/app/sign-in/set-password",
        data={"token": token, "password": password, "confirm": password, "login_csrf": csrf[1]},
    )
    assert done.status_code == 303, done.text


def team_and_security_flows(
    base_url: str, org: str, owner: str, nuvera: Callable[..., dict[str, str]]
) -> dict[str, list[str]]:
    """Invitation (web, link shown), reset (CLI), a reset request without SMTP, 2FA enrolment and a recovery-code
    sign-in. Returns every secret these flows produced, by kind."""
    produced: dict[str, list[str]] = {"tokens": [], "recovery codes": [], "totp secrets": []}
    with httpx.Client(base_url=base_url) as owner_browser, httpx.Client(base_url=base_url) as anon:
        me = owner_browser.post("/app/api/session", json={"email": owner, "password": PASSWORD}).json()
        invitee = f"invitee-{org}@example.com"
        page = owner_browser.post(
            "/app/settings/team/invite", data={"email": invitee, "role": "admin", "csrf_token": me["csrfToken"]}
        )
        invited = LINK.search(page.text)
        assert invited is not None, "the web app shows the link when no SMTP server is configured"
        produced["tokens"].append(invited[2])
        use_link(anon, invited[1], INVITED_PASSWORD)

        reset = nuvera("users", "reset-password", "--email", owner)
        reset_path = LINK.search(reset["link"])
        assert reset_path is not None
        produced["tokens"].append(reset_path[2])
        use_link(anon, reset_path[1], RESET_PASSWORD)

        form = anon.get("/app/sign-in/reset")
        csrf = LOGIN_CSRF.search(form.text)
        assert csrf is not None
        assert anon.post("/app/sign-in/reset", data={"email": invitee, "login_csrf": csrf[1]}).status_code == 200

        with httpx.Client(base_url=base_url) as member:
            token = member.post("/app/api/session", json={"email": invitee, "password": INVITED_PASSWORD}).json()
            headers = {"x-csrf-token": token["csrfToken"]}
            assert member.post("/app/settings/security/two-factor/start", headers=headers).status_code == 303
            secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", member.get("/app/settings/security").text)
            assert secret is not None
            produced["totp secrets"].append(secret[1])
            confirmed = member.post(
                "/app/settings/security/two-factor/confirm", data={"code": pyotp.TOTP(secret[1]).now()}, headers=headers
            )
            codes = re.findall(r"<li>([A-Z2-9]{5}-[A-Z2-9]{5})</li>", confirmed.text)
            assert len(codes) == 10
            produced["recovery codes"].extend(codes)
        signed = anon.post(
            "/app/api/session", json={"email": invitee, "password": INVITED_PASSWORD, "oneTimeCode": codes[0]}
        )
        assert signed.status_code == 200
    return produced


def database_text(url: str, folder: Path) -> str:
    """Every byte the database holds: the SQLite files themselves, or every row of every PostgreSQL table."""
    if url.startswith("sqlite"):
        files = sorted(folder.glob("nuvera.db*"))
        assert files, "the SQLite file was not found: the scan would prove nothing"
        return "\n".join(path.read_bytes().decode("latin-1") for path in files)
    engine = create_engine(url)
    chunks: list[str] = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            rows = connection.execute(text(f'SELECT row_to_json(t)::text FROM "{table}" t'))  # noqa: S608 - catalog names
            chunks.extend(row[0] for row in rows)
    engine.dispose()
    return "\n".join(chunks)


def test_no_secret_reaches_the_database_or_the_logs(settings: Settings, tmp_path: Path) -> None:
    postgres = settings.resolved_database_url.startswith("postgresql")
    url = settings.resolved_database_url if postgres else f"sqlite:///{tmp_path / 'nuvera.db'}"
    env = {
        **os.environ,
        "NUVERA_DATABASE_URL": url,
        "NUVERA_API_KEY_HMAC_SECRET": TEST_HMAC_SECRET,
        "NUVERA_VAR_DIR": str(tmp_path / "var"),
        "NUVERA_ENV": "test",
    }
    server = start_server_process(env, tmp_path / "server.log")
    cli_log = []
    try:

        def nuvera(*args: str, stdin: str = "") -> dict[str, str]:
            result = subprocess.run(
                [sys.executable, "-m", "nuvera", *args, "--json"], env=env, input=stdin, capture_output=True, text=True
            )
            cli_log.append(result.stderr)
            assert result.returncode == 0, result.stderr
            parsed: dict[str, str] = json.loads(result.stdout)
            return parsed

        key = new_rsa_key()
        (tmp_path / "public.pem").write_text(public_pem(key))
        org = nuvera("orgs", "create", "--name", "Hygiene Ltd", "--kind", "partner")["id"]
        nuvera(
            "users", "create", "--org", org, "--email", f"h-{org}@example.com", "--role", "owner", "--password-stdin",
            stdin=PASSWORD + "\n",
        )  # fmt: skip
        created = nuvera(
            "apps", "create", "--org", org, "--name", "Hygiene", "--public-key-file", str(tmp_path / "public.pem"),
            "--permission", "CRYPTO_READ",
        )  # fmt: skip
        api_key = created["apiKey"]

        tokens = []
        with httpx.Client(base_url=server.base_url) as client:

            def send(uri: str, token: str, key_header: str = api_key) -> int:
                tokens.append(token)
                return client.get(
                    uri, headers={"x-api-key": key_header, "authorization": f"Bearer {token}"}
                ).status_code

            ok = sign_request(api_key, key, "GET", "/api/v1/crypto/assets")
            assert send("/api/v1/crypto/assets", ok) == 200
            assert send("/api/v1/crypto/assets", ok) == 401  # replay
            assert send("/api/v1/crypto/networks", sign_request(api_key, key, "GET", "/api/v1/crypto/x")) == 401
            assert send("/api/v1/crypto/assets", sign_request(api_key, new_rsa_key(), "GET", "/api/v1/x")) == 401
            assert send("/api/v1/customers", sign_request(api_key, key, "GET", "/api/v1/customers")) in (403, 404)
            typo = api_key[:-1] + ("A" if api_key[-1] != "A" else "B")
            assert send("/api/v1/crypto/assets", sign_request(typo, key, "GET", "/api/v1/crypto/assets"), typo) == 401
            # Secrets where a careless client might put them: a query value and a path segment. The request log
            # keeps the query's parameter names only, and masks key and JWT shapes in the path.
            in_query = "/api/v1/crypto/assets?apiKey=" + api_key
            assert send(in_query, sign_request(api_key, key, "GET", in_query)) in (200, 422)
            in_path = "/api/v1/crypto/assets/" + ok
            assert send(in_path, sign_request(api_key, key, "GET", in_path)) == 404
        owner = f"h-{org}@example.com"
        produced = team_and_security_flows(server.base_url, org, owner, nuvera)
    finally:
        server.stop()

    stored = database_text(url, tmp_path)
    # The request log (written at the latest when the server stopped) is part of the scan: prove it has rows.
    engine = create_engine(url)
    with engine.connect() as connection:
        logged = connection.execute(
            text("SELECT path, code FROM request_log WHERE key_last_four = :last"), {"last": api_key[-4:]}
        ).all()
    engine.dispose()
    assert {"replay_detected", "uri_mismatch", "invalid_signature"} <= {code for _path, code in logged}
    assert "/api/v1/crypto/assets?apiKey" in {path for path, _code in logged}
    assert "/api/v1/crypto/assets/[redacted]" in {path for path, _code in logged}
    logs = server.log_path.read_text() + "\n".join(cli_log)
    assert created["apiKeyId"] in stored, "the scan must see this test's rows"
    assert "rejected GET /api/v1/crypto/networks: uri_mismatch" in logs, "the scan must see the server's log"
    private_lines = [line for line in private_pem(key).splitlines() if "-----" not in line]
    for name, haystack in (("database", stored), ("logs", logs)):
        assert api_key not in haystack, name
        assert api_key[4:-6] not in haystack, name  # the random part alone
        for token in tokens:
            assert token not in haystack, name
            assert token.split(".")[2] not in haystack, name
        for line in private_lines:
            assert line not in haystack, name
        assert PASSWORD not in haystack, name
        for password in (INVITED_PASSWORD, RESET_PASSWORD):
            assert password not in haystack, name
        for kind, values in produced.items():
            for value in values:
                for form in {value, value.replace("-", ""), value.removeprefix("nvt_")}:
                    assert form not in haystack, f"{kind} in the {name}"
    assert "link issued for invitee-" in logs, "the operator log says a link was issued (never the token)"
