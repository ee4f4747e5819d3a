"""Helpers of the request log tests: wait for rows the live server buffered, sign failing requests."""

from __future__ import annotations

import time

import httpx
from nuvera_client import sign_request
from sqlalchemy import select

from nuvera.db import Database
from nuvera.request_log.models import RequestLogEntry
from nuvera.request_log.recorder import RequestLogRecorder
from tests.harness import LiveServer, Partner

ASSETS = "/api/v1/crypto/assets"


def recorder_of(server: LiveServer) -> RequestLogRecorder:
    recorder = server.app.state.request_log
    assert isinstance(recorder, RequestLogRecorder)
    return recorder


def logged(server: LiveServer, database: Database, request_id: str, timeout: float = 10.0) -> RequestLogEntry:
    """The row of `request_id`, once the server recorded it (after its response went out) and it was written."""
    deadline = time.monotonic() + timeout
    while True:
        recorder_of(server).flush()
        with database.session() as session:
            entry = session.scalar(select(RequestLogEntry).where(RequestLogEntry.id == request_id))
            if entry is not None:
                session.expunge(entry)
                return entry
        if time.monotonic() > deadline:
            raise AssertionError(f"{request_id} was not recorded within {timeout} s")
        time.sleep(0.02)


def signed(partner: Partner, uri: str, *, now: int | None = None, private_key: object = None) -> httpx.Response:
    """A GET signed for `uri` (with `now` in the past: an expired token; another key: a wrong signature)."""
    token = sign_request(partner.api_key, private_key or partner.private_key, "GET", uri, now=now)  # type: ignore[arg-type]
    with httpx.Client(base_url=partner.base_url, timeout=30) as client:
        return client.get(uri, headers={"x-api-key": partner.api_key, "authorization": f"Bearer {token}"})


def expired(partner: Partner, uri: str = ASSETS) -> httpx.Response:
    return signed(partner, uri, now=int(time.time()) - 120)
