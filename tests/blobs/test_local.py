"""The local-directory blob store: round trips, atomic writes, keys that cannot escape the root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nuvera.blobs import BlobNotFound, BlobStoreError, LocalBlobStore
from nuvera.blobs.local import TEMP_PREFIX


def test_put_get_overwrite_delete(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    store.put("documents/org_1/doc_1", b"\x00first\xff", "application/pdf")
    assert store.get("documents/org_1/doc_1") == b"\x00first\xff"
    store.put("documents/org_1/doc_1", b"second", "application/pdf")
    assert store.get("documents/org_1/doc_1") == b"second"
    store.delete("documents/org_1/doc_1")
    with pytest.raises(BlobNotFound):
        store.get("documents/org_1/doc_1")
    store.delete("documents/org_1/doc_1")  # idempotent: compensation may run twice
    # No temporary file survives a write.
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []


def test_write_is_atomic_rename_of_a_synced_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalBlobStore(tmp_path)
    store.put("a/b", b"old", "image/png")
    seen: list[tuple[str, str]] = []
    real_replace = os.replace

    def observe(src: str, dst: str) -> None:
        # At the moment of the rename the temporary file is complete and the old blob is still intact.
        seen.append((Path(src).read_bytes().decode(), Path(dst).read_bytes().decode()))
        assert Path(src).name.startswith(TEMP_PREFIX)
        assert Path(src).parent == Path(dst).parent  # same directory, so the rename is atomic
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", observe)
    store.put("a/b", b"new", "image/png")
    assert seen == [("new", "old")]
    assert store.get("a/b") == b"new"


def test_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").mkdir()  # a directory where the blob should go: the rename fails
    with pytest.raises(BlobStoreError):
        store.put("taken/x", b"data", "application/pdf")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_unwritable_root_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"not a directory")
    store = LocalBlobStore(tmp_path / "file")
    with pytest.raises(BlobStoreError):
        store.put("k", b"data", "application/pdf")


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a/../../b", "a//b", "a\\b", "", ".hidden", "a/", "a/.."])
def test_keys_cannot_escape_the_root(tmp_path: Path, key: str) -> None:
    store = LocalBlobStore(tmp_path / "root")
    with pytest.raises(ValueError, match="invalid blob key"):
        store.put(key, b"x", "application/pdf")
    with pytest.raises(ValueError, match="invalid blob key"):
        store.get(key)
    with pytest.raises(ValueError, match="invalid blob key"):
        store.delete(key)
    assert not any(tmp_path.rglob("*"))
