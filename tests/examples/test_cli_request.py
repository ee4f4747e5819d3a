"""`nuvera request --verbose` shows the canonical claims it signed without leaking the key or the token, and on an
error prints the server's code with its fix."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from nuvera.auth.permissions import Permission
from nuvera.cli.main import app
from nuvera.reference.error_guide import ERROR_GUIDE
from tests.harness import Factory, Partner, new_rsa_key, private_pem

JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


def _run(partner: Partner, tmp_path: Path, *args: str, key_pem: str | None = None) -> tuple[int, str, str]:
    key_file = tmp_path / "private.pem"
    key_file.write_text(key_pem or private_pem(partner.private_key))
    env = {
        "NUVERA_API_KEY": partner.api_key,
        "NUVERA_PRIVATE_KEY_FILE": str(key_file),
        "NUVERA_BASE_URL": partner.base_url,
    }
    result = CliRunner().invoke(app, ["request", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_verbose_prints_the_signed_claims_and_no_secret(factory: Factory, tmp_path: Path) -> None:
    partner = factory.partner([Permission.DOCUMENTS_READ])
    code, out, err = _run(partner, tmp_path, "--verbose", "GET", "/api/v1/documents?limit=5&customerId=cus_x")
    assert code == 0, err
    assert '"items"' in out
    assert "> GET /api/v1/documents?limit=5&customerId=cus_x" in err
    assert ">   uri: /api/v1/documents?limit=5&customerId=cus_x" in err
    assert ">   method: GET" in err
    assert ">   bodyHash: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" in err
    assert ">   iss: nuvera-api" in err
    assert ">   aud: nuvera-rest-api" in err
    assert f">   sub: {partner.api_key[:6]}…{partner.api_key[-4:]}" in err
    assert "< 200 OK" in err
    for stream in (out, err):
        assert partner.api_key not in stream
        assert not JWT.search(stream), "a JWT was printed"
        assert "PRIVATE KEY" not in stream


def test_verbose_shows_the_multipart_body_size_it_hashed(factory: Factory, tmp_path: Path) -> None:
    partner = factory.partner([Permission.DOCUMENTS_READ, Permission.DOCUMENTS_WRITE])
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    code, _, err = _run(
        partner, tmp_path, "-v", "POST", "/api/v1/documents", "--form", "documentType=OTHER", "--file", f"file=@{pdf}"
    )
    assert code == 0, err
    size = int(re.search(r"> body: (\d+) bytes", err).group(1))  # type: ignore[union-attr]
    assert size > pdf.stat().st_size  # the multipart envelope, boundaries included
    assert "content-type: multipart/form-data; boundary=" in err


def test_an_auth_failure_prints_the_code_and_its_fix(factory: Factory, tmp_path: Path) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    code, out, err = _run(partner, tmp_path, "GET", "/api/v1/crypto/assets", key_pem=private_pem(new_rsa_key()))
    assert code == 1
    assert '"code": "invalid_signature"' in out.replace('":"', '": "')
    assert "error: 401 invalid_signature:" in err
    assert f"fix: {ERROR_GUIDE['invalid_signature'].fix}" in err
    assert "/api-reference/errors#invalid_signature" in err
    assert partner.api_key not in out + err


def test_a_missing_permission_names_the_fix(factory: Factory, tmp_path: Path) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    code, _, err = _run(partner, tmp_path, "GET", "/api/v1/customers")
    assert code == 1
    assert "error: 403 permission_denied:" in err
    assert "CUSTOMERS_READ" in err
    assert f"fix: {ERROR_GUIDE['permission_denied'].fix}" in err
