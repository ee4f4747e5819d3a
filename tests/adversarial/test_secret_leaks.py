"""After every flow that handles a secret, no raw secret is anywhere the platform writes.

A real `nuvera serve` process (its own interpreter, JSON logs to a file) goes through: web sign-in (right and
wrong password), API key rotation with and without a grace window, revocation, signing-key replacement (including
a pasted private key, which must be refused without a trace), signed calls, every kind of failed call, and document
uploads (accepted and refused). Then three places are scanned for every raw API key, JWT, private key PEM line,
password and session token used:

- the database: the SQLite files themselves, or `pg_dump` of the PostgreSQL test database;
- the blob store directory (document bytes);
- the server's captured log output.

(The operator's CLI flows — passwords on stdin, keys printed once — are scanned the same way by
tests/test_secret_hygiene.py; here the organization is set up through the services to keep the test fast.)

Each scan first proves it sees the data (positive controls: ids in the dump, the uploaded bytes in the blob
store, this run's request lines in the log), or a clean result would prove nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from nuvera_client import sign_request
from sqlalchemy.engine import make_url

from nuvera.applications import service as applications
from nuvera.audit.actor import Actor
from nuvera.config import Settings
from nuvera.db import Database
from nuvera.organizations import service as organizations
from nuvera.organizations.models import OrganizationKind, UserRole
from tests.adversarial.raw_http import PDF, multipart, record_counts
from tests.harness import TEST_HMAC_SECRET, new_rsa_key, private_pem, public_pem, start_server_process

pytestmark = pytest.mark.slow

PASSWORD = f"leak-scan-password-{uuid.uuid4().hex[:8]}"
WRONG_PASSWORD = f"wrong-guess-{uuid.uuid4().hex[:8]}"
ASSETS = "/api/v1/crypto/assets"


def _database_dump(url: str, sqlite_dir: Path) -> bytes:
    if url.startswith("sqlite"):
        files = sorted(sqlite_dir.glob("nuvera.db*"))
        assert files, "the SQLite file was not found: the scan would prove nothing"
        return b"\n".join(path.read_bytes() for path in files)
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed to scan PostgreSQL (Debian: apt-get install postgresql-client)"
    libpq_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    dumped = subprocess.run([pg_dump, "--no-owner", "--dbname", libpq_url], capture_output=True, check=True)
    return dumped.stdout


def _blob_bytes(var_dir: Path) -> bytes:
    files = sorted(p for p in (var_dir / "blobs").rglob("*") if p.is_file())
    return b"\n".join(path.read_bytes() for path in files)


class Flows:
    """Runs the flows and remembers every secret they used."""

    def __init__(self, base_url: str, database_url: str) -> None:
        self.base_url = base_url
        self.database_url = database_url
        self.api_keys: list[str] = []
        self.tokens: list[str] = []
        self.private_keys: list[rsa.RSAPrivateKey] = []
        self.session_tokens: list[str] = []
        self.ids: list[str] = []
        self.statuses: list[tuple[str, int]] = []

    def setup(self, public_key_pem: str) -> tuple[str, str, str, str, str]:
        """A partner organization, its owner (with PASSWORD) and an application: (org, email, app, key id, key)."""
        database = Database(self.database_url)
        try:
            with database.session() as session:
                now = datetime.now(UTC)
                org = organizations.create_organization(
                    session, name="Leak Scan Ltd", kind=OrganizationKind.PARTNER, now=now
                )
                email = f"leak-{uuid.uuid4().hex[:8]}@example.com"
                organizations.create_user(
                    session, organization_id=org.id, email=email, password=PASSWORD, role=UserRole.OWNER, now=now
                )
                created = applications.create_application(
                    session,
                    actor=Actor.operator("leak scan"),
                    organization_id=org.id,
                    name="Leak scan",
                    public_key_pem=public_key_pem,
                    permissions=["CRYPTO_READ", "DOCUMENTS_READ", "DOCUMENTS_WRITE"],
                    hmac_secret=TEST_HMAC_SECRET.encode(),
                    now=now,
                )
                return org.id, email, created.application.id, created.issued.api_key.id, created.issued.raw
        finally:
            database.dispose()

    def signed(
        self,
        api_key: str,
        key: rsa.RSAPrivateKey,
        method: str,
        uri: str,
        *,
        body: bytes = b"",
        signed_uri: str | None = None,
        signed_body: bytes | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        token = token or sign_request(
            api_key, key, method, signed_uri or uri, body if signed_body is None else signed_body
        )
        self.tokens.append(token)
        response = httpx.request(
            method,
            self.base_url + uri,
            content=body,
            headers={"x-api-key": api_key, "authorization": f"Bearer {token}", **(headers or {})},
            timeout=60,
        )
        self.statuses.append((f"{method} {uri}", response.status_code))
        return response


def _run_flows(flows: Flows) -> None:
    key_a, key_b, pasted, attacker = new_rsa_key(), new_rsa_key(), new_rsa_key(), new_rsa_key()
    flows.private_keys += [key_a, key_b, pasted, attacker]
    org, email, app_id, key1_id, key1 = flows.setup(public_pem(key_a))
    flows.api_keys.append(key1)
    flows.ids += [org, app_id, key1_id]
    assert flows.signed(key1, key_a, "GET", ASSETS).status_code == 200

    with httpx.Client(base_url=flows.base_url, timeout=60) as browser:
        wrong = browser.post("/app/api/session", json={"email": email, "password": WRONG_PASSWORD})
        assert wrong.status_code == 401
        signed_in = browser.post("/app/api/session", json={"email": email, "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        flows.session_tokens.append(browser.cookies["nuvera_session"])
        csrf = {"x-csrf-token": signed_in.json()["csrfToken"]}
        base = f"/app/api/applications/{app_id}"

        # Rotation with a grace window: both keys work until key 1 is revoked.
        rotated = browser.post(f"{base}/keys", json={"grace": "1h"}, headers=csrf).json()
        key2 = rotated["apiKey"]
        flows.api_keys.append(key2)
        flows.ids.append(rotated["key"]["id"])
        assert flows.signed(key1, key_a, "GET", ASSETS).status_code == 200
        assert flows.signed(key2, key_a, "GET", ASSETS).status_code == 200
        revoked = browser.post(f"{base}/keys/{key1_id}/revoke", json={"reason": "leak test"}, headers=csrf)
        assert revoked.status_code == 200, revoked.text
        assert flows.signed(key1, key_a, "GET", ASSETS).json()["code"] == "revoked_key"

        # A pasted private key is refused, and the refusal does not echo it.
        refused = browser.put(f"{base}/signing-key", json={"publicKey": private_pem(pasted)}, headers=csrf)
        assert refused.status_code == 422, refused.text
        assert "PRIVATE KEY" not in refused.text.replace("private key", "")
        replaced = browser.put(f"{base}/signing-key", json={"publicKey": public_pem(key_b)}, headers=csrf)
        assert replaced.status_code == 200, replaced.text
        assert flows.signed(key2, key_a, "GET", ASSETS).json()["code"] == "invalid_signature"
        assert flows.signed(key2, key_b, "GET", ASSETS).status_code == 200

        # Rotation without a grace window: key 2 is revoked at once.
        key3 = browser.post(f"{base}/keys", json={"grace": "none"}, headers=csrf).json()["apiKey"]
        flows.api_keys.append(key3)
        assert flows.signed(key2, key_b, "GET", ASSETS).json()["code"] == "revoked_key"
        assert browser.delete("/app/api/session", headers=csrf).status_code == 204

    # Document uploads: one stored (its bytes carry a marker the blob scan must find), one refused.
    marker = f"LEAK-SCAN-MARKER-{uuid.uuid4().hex}".encode()
    flows.ids.append(marker.decode())
    for content, expected in ((PDF + marker, 201), (b"MZ\x90\x00 not a document " + marker[:8], 415)):
        form = multipart("leak-boundary", [("documentType", "PASSPORT")], ("file", "doc.pdf", content))
        response = flows.signed(
            key3,
            key_b,
            "POST",
            "/api/v1/documents",
            body=form,
            headers={"content-type": "multipart/form-data; boundary=leak-boundary"},
        )
        assert response.status_code == expected, response.text
        if expected == 201:
            flows.ids.append(response.json()["id"])

    # Failed calls of every kind, each carrying a real key and a real token.
    replayed = sign_request(key3, key_b, "GET", ASSETS)
    assert flows.signed(key3, key_b, "GET", ASSETS, token=replayed).status_code == 200
    failures = [
        flows.signed(key3, key_b, "GET", ASSETS, token=replayed),  # replay
        flows.signed(key3, key_b, "GET", "/api/v1/crypto/networks", signed_uri=ASSETS),  # uri_mismatch
        flows.signed(key3, attacker, "GET", ASSETS),  # invalid_signature
        flows.signed(key3, key_b, "POST", "/api/v1/documents", body=b"{}", signed_body=b"[]"),  # body hash
        flows.signed(key3[:-1] + ("A" if key3[-1] != "A" else "B"), key_b, "GET", ASSETS),  # checksum typo
        flows.signed(key1, key_b, "GET", ASSETS),  # revoked
        flows.signed(key3, key_b, "GET", "/api/v1/customers"),  # permission_denied
    ]
    assert [r.status_code for r in failures] == [401, 401, 401, 401, 401, 401, 403]


def test_no_secret_reaches_the_database_the_blob_store_or_the_logs(settings: Settings, tmp_path: Path) -> None:
    postgres = settings.resolved_database_url.startswith("postgresql")
    url = settings.resolved_database_url if postgres else f"sqlite:///{tmp_path / 'nuvera.db'}"
    var_dir = tmp_path / "var"
    env = {
        **os.environ,
        "NUVERA_DATABASE_URL": url,
        "NUVERA_API_KEY_HMAC_SECRET": TEST_HMAC_SECRET,
        "NUVERA_VAR_DIR": str(var_dir),
        "NUVERA_ENV": "test",
    }
    server = start_server_process(env, tmp_path / "server.log")  # migrates a fresh SQLite database on start
    flows = Flows(server.base_url, url)
    try:
        _run_flows(flows)
    finally:
        server.stop()

    haystacks = {
        "database": _database_dump(url, tmp_path),
        "blob store": _blob_bytes(var_dir),
        "logs": server.log_path.read_bytes(),
    }
    # Positive controls: each scan demonstrably sees this run's data.
    for an_id in flows.ids[:-2]:
        assert an_id.encode() in haystacks["database"], f"the database scan must see {an_id}"
    assert flows.ids[-1].encode() in haystacks["database"]  # the stored document's row
    assert flows.ids[-2].encode() in haystacks["blob store"], "the blob scan must see the uploaded bytes"
    for key in flows.api_keys:  # the display prefix is stored by design: key material is visible to the scan
        assert key[:12].encode() in haystacks["database"]
    assert b"uri_mismatch" in haystacks["logs"], "the log scan must see this run's rejections"
    assert b"/api/v1/documents" in haystacks["logs"]

    secrets = _secrets(flows)
    for where, haystack in haystacks.items():
        text = haystack.decode("latin-1")
        leaked = [label for label, secret in secrets if secret in text]
        assert leaked == [], f"{where} contains: {leaked}"
    record_counts(
        "secretLeaks",
        {
            "backend": "postgresql (pg_dump)" if postgres else "sqlite (database files)",
            "secretsScanned": len(secrets),
            "bytesScanned": {where: len(haystack) for where, haystack in haystacks.items()},
            "requests": len(flows.statuses),
        },
    )


def _secrets(flows: Flows) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for i, key in enumerate(flows.api_keys):
        found += [(f"api key {i + 1}", key), (f"api key {i + 1} random part", key[4:-6])]
    for i, token in enumerate(flows.tokens):
        found += [(f"jwt {i + 1}", token), (f"jwt {i + 1} signature", token.split(".")[2])]
    for i, private in enumerate(flows.private_keys):
        lines = [line for line in private_pem(private).splitlines() if "-----" not in line]
        found += [(f"private key {i + 1} line {n + 1}", line) for n, line in enumerate(lines)]
    found += [("password", PASSWORD), ("wrong password", WRONG_PASSWORD)]
    found += [(f"session token {i + 1}", token) for i, token in enumerate(flows.session_tokens)]
    assert len(flows.api_keys) == 3
    assert len(flows.private_keys) == 4
    assert flows.session_tokens
    return found
