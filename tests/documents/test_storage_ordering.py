"""The blob/row ordering of uploads, at the service level with a real local store: a blob exists exactly when
its row was committed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from nuvera.audit.actor import Actor
from nuvera.blobs import BlobNotFound, BlobStoreError, LocalBlobStore
from nuvera.db import Database
from nuvera.documents import service
from nuvera.documents.models import Document, DocumentType
from nuvera.errors import NuveraError
from nuvera.tenancy import OrganizationScope
from tests.documents.samples import PDF, blob_files
from tests.harness import Factory

ACTOR = Actor.operator("test")


class Boom(Exception):
    pass


class UnavailableStore:
    """A store whose backend is down (a fake behind the BlobStore Protocol)."""

    def put(self, key: str, data: bytes, content_type: str) -> None:
        raise BlobStoreError("connection refused")

    def get(self, key: str) -> bytes:
        raise BlobNotFound(key)

    def delete(self, key: str) -> None:
        raise BlobStoreError("connection refused")


def _upload(session: object, store: object, organization_id: str) -> Document:
    return service.upload_document(
        session,  # type: ignore[arg-type]
        store,  # type: ignore[arg-type]
        OrganizationScope(organization_id),
        actor=ACTOR,
        upload=service.Upload(file_name="a.pdf", data=PDF, document_type=DocumentType.OTHER, customer_id=None),
        now=datetime.now(UTC),
    )


def test_committed_upload_keeps_its_blob(factory: Factory, database: Database, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    organization_id = factory.organization()
    with database.session() as session:
        document = _upload(session, store, organization_id)
    assert store.get(document.storage_key) == PDF
    assert [p.name for p in blob_files(tmp_path / "blobs")] == [document.id]


def test_rolled_back_upload_deletes_its_blob(factory: Factory, database: Database, tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    organization_id = factory.organization()
    written: list[str] = []

    def upload_then_fail() -> None:
        with database.session() as session:
            document = _upload(session, store, organization_id)
            written.append(document.storage_key)
            assert store.get(document.storage_key) == PDF  # written before the commit…
            raise Boom  # …and the transaction fails afterwards

    with pytest.raises(Boom):
        upload_then_fail()
    with pytest.raises(BlobNotFound):
        store.get(written[0])
    assert blob_files(tmp_path / "blobs") == []
    with database.session() as session:
        assert session.scalars(select(Document).where(Document.organization_id == organization_id)).all() == []


def test_store_down_is_503_and_leaves_no_row(factory: Factory, database: Database) -> None:
    organization_id = factory.organization()
    with pytest.raises(NuveraError) as raised, database.session() as session:
        _upload(session, UnavailableStore(), organization_id)
    assert raised.value.code == "dependency_unavailable"
    assert raised.value.status == 503
    with database.session() as session:
        assert session.scalars(select(Document).where(Document.organization_id == organization_id)).all() == []
