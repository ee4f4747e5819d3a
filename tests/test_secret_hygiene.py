"""After every foundation flow, no raw API key, JWT, private key or password is in the database (the request log
included) or the logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from nuvera_client import sign_request
from sqlalchemy import create_engine, inspect, text

from nuvera.config import Settings
from tests.support import TEST_HMAC_SECRET, new_rsa_key, private_pem, public_pem, start_server_process

pytestmark = pytest.mark.slow
PASSWORD = "hygiene-password-4242"


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
