"""Documents: multipart upload, list, metadata and download (DOCUMENTS_READ / DOCUMENTS_WRITE)."""

from __future__ import annotations

import base64
import hashlib
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from nuvera.audit.actor import Actor
from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.blobs import BlobStore
from nuvera.dependencies import CursorParam, LimitParam, NowDep, SessionDep
from nuvera.documents import service
from nuvera.documents.models import DocumentType
from nuvera.documents.schemas import DocumentOut, DocumentPage
from nuvera.errors import ErrorCode, FieldError, NuveraError, validation_error
from nuvera.pagination import DEFAULT_LIMIT
from nuvera.routing import BlobRoute
from nuvera.schemas import problem_responses

router = APIRouter(prefix="/api/v1/documents", tags=["Documents"], route_class=BlobRoute)
UPLOAD_TYPES = "application/pdf, image/png, image/jpeg"
DocumentReader = Annotated[Principal, Depends(require(Permission.DOCUMENTS_READ))]
DocumentWriter = Annotated[Principal, Depends(require(Permission.DOCUMENTS_WRITE))]


def get_blob_store(request: Request) -> BlobStore:
    store: BlobStore = request.app.state.blob_store
    return store


BlobStoreDep = Annotated[BlobStore, Depends(get_blob_store)]


async def _one_multipart_form(request: Request) -> None:
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise NuveraError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Upload documents as multipart/form-data.")
    # FastAPI has already parsed (and cached) the form; a repeated part would otherwise be silently dropped,
    # storing a different file than the one the partner believes it sent.
    form = await request.form()
    repeated = [name for name in ("file", "documentType", "customerId") if len(form.getlist(name)) > 1]
    if repeated:
        raise validation_error([FieldError(name, "send this part only once") for name in repeated])


@router.post(
    "",
    operation_id="DocumentController_create",
    response_model=DocumentOut,
    status_code=201,
    # The part's media types, as OpenAPI states them for a multipart file; the server sniffs the bytes themselves.
    openapi_extra={
        "requestBody": {"content": {"multipart/form-data": {"encoding": {"file": {"contentType": UPLOAD_TYPES}}}}}
    },
    responses={
        **problem_responses(
            ErrorCode.PAYLOAD_TOO_LARGE,
            s413="payload_too_large: the whole multipart body (file, other parts, boundaries) exceeds 20 MiB",
        ),
        **problem_responses(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            s415="unsupported_media_type: not a PDF, PNG or JPEG (detected from the bytes)",
        ),
        **problem_responses(
            ErrorCode.VALIDATION_ERROR, s422="validation_error: missing/empty file, unknown documentType or customerId"
        ),
    },
)
def upload(
    principal: DocumentWriter,
    _content_type: Annotated[None, Depends(_one_multipart_form)],
    session: SessionDep,
    store: BlobStoreDep,
    now: NowDep,
    file: Annotated[
        UploadFile,
        File(
            description="The document, not empty: a PDF, PNG or JPEG file, recognised from its bytes (any other "
            "content is refused with 415 whatever its name or part Content-Type); the whole multipart body may "
            "be at most 20 MiB"
        ),
    ],
    document_type: Annotated[DocumentType, Form(alias="documentType")],
    # A plain string (empty: none), not `str | None`: a multipart part cannot be null.
    customer_id: Annotated[
        str,
        Form(
            alias="customerId",
            max_length=40,
            description="One of your customers; another organization's or an unknown id is a 422 naming it",
        ),
    ] = "",
) -> DocumentOut:
    """Upload a document as `multipart/form-data` (parts `file`, `documentType`, optional `customerId`).

    Sign the request over the exact multipart bytes you send (`bodyHash`). The type is detected from the
    file's content — PDF, PNG and JPEG are accepted, anything else is refused with 415 whatever its name or
    declared type. The SHA-256 of the bytes is recorded and returned. A refused upload stores nothing.

    `customerId`, when given, must be one of your customers: it is a reference in the body, so an unknown id —
    or another organization's, indistinguishably — is a 422 `validation_error` naming `customerId` (not a 404).
    """
    document = service.upload_document(
        session,
        store,
        principal,
        actor=Actor.application(principal),
        upload=service.Upload(
            file_name=file.filename,
            data=file.file.read(),
            document_type=document_type,
            customer_id=customer_id or None,
        ),
        now=now,
        application_id=principal.application_id,
    )
    return DocumentOut.model_validate(document)


@router.get("", operation_id="DocumentController_list", response_model=DocumentPage)
def list_documents(
    principal: DocumentReader,
    session: SessionDep,
    request: Request,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
    customer_id: Annotated[str | None, Query(alias="customerId", max_length=40)] = None,
) -> DocumentPage:
    """Your documents, newest first (cursor pagination; optional `customerId` filter)."""
    page = service.list_documents(
        session,
        principal,
        customer_id=customer_id,
        cursor=cursor,
        limit=limit,
        secret=request.app.state.settings.hmac_secret,
    )
    return DocumentPage.of(page, DocumentOut.model_validate)


@router.get(
    "/{id}",
    operation_id="DocumentController_get",
    response_model=DocumentOut,
    responses=problem_responses(ErrorCode.NOT_FOUND, s404="not_found"),
)
def get_document(id: str, principal: DocumentReader, session: SessionDep) -> DocumentOut:
    """A document's metadata: file name, detected content type, size, SHA-256, type, customer."""
    return DocumentOut.model_validate(service.get_document(session, principal, id))


@router.get(
    "/{id}/content",
    operation_id="DocumentController_getContent",
    response_class=Response,
    responses={
        200: {
            "description": "The stored bytes, with the stored content type",
            "content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}},
        },
        **problem_responses(ErrorCode.NOT_FOUND, s404="not_found"),
    },
)
def get_content(id: str, principal: DocumentReader, session: SessionDep, store: BlobStoreDep) -> Response:
    """Download the document's bytes, exactly as uploaded, as an attachment."""
    document, data = service.read_content(session, store, principal, id)
    return Response(
        content=data,
        media_type=document.content_type,
        headers={
            # attachment + nosniff + a sandboxing CSP: a browser must never render partner-supplied bytes
            # as active content on our origin, whatever they turn out to contain.
            "Content-Disposition": _attachment(document.file_name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
            "Repr-Digest": f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:",
        },
    )


def _attachment(file_name: str) -> str:
    # RFC 6266: an ASCII fallback for old clients, the exact UTF-8 name in filename*.
    fallback = file_name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"
