"""Rotating the API-key HMAC secret by versions: old keys keep working, move to the new version on use, and the
old version can then be dropped."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from nuvera.app import create_app
from nuvera.applications.models import ApiKey
from nuvera.auth import api_keys
from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.db import Database
from tests.harness import TEST_HMAC_SECRET, Factory, live_server
from tests.production.probes import outcome, signed_get

NEW_SECRET = "rotated-hmac-secret-version-2-0123456789abcdef"


def _stored_hash(database: Database, key_id: str) -> str:
    with database.session() as session:
        return session.scalars(select(ApiKey.key_hash).where(ApiKey.id == key_id)).one()


def _app(settings: Settings, database: Database, secrets: dict[int, Any]) -> FastAPI:
    rotated = Settings(
        env="test",
        database_url=settings.resolved_database_url,
        var_dir=settings.var_dir,
        api_key_hmac_secrets=secrets,  # pydantic turns each str into a SecretStr
    )
    return create_app(rotated, database=database)


def test_keys_survive_a_rotation_and_migrate_to_the_new_version(
    factory: Factory, settings: Settings, database: Database
) -> None:
    used = factory.partner([Permission.CRYPTO_READ])  # hashed with the old (version 1) secret
    unused = factory.partner([Permission.CRYPTO_READ])
    assert _stored_hash(database, used.api_key_id) == api_keys.keyed_hash(TEST_HMAC_SECRET.encode(), used.api_key)

    both = _app(settings, database, {1: TEST_HMAC_SECRET, 2: NEW_SECRET})
    with live_server(both) as server:
        assert outcome(signed_get(used, server.base_url)) == "ok"
        both.state.authenticator.flush_last_used()
    # The verified request moved the key to the newest version; the raw key itself never changed.
    assert _stored_hash(database, used.api_key_id) == api_keys.keyed_hash(NEW_SECRET.encode(), used.api_key)

    only_new = _app(settings, database, {2: NEW_SECRET})
    with live_server(only_new) as server:
        assert outcome(signed_get(used, server.base_url)) == "ok"
        # A key never used since the rotation still depends on version 1: dropping it too early shows here.
        assert outcome(signed_get(unused, server.base_url)) == "invalid_api_key"
