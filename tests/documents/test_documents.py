"""Documents through signed HTTP: multipart uploads signed over the raw bytes, sniffing, limits, isolation."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from nuvera.activity.service import ActivityActor
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.customers import service as customers
from nuvera.customers.schemas import CustomerCreate
from nuvera.db import Database
from nuvera.documents.service import sanitize_file_name
from nuvera.tenancy import OrganizationScope
from tests.documents.samples import ELF, JPEG, MACHO, PDF, PE, PNG, SCRIPT, blob_files, document_rows
from tests.harness import Factory, Partner

DOCS = [Permission.DOCUMENTS_READ, Permission.DOCUMENTS_WRITE]


@pytest.fixture
def store_root(settings: Settings) -> Path:
    # The live server's blob store: create_app's default, a local directory under var_dir.
    return settings.var_dir / "blobs"


def customer_of(database: Database, organization_id: str) -> str:
    with database.session() as session:
        customer = customers.create_customer(
            session,
            OrganizationScope(organization_id),
            CustomerCreate(company_name="Docs Customer Ltd"),
            draft=True,
            actor=ActivityActor.operator(),
            now=datetime.now(UTC),
        )
        return customer.id


def upload(
    client: httpx.Client,
    data: bytes,
    *,
    name: str = "file.pdf",
    declared: str = "application/pdf",
    document_type: str = "BANK_STATEMENT",
    customer_id: str | None = None,
) -> httpx.Response:
    form = {"documentType": document_type}
    if customer_id is not None:
        form["customerId"] = customer_id
    return client.post("/api/v1/documents", files={"file": (name, data, declared)}, data=form)


def test_upload_signed_over_multipart_bytes_then_download_identical_bytes(
    factory: Factory, database: Database, store_root: Path
) -> None:
    partner = factory.partner(DOCS)
    customer_id = customer_of(database, partner.organization_id)
    content = PDF + bytes(range(256)) * 40  # binary, not just text: every byte value must survive
    with partner.client() as client:
        created = upload(
            client, content, name="Relevé bancaire 2026.pdf", document_type="BANK_STATEMENT", customer_id=customer_id
        )
        assert created.status_code == 201, created.text
        # The request really was multipart, and its signature covered those raw bytes (the middleware
        # verified bodyHash over them, or the route would never have run).
        assert created.request.headers["content-type"].startswith("multipart/form-data; boundary=")
        document = created.json()
        metadata = client.get(f"/api/v1/documents/{document['id']}")
        download = client.get(f"/api/v1/documents/{document['id']}/content")

    sha = hashlib.sha256(content).hexdigest()
    assert document["id"].startswith("doc_")
    assert document == {
        "id": document["id"],
        "fileName": "Relevé bancaire 2026.pdf",
        "contentType": "application/pdf",
        "sizeBytes": len(content),
        "sha256": sha,
        "documentType": "BANK_STATEMENT",
        "customerId": customer_id,
        "createdAt": document["createdAt"],
    }
    assert datetime.fromisoformat(document["createdAt"]).tzinfo is not None
    assert metadata.status_code == 200
    assert metadata.json() == document

    assert download.status_code == 200
    assert download.content == content
    assert hashlib.sha256(download.content).hexdigest() == sha
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Relev%C3%A9%20bancaire%202026.pdf" in disposition
    assert "sandbox" in download.headers["content-security-policy"]
    # The bytes sit in the store under a server-chosen key, not the client's file name.
    assert (store_root / "documents" / partner.organization_id / document["id"]).read_bytes() == content


@pytest.mark.parametrize(
    ("data", "declared", "name", "content_type", "file_name"),
    [
        (PNG, "application/pdf", "photo.pdf", "image/png", "photo.pdf.png"),
        (JPEG, "application/octet-stream", "passport.JPEG", "image/jpeg", "passport.JPEG"),
        (PDF, "image/png", "statement", "application/pdf", "statement.pdf"),
    ],
)
def test_type_comes_from_the_bytes_not_the_client(
    factory: Factory, data: bytes, declared: str, name: str, content_type: str, file_name: str
) -> None:
    partner = factory.partner(DOCS)
    with partner.client() as client:
        created = upload(client, data, name=name, declared=declared, document_type="PASSPORT")
        download = client.get(f"/api/v1/documents/{created.json()['id']}/content")
    assert created.status_code == 201, created.text
    assert created.json()["contentType"] == content_type
    assert created.json()["fileName"] == file_name
    assert download.headers["content-type"] == content_type
    assert download.content == data


@pytest.mark.parametrize("data", [ELF, PE, MACHO, SCRIPT, b"PK\x03\x04zip", b"<html><script>x</script>"])
def test_disguised_executable_is_refused_and_leaves_nothing(
    factory: Factory, database: Database, store_root: Path, data: bytes
) -> None:
    partner = factory.partner(DOCS)
    files_before = blob_files(store_root)
    rows_before = document_rows(database)
    with partner.client() as client:
        response = upload(client, data, name="invoice.pdf", declared="application/pdf")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert blob_files(store_root) == files_before
    assert document_rows(database) == rows_before
    assert document_rows(database, partner.organization_id) == 0


def test_over_limit_upload_is_413_and_leaves_nothing(
    factory: Factory, database: Database, store_root: Path, settings: Settings
) -> None:
    partner = factory.partner(DOCS)
    files_before = blob_files(store_root)
    rows_before = document_rows(database)
    too_big = PDF + b"\x00" * settings.max_multipart_body_bytes
    with partner.client() as client:
        response = upload(client, too_big)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert blob_files(store_root) == files_before
    assert document_rows(database) == rows_before


def test_upload_just_under_the_limit_is_stored_whole(factory: Factory, settings: Settings) -> None:
    partner = factory.partner(DOCS)
    # The limit is on the whole multipart body; leave room for the part headers and boundaries.
    content = PDF + b"\x00" * (settings.max_multipart_body_bytes - len(PDF) - 1024)
    with partner.client() as client:
        created = upload(client, content)
        assert created.status_code == 201, created.text
        assert len(created.request.content) <= settings.max_multipart_body_bytes
        download = client.get(f"/api/v1/documents/{created.json()['id']}/content")
    assert created.json()["sizeBytes"] == len(content)
    assert hashlib.sha256(download.content).hexdigest() == hashlib.sha256(content).hexdigest()


def test_refused_uploads_name_the_field_and_leave_nothing(
    factory: Factory, database: Database, store_root: Path
) -> None:
    partner = factory.partner(DOCS)
    other = factory.partner(DOCS)
    foreign_customer = customer_of(database, other.organization_id)
    files_before = blob_files(store_root)
    with partner.client() as client:
        cases = {
            "unknown type": upload(client, PDF, document_type="SELFIE"),
            "empty file": upload(client, b""),
            "foreign customer": upload(client, PDF, customer_id=foreign_customer),
            "unknown customer": upload(client, PDF, customer_id="cus_doesnotexist"),
            "no file": client.post("/api/v1/documents", data={"documentType": "OTHER"}, files={"x": ("a", b"a")}),
            "two files": client.post(
                "/api/v1/documents",
                data={"documentType": "OTHER"},
                files=[("file", ("a.pdf", PDF, "application/pdf")), ("file", ("b.png", PNG, "image/png"))],
            ),
        }
        json_body = client.post("/api/v1/documents", json={"documentType": "OTHER"})
        garbled = client.post(
            "/api/v1/documents",
            content=b"--xyz\r\nnot really multipart",
            headers={"content-type": "multipart/form-data; boundary=xyz"},
        )
    fields = {case: {e["field"] for e in response.json().get("errors", [])} for case, response in cases.items()}
    assert {case: r.status_code for case, r in cases.items()} == dict.fromkeys(cases, 422)
    assert fields == {
        "unknown type": {"documentType"},
        "empty file": {"file"},
        "foreign customer": {"customerId"},
        "unknown customer": {"customerId"},
        "no file": {"file"},
        "two files": {"file"},
    }
    assert cases["foreign customer"].json()["errors"] == cases["unknown customer"].json()["errors"]
    assert json_body.status_code == 415
    assert json_body.json()["code"] == "unsupported_media_type"
    assert garbled.status_code == 400
    assert garbled.json()["code"] == "bad_request"
    assert blob_files(store_root) == files_before
    assert document_rows(database, partner.organization_id) == 0


def test_list_is_paginated_newest_first_and_scoped(factory: Factory, database: Database) -> None:
    partner = factory.partner(DOCS)
    other = factory.partner(DOCS)
    customer_id = customer_of(database, partner.organization_id)
    with partner.client() as client, other.client() as other_client:
        ids = [upload(client, PDF, name=f"{i}.pdf").json()["id"] for i in range(3)]
        ids.append(upload(client, PNG, customer_id=customer_id).json()["id"])
        upload(other_client, PDF)
        first = client.get("/api/v1/documents", params={"limit": 3})
        second = client.get("/api/v1/documents", params={"limit": 3, "cursor": first.json()["nextCursor"]})
        of_customer = client.get("/api/v1/documents", params={"customerId": customer_id})
        stolen_cursor = other_client.get("/api/v1/documents", params={"cursor": first.json()["nextCursor"]})
        bad_limit = client.get("/api/v1/documents", params={"limit": 101})
    assert first.status_code == 200
    assert first.json()["hasMore"] is True
    listed = [d["id"] for d in first.json()["items"] + second.json()["items"]]
    assert sorted(listed) == sorted(ids)  # every document once, none of the other organization's
    assert second.json() == {"items": second.json()["items"], "nextCursor": None, "hasMore": False}
    assert [d["id"] for d in of_customer.json()["items"]] == [ids[3]]
    assert stolen_cursor.status_code == 400
    assert stolen_cursor.json()["code"] == "invalid_cursor"
    assert bad_limit.status_code == 422


def test_other_organization_gets_404_for_every_document_route(
    factory: Factory, database: Database, store_root: Path
) -> None:
    owner = factory.partner(DOCS)
    intruder = factory.partner(DOCS)
    with owner.client() as client:
        document = upload(client, PDF, name="secret.pdf").json()
    with intruder.client() as client:
        responses = [
            client.get(f"/api/v1/documents/{document['id']}"),
            client.get(f"/api/v1/documents/{document['id']}/content"),
        ]
        listed = client.get("/api/v1/documents").json()["items"]
    missing = responses[0].json()
    for response in responses:
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert response.json()["detail"] == missing["detail"]
        assert PDF not in response.content
    assert listed == []
    # Nothing changed for the owner.
    with owner.client() as client:
        assert client.get(f"/api/v1/documents/{document['id']}").json() == document
        assert client.get(f"/api/v1/documents/{document['id']}/content").content == PDF


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("POST", "/api/v1/documents", Permission.DOCUMENTS_WRITE),
        ("GET", "/api/v1/documents", Permission.DOCUMENTS_READ),
        ("GET", "/api/v1/documents/{id}", Permission.DOCUMENTS_READ),
        ("GET", "/api/v1/documents/{id}/content", Permission.DOCUMENTS_READ),
    ],
)
def test_each_route_needs_its_permission(factory: Factory, method: str, path: str, permission: Permission) -> None:
    writer = factory.partner(DOCS)
    with writer.client() as client:
        document_id = upload(client, PDF).json()["id"]
    # Same organization; one partner has every permission except this route's (a WRITE needs its READ, so
    # denying a READ also drops that WRITE), the other has only this permission (plus its READ).
    others = [p for p in Permission if p != permission and p.required_read != permission]
    needed = [permission, *([permission.required_read] if permission.required_read else [])]
    without = factory.partner(others, organization_id=writer.organization_id)
    with_it = factory.partner(needed, organization_id=writer.organization_id)

    def call(partner: Partner) -> httpx.Response:
        with partner.client() as client:
            url = path.format(id=document_id)
            if method == "POST":
                return upload(client, PNG)
            return client.get(url)

    denied = call(without)
    allowed = call(with_it)
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    assert denied.json()["permission"] == permission.value
    assert allowed.status_code in (200, 201), allowed.text


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("C:\\Users\\ada\\Scan 01.PDF", "application/pdf", "Scan 01.PDF"),
        ("invoice\u202efdp.exe", "application/pdf", "invoicefdp.exe.pdf"),
        ("..", "image/png", "document.png"),
        (None, "image/jpeg", "document.jpg"),
        ('a<b>:"c"|d?*.png', "image/png", "a_b___c__d__.png"),
        ("line\r\nbreak.pdf", "application/pdf", "linebreak.pdf"),
        ("x" * 500 + ".pdf", "application/pdf", "x" * 196 + ".pdf"),
    ],
)
def test_file_names_are_sanitised(raw: str | None, content_type: str, expected: str) -> None:
    assert sanitize_file_name(raw, content_type) == expected
