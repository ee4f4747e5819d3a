from __future__ import annotations

from datetime import datetime

import httpx

from nuvera.applications.models import ApiKey
from nuvera.auth.permissions import Permission
from nuvera.db import Database
from tests.harness import Factory, LiveServer, MutableClock, Partner

ASSETS = "/api/v1/crypto/assets"


def last_used(database: Database, key_id: str) -> tuple[datetime | None, str | None]:
    with database.session() as session:
        key = session.get(ApiKey, key_id)
        assert key is not None
        return key.last_used_at, key.last_used_ip


def signed_get(partner: Partner, clock: MutableClock) -> int:
    token = partner.token("GET", ASSETS, now=clock.timestamp())
    headers = {"x-api-key": partner.api_key, "authorization": f"Bearer {token}"}
    return httpx.get(partner.base_url + ASSETS, headers=headers).status_code


def test_last_use_is_recorded_at_most_once_a_minute(
    factory: Factory, database: Database, server: LiveServer, clock: MutableClock
) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    flush = server.app.state.authenticator.flush_last_used
    assert last_used(database, partner.api_key_id) == (None, None)

    assert signed_get(partner, clock) == 200
    flush()
    first_time, ip = last_used(database, partner.api_key_id)
    assert first_time is not None
    assert ip == "127.0.0.1"

    clock.advance(seconds=30)
    assert signed_get(partner, clock) == 200
    flush()
    assert last_used(database, partner.api_key_id)[0] == first_time

    clock.advance(seconds=31)
    assert signed_get(partner, clock) == 200
    flush()
    later, _ = last_used(database, partner.api_key_id)
    assert later is not None
    assert later > first_time
