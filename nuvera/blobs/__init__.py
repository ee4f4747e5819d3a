"""Blob storage behind a small Protocol: local directory by default, S3-compatible when configured."""

from __future__ import annotations

from pydantic import SecretStr

from nuvera.blobs.local import LocalBlobStore
from nuvera.blobs.store import BlobNotFound, BlobStore, BlobStoreError
from nuvera.config import Settings

__all__ = ["BlobNotFound", "BlobStore", "BlobStoreError", "LocalBlobStore", "blob_store_from_settings"]


def blob_store_from_settings(settings: Settings) -> BlobStore:
    """The store the settings describe. boto3 is imported only when S3 is configured."""
    if settings.blob_s3_bucket:
        from nuvera.blobs.s3 import S3BlobStore

        return S3BlobStore.connect(
            bucket=settings.blob_s3_bucket,
            endpoint_url=settings.blob_s3_endpoint_url,
            region=settings.blob_s3_region,
            access_key_id=_reveal(settings.blob_s3_access_key_id),
            secret_access_key=_reveal(settings.blob_s3_secret_access_key),
            prefix=settings.blob_s3_prefix,
        )
    return LocalBlobStore(settings.var_dir / "blobs")


def _reveal(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None
