"""Uploaded KYB documents: metadata in the database, bytes in the blob store (nuvera.blobs)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nuvera.db import Base, new_id, string_enum


class DocumentType(enum.StrEnum):
    CERTIFICATE_OF_INCORPORATION = "CERTIFICATE_OF_INCORPORATION"
    ARTICLES_OF_ASSOCIATION = "ARTICLES_OF_ASSOCIATION"
    CERTIFICATE_OF_GOOD_STANDING = "CERTIFICATE_OF_GOOD_STANDING"
    SHAREHOLDER_REGISTER = "SHAREHOLDER_REGISTER"
    REGISTER_OF_DIRECTORS = "REGISTER_OF_DIRECTORS"
    BUSINESS_LICENSE = "BUSINESS_LICENSE"
    TAX_REGISTRATION = "TAX_REGISTRATION"
    PROOF_OF_ADDRESS = "PROOF_OF_ADDRESS"
    PASSPORT = "PASSPORT"
    NATIONAL_ID_CARD = "NATIONAL_ID_CARD"
    DRIVERS_LICENSE = "DRIVERS_LICENSE"
    BANK_STATEMENT = "BANK_STATEMENT"
    SOURCE_OF_FUNDS = "SOURCE_OF_FUNDS"
    OTHER = "OTHER"


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        # Keyset pagination of one organization's documents, newest first (nuvera.pagination).
        Index("ix_documents_organization_id_created_at_id", "organization_id", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("doc"))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    # Deliberately no foreign key: documents are uploaded before (and independently of) the customer they
    # belong to, and the customers table is migrated on its own branch. The service checks that the id is one
    # of the caller's customers when it is given.
    customer_id: Mapped[str | None] = mapped_column(String(40), index=True)
    document_type: Mapped[DocumentType] = mapped_column(string_enum(DocumentType, 40))
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Where the bytes live in the blob store. Server-chosen, never derived from the client's file name.
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    application_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
