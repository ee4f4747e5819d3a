from __future__ import annotations

from datetime import datetime

from pydantic import Field

from nuvera.documents.models import DocumentType
from nuvera.schemas import CamelModel, ListOut


class DocumentOut(CamelModel):
    """A stored document's metadata. The bytes are at `GET /api/v1/documents/{id}/content`."""

    id: str
    file_name: str = Field(description="The client's file name, sanitised; its extension matches contentType")
    content_type: str = Field(description="Detected from the file's bytes: application/pdf, image/png or image/jpeg")
    size_bytes: int
    sha256: str = Field(description="Hex SHA-256 of the stored bytes")
    document_type: DocumentType
    customer_id: str | None
    created_at: datetime


class DocumentPage(ListOut[DocumentOut]):
    pass
