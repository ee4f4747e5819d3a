"""The S3 blob store against a real S3-compatible server (moto in server mode, over HTTP on loopback)."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from nuvera_client import NuveraAuth

from nuvera.app import create_app
from nuvera.auth.permissions import Permission
from nuvera.blobs import BlobNotFound, BlobStoreError, blob_store_from_settings
from nuvera.blobs.s3 import S3BlobStore
from nuvera.config import Settings
from nuvera.db import Database
from tests.documents.samples import PDF, PNG
from tests.harness import TEST_HMAC_SECRET, Factory, MutableClock, live_server

ACCESS_KEY = "AKIAMOTOTESTKEY00000"
SECRET_KEY = "moto-test-secret-key-not-a-real-one"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, request: pytest.FixtureRequest) -> str:
    name = f"nuvera-test-{abs(hash(request.node.nodeid)) % 10**8}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )
    client.create_bucket(Bucket=name)
    return name


def s3_settings(tmp_path: Path, endpoint: str, bucket: str, prefix: str = "") -> Settings:
    return Settings(
        env="test",
        var_dir=tmp_path,
        blob_s3_bucket=bucket,
        blob_s3_endpoint_url=endpoint,
        blob_s3_access_key_id=ACCESS_KEY,
        blob_s3_secret_access_key=SECRET_KEY,
        blob_s3_prefix=prefix,
    )


def test_round_trip_through_settings(tmp_path: Path, s3_endpoint: str, bucket: str) -> None:
    store = blob_store_from_settings(s3_settings(tmp_path, s3_endpoint, bucket, prefix="nuvera/"))
    assert isinstance(store, S3BlobStore)
    payload = PDF + bytes(range(256)) * 100
    store.put("documents/org_1/doc_1", payload, "application/pdf")
    assert store.get("documents/org_1/doc_1") == payload

    # It really is an object in the bucket, under the prefix, with the content type.
    head = store.client.head_object(Bucket=bucket, Key="nuvera/documents/org_1/doc_1")
    assert head["ContentType"] == "application/pdf"
    assert head["ContentLength"] == len(payload)

    store.delete("documents/org_1/doc_1")
    with pytest.raises(BlobNotFound):
        store.get("documents/org_1/doc_1")
    store.delete("documents/org_1/doc_1")  # idempotent
    # Nothing was written to the local disk.
    assert not (tmp_path / "blobs").exists()


def test_missing_bucket_and_unreachable_server_are_store_errors(tmp_path: Path, s3_endpoint: str) -> None:
    no_bucket = blob_store_from_settings(s3_settings(tmp_path, s3_endpoint, "no-such-bucket"))
    with pytest.raises(BlobStoreError, match="NoSuchBucket") as raised:
        no_bucket.put("k", b"x", "image/png")
    assert SECRET_KEY not in str(raised.value)
    unreachable = blob_store_from_settings(s3_settings(tmp_path, f"http://127.0.0.1:{_free_port()}", "b"))
    with pytest.raises(BlobStoreError):
        unreachable.get("k")


def test_keys_are_checked_before_reaching_s3(tmp_path: Path, s3_endpoint: str, bucket: str) -> None:
    store = blob_store_from_settings(s3_settings(tmp_path, s3_endpoint, bucket))
    with pytest.raises(ValueError, match="invalid blob key"):
        store.put("../other-tenant/doc", b"x", "application/pdf")


def test_documents_api_on_s3_end_to_end(
    tmp_path: Path, s3_endpoint: str, bucket: str, database: Database, factory: Factory
) -> None:
    """The same signed multipart upload and download, with the app's blob store built from S3 settings."""
    settings = Settings(
        env="test",
        database_url=database.url,
        api_key_hmac_secret=TEST_HMAC_SECRET,
        var_dir=tmp_path,
        blob_s3_bucket=bucket,
        blob_s3_endpoint_url=s3_endpoint,
        blob_s3_access_key_id=ACCESS_KEY,
        blob_s3_secret_access_key=SECRET_KEY,
    )
    app = create_app(settings, database=database, clock=MutableClock())
    assert isinstance(app.state.blob_store, S3BlobStore)
    partner = factory.partner([Permission.DOCUMENTS_READ, Permission.DOCUMENTS_WRITE])
    auth = NuveraAuth(partner.api_key, partner.private_key)
    with live_server(app) as running, httpx.Client(base_url=running.base_url, auth=auth) as client:
        created = client.post(
            "/api/v1/documents",
            files={"file": ("scan.png", PNG, "image/png")},
            data={"documentType": "PROOF_OF_ADDRESS"},
        )
        assert created.status_code == 201, created.text
        document = created.json()
        download = client.get(f"/api/v1/documents/{document['id']}/content")
        refused = client.post(
            "/api/v1/documents",
            files={"file": ("x.pdf", b"MZ\x90\x00not a pdf", "application/pdf")},
            data={"documentType": "OTHER"},
        )
    assert download.content == PNG
    assert document["sha256"] == hashlib.sha256(PNG).hexdigest()
    listing = app.state.blob_store.client.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listing["Contents"]] == [f"documents/{partner.organization_id}/{document['id']}"]
    assert refused.status_code == 415
