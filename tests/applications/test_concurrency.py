"""Two rotations of one application at the same moment must not both leave a key active (row lock, PostgreSQL)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from nuvera.applications import service
from nuvera.applications.models import ApiKey, ApiKeyStatus
from nuvera.applications.service import Grace
from nuvera.audit.actor import Actor
from nuvera.auth.permissions import Permission
from nuvera.db import Database
from tests.harness import Factory


def test_concurrent_rotations_leave_exactly_one_active_key(factory: Factory, database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer; the row lock matters where writers run concurrently")
    partner = factory.partner([Permission.CRYPTO_READ])
    secret = factory.settings.hmac_secret

    def rotate(session_factory: Database) -> None:
        with session_factory.session() as session:
            service.rotate_api_key(
                session,
                actor=Actor.operator("concurrency test"),
                application_id=partner.application_id,
                grace=Grace.ONE_HOUR,
                hmac_secret=secret,
                now=datetime.now(UTC),
            )

    with database.session() as first:
        service.rotate_api_key(
            first,
            actor=Actor.operator("concurrency test"),
            application_id=partner.application_id,
            grace=Grace.ONE_HOUR,
            hmac_secret=secret,
            now=datetime.now(UTC),
        )
        # The first rotation is not committed yet. The second starts now and must wait for it, not read the
        # pre-rotation keys (which would leave both new keys active).
        second = threading.Thread(target=rotate, args=(database,))
        second.start()
        deadline = time.monotonic() + 20
        with database.engine.connect() as observer:
            while second.is_alive() and time.monotonic() < deadline:
                waiting = observer.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
                if waiting:
                    break
                observer.rollback()
                time.sleep(0.01)  # polling for the second transaction to block; the outcome does not depend on it
    second.join(timeout=20)
    assert not second.is_alive()

    with database.session() as session:
        statuses = dict(
            session.execute(
                select(ApiKey.status, func.count())
                .where(ApiKey.application_id == partner.application_id)
                .group_by(ApiKey.status)
            ).all()
        )
    assert statuses == {ApiKeyStatus.ACTIVE: 1, ApiKeyStatus.EXPIRING: 2}
