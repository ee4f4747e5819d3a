"""Document rules: upload validation, the blob/row ordering, scoped reads."""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from nuvera.audit.actions import AuditAction
from nuvera.audit.actor import Actor
from nuvera.audit.service import record
from nuvera.blobs import BlobNotFound, BlobStore, BlobStoreError
from nuvera.customers.models import Customer
from nuvera.db import new_id
from nuvera.documents.models import Document, DocumentType
from nuvera.errors import ErrorCode, FieldError, NuveraError, validation_error
from nuvera.pagination import Page, paginate
from nuvera.tenancy import Tenant, TenantOwned, get_owned, get_owned_or_404, readable, scoped

log = logging.getLogger("nuvera.documents")

# The only formats accepted, recognised by their leading bytes ("magic numbers"). The client's Content-Type
# and file extension are never trusted: a renamed executable must not be stored as, or served back as, a PDF.
PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
)
_EXTENSIONS = {PDF: (".pdf",), PNG: (".png",), JPEG: (".jpg", ".jpeg")}
MAX_FILE_NAME = 200


def sniff_content_type(data: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    return None


_UNSAFE_NAME_CHARACTERS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def sanitize_file_name(raw: str | None, content_type: str) -> str:
    """A display name that is safe in a Content-Disposition header, a shell and every file system.

    Keeps the client's last path segment (browsers on Windows send `C:\\…\\scan.pdf`), NFC-normalised, with
    path separators, control and reserved characters replaced; no leading dots (hidden files, `..`); at most
    MAX_FILE_NAME characters; and an extension that matches the sniffed type, so that a PNG uploaded as
    `invoice.exe` is downloaded as `invoice.exe.png`, never as something the desktop would execute.
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    # Unicode format characters include the right-to-left override used to disguise `cod.exe` as `exe.doc`.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = _UNSAFE_NAME_CHARACTERS.sub("_", name)
    name = " ".join(name.split()).lstrip(". ")
    extensions = _EXTENSIONS[content_type]
    if not name.lower().endswith(extensions):
        name = f"{name or 'document'}{extensions[0]}"
    if len(name) > MAX_FILE_NAME:
        stem, _, suffix = name.rpartition(".")
        name = f"{stem[: MAX_FILE_NAME - len(suffix) - 1]}.{suffix}"
    return name


@dataclass(frozen=True)
class Upload:
    file_name: str | None
    data: bytes
    document_type: DocumentType
    customer_id: str | None


def upload_document(
    session: Session,
    store: BlobStore,
    tenant: Tenant,
    *,
    actor: Actor,
    upload: Upload,
    now: datetime,
    application_id: str | None = None,
) -> Document:
    """Validate, store the bytes, record the row. A refused upload leaves neither a blob nor a row.

    Ordering, and why: everything that can refuse the upload (customer, emptiness, content sniffing) runs
    first, with no side effect. Then the row is flushed (cheap DB failures surface before any write to the
    store), then the blob is written, and the blob is registered for deletion unless this transaction
    commits. The blob must exist *before* the commit: the opposite order could commit a row whose bytes were
    never written (a crash between the two), and every download of it would fail. With this order a crash
    can leave at worst an unreferenced blob, which nothing can reach and which a sweep can remove; any
    rollback or failed commit that the process survives deletes it at once.
    """
    content_type = _checked_content_type(session, tenant, upload)
    document = _new_document(tenant.organization_id, upload, content_type, application_id=application_id, now=now)
    session.add(document)
    _record_upload(session, document, actor=actor, now=now)
    session.flush()
    _store_blob(session, store, document, upload.data)
    return document


def _checked_content_type(session: Session, tenant: Tenant, upload: Upload) -> str:
    """Every check that can refuse the upload, with no side effect; the content type read from the bytes."""
    errors: list[FieldError] = []
    # Through the tenant door on the customers table, not the customers service: that service imports this module
    # (require_documents), and areas call each other's services in one direction only. A reference in the body,
    # not the resource in the path: 422 naming the field (as for documentIds on customers), identical for another
    # organization's customer and a missing one.
    # (The cast: mypy does not yet see a mapped class as tenancy.TenantOwned.)
    customers = cast("type[TenantOwned]", Customer)
    if upload.customer_id is not None and get_owned(session, customers, tenant, upload.customer_id) is None:
        errors.append(FieldError("customerId", "unknown customer id"))
    if not upload.data:
        errors.append(FieldError("file", "the file is empty"))
    if errors:
        raise validation_error(errors)
    content_type = sniff_content_type(upload.data)
    if content_type is None:
        raise NuveraError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "Only PDF, PNG and JPEG files are accepted; the type is read from the file's content, not its name.",
        )
    return content_type


def _new_document(
    organization_id: str, upload: Upload, content_type: str, *, application_id: str | None, now: datetime
) -> Document:
    document_id = new_id("doc")
    return Document(
        id=document_id,
        organization_id=organization_id,
        customer_id=upload.customer_id,
        document_type=upload.document_type,
        file_name=sanitize_file_name(upload.file_name, content_type),
        content_type=content_type,
        size_bytes=len(upload.data),
        sha256=hashlib.sha256(upload.data).hexdigest(),
        # Server-chosen key: nothing the client sends (file name included) reaches a path or an object key.
        storage_key=f"documents/{organization_id}/{document_id}",
        application_id=application_id,
        created_at=now,
    )


def _record_upload(session: Session, document: Document, *, actor: Actor, now: datetime) -> None:
    record(
        session,
        actor=actor,
        organization_id=document.organization_id,
        application_id=document.application_id,
        action=AuditAction.DOCUMENT_UPLOADED,
        subject_type="document",
        subject_id=document.id,
        now=now,
        after={
            "documentType": document.document_type.value,
            "customerId": document.customer_id,
            "contentType": document.content_type,
            "sizeBytes": document.size_bytes,
            "sha256": document.sha256,
        },
    )


def _store_blob(session: Session, store: BlobStore, document: Document, data: bytes) -> None:
    """Write the bytes after the row flushed, and delete them again unless this transaction commits."""
    try:
        store.put(document.storage_key, data, document.content_type)
    except BlobStoreError as exc:
        log.warning("document blob write failed: %s", exc)
        raise NuveraError(ErrorCode.DEPENDENCY_UNAVAILABLE, "Document storage is unavailable; try again.") from exc
    _delete_unless_committed(session, store, document.storage_key)


# --- compensation: a blob written in a transaction that does not commit is deleted -------------------------

_PENDING = "nuvera.documents.pending_blobs"


def _delete_unless_committed(session: Session, store: BlobStore, key: str) -> None:
    session.info.setdefault(_PENDING, []).append((store, key))


@event.listens_for(Session, "after_commit")
def _blobs_committed(session: Session) -> None:
    # Releasing a SAVEPOINT fires this too, while the outer transaction can still roll back: only the
    # outermost commit makes the rows referencing these blobs durable, and only then must the blobs stay.
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _blobs_rolled_back(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without after_commit having claimed the blobs: rolled back, failed to
    # commit, or closed uncommitted. Their rows do not exist, so neither may the bytes.
    if transaction.parent is not None:
        return
    pending: list[tuple[BlobStore, str]] = session.info.pop(_PENDING, [])
    for store, key in pending:
        try:
            store.delete(key)
        except BlobStoreError as exc:  # an orphan blob is unreachable: log it for the sweep, never mask the error
            log.error("could not delete orphan blob %s: %s", key, exc)


# --- reads --------------------------------------------------------------------------------------------------


def get_document(session: Session, tenant: Tenant, document_id: str) -> Document:
    """The caller's document, or 404 — for another organization's id exactly as for a missing one."""
    return get_owned_or_404(session, Document, tenant, document_id, "Document")


def read_content(session: Session, store: BlobStore, tenant: Tenant, document_id: str) -> tuple[Document, bytes]:
    document = get_document(session, tenant, document_id)
    try:
        data = store.get(document.storage_key)
    except BlobNotFound:
        # A row without its bytes is an integrity fault on our side (the ordering above prevents it).
        log.error("document %s has no blob at %s", document.id, document.storage_key)
        raise
    except BlobStoreError as exc:
        log.warning("document blob read failed: %s", exc)
        raise NuveraError(ErrorCode.DEPENDENCY_UNAVAILABLE, "Document storage is unavailable; try again.") from exc
    return document, data


def list_documents(
    session: Session,
    tenant: Tenant,
    *,
    customer_id: str | None,
    cursor: str | None,
    limit: int,
    secret: bytes,
) -> Page[Document]:
    query = readable(Document, tenant)
    if customer_id is not None:
        query = query.where(Document.customer_id == customer_id)
    return paginate(
        session,
        query,
        Document,
        scope=f"documents:{tenant.organization_id}:{customer_id or ''}",
        secret=secret,
        cursor=cursor,
        limit=limit,
    )


def require_documents(session: Session, tenant: Tenant, document_ids: list[str], field: str) -> None:
    """Refuse (422 naming `field`) any id that is not one of this organization's documents.

    Another organization's document id is reported exactly like an unknown one, so the check never reveals
    that it exists.
    """
    wanted = list(dict.fromkeys(document_ids))
    if not wanted:
        return
    found = set(session.scalars(scoped(select(Document.id), Document, tenant).where(Document.id.in_(wanted))))
    missing = [d for d in wanted if d not in found]
    if missing:
        raise validation_error([FieldError(field, f"unknown document id {d!r}") for d in missing])
