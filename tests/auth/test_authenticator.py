"""The authenticator's own guarantees, apart from the failure codes a request can meet (test_failure_codes.py):
it needs an HMAC secret to exist, and a key it cannot look up is a dependency failure, never "unknown key"."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from nuvera.auth.api_keys import generate_api_key
from nuvera.auth.authenticator import Authenticator, RequestHead
from nuvera.auth.replay import SqlReplayStore
from nuvera.backends import DependencyUnavailable


def authenticator(database_url: str, hmac_secrets: list[bytes]) -> Authenticator:
    engine = create_engine(database_url)
    return Authenticator(
        engine=engine,
        hmac_secrets=hmac_secrets,
        clock=lambda: datetime.now(UTC),
        replay_store=SqlReplayStore(engine),
        leeway_seconds=30,
        key_cache_seconds=1.0,
        last_used_interval_seconds=60,
    )


def test_an_authenticator_without_any_hmac_secret_cannot_be_made(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one HMAC secret"):
        authenticator(f"sqlite:///{tmp_path / 'nuvera.db'}", [])


def test_a_key_that_cannot_be_looked_up_is_a_dependency_failure_not_an_unknown_key(tmp_path: Path) -> None:
    # A database file in a folder that does not exist: every connection attempt fails.
    checker = authenticator(f"sqlite:///{tmp_path / 'no-such-folder' / 'nuvera.db'}", [b"secret"])
    head = RequestHead(
        method="GET",
        uri="/api/v1/crypto/assets",
        api_keys=[generate_api_key().raw],
        authorizations=["Bearer x.y.z"],
        client_ip="127.0.0.1",
    )
    # Nothing cached, so the answer needs the database...
    assert checker.check_head_from_cache(head) is None
    # ...which cannot answer: 503 dependency_unavailable, not 401 invalid_api_key.
    with pytest.raises(DependencyUnavailable, match="database"):
        checker.check_head(head)
