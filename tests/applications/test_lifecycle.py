"""Acceptance: key rotation, the three rollback scenarios of spec §7, signing-key replacement and disablement,
each driven through the management API as the partner's owner and checked with real signed requests."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from nuvera.auth.permissions import Permission
from tests.accounts.browser import Browser, SignIn
from tests.applications.probes import call, outcome
from tests.harness import Factory, MutableClock, Partner, new_rsa_key, public_pem


@pytest.fixture
def partner(factory: Factory) -> Partner:
    return factory.partner([Permission.CRYPTO_READ])


@pytest.fixture
def owner(partner: Partner, browsers: SignIn) -> Browser:
    return browsers(partner.owner_email)


def _key(detail: dict[str, object], key_id: str) -> dict[str, object]:
    keys = detail["keys"]
    assert isinstance(keys, list)
    return next(k for k in keys if k["id"] == key_id)


def test_rotation_with_a_24h_grace_window(partner: Partner, owner: Browser, clock: MutableClock) -> None:
    app = f"/app/api/applications/{partner.application_id}"
    rotated_at = clock()
    response = owner.post(f"{app}/keys", {"grace": "24h"})
    assert response.status_code == 201, response.text
    new_key = response.json()["apiKey"]
    assert response.json()["replacedKeyIds"] == [partner.api_key_id]
    old = _key(response.json()["application"], partner.api_key_id)
    assert old["status"] == "expiring"
    expires_at = datetime.fromisoformat(str(old["expiresAt"]))
    assert timedelta(hours=24) <= expires_at - rotated_at < timedelta(hours=24, seconds=5)

    # Both keys authenticate during the window.
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "ok"
    assert outcome(call(partner.base_url, new_key, partner.private_key)) == "ok"

    # A second before the end the old key still works; once expiresAt passes it is expired, no job needed.
    clock.advance(seconds=(expires_at - clock()).total_seconds() - 1)
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key, now=clock.timestamp())) == "ok"
    clock.advance(seconds=2)
    now = clock.timestamp()
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key, now=now)) == "expired_key"
    assert outcome(call(partner.base_url, new_key, partner.private_key, now=now)) == "ok"


def test_rotation_without_grace_revokes_the_old_key_at_once(partner: Partner, owner: Browser) -> None:
    response = owner.post(f"/app/api/applications/{partner.application_id}/keys", {"grace": "none"})
    assert response.status_code == 201, response.text
    new_key = response.json()["apiKey"]
    assert _key(response.json()["application"], partner.api_key_id)["status"] == "revoked"
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "revoked_key"
    assert outcome(call(partner.base_url, new_key, partner.private_key)) == "ok"


def test_rotation_without_grace_also_revokes_keys_still_in_a_grace_window(partner: Partner, owner: Browser) -> None:
    """Suspected exposure: no key issued before this rotation may keep working, whatever its state."""
    app = f"/app/api/applications/{partner.application_id}"
    graced = owner.post(f"{app}/keys", {"grace": "7d"}).json()  # the original key is now expiring
    assert _key(graced["application"], partner.api_key_id)["status"] == "expiring"
    cut = owner.post(f"{app}/keys", {"grace": "none"})
    assert cut.status_code == 201, cut.text
    assert sorted(cut.json()["replacedKeyIds"]) == sorted([partner.api_key_id, graced["key"]["id"]])
    statuses = {k["id"]: k["status"] for k in cut.json()["application"]["keys"]}
    assert statuses == {
        partner.api_key_id: "revoked",
        graced["key"]["id"]: "revoked",
        cut.json()["key"]["id"]: "active",
    }
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "revoked_key"
    assert outcome(call(partner.base_url, graced["apiKey"], partner.private_key)) == "revoked_key"
    assert outcome(call(partner.base_url, cut.json()["apiKey"], partner.private_key)) == "ok"


def test_rollback_new_key_bad_switch_back_to_the_old_expiring_key(partner: Partner, owner: Browser) -> None:
    """§7: new key bad and old key still active/expiring → the partner switches back to the old key; it works."""
    app = f"/app/api/applications/{partner.application_id}"
    first = owner.post(f"{app}/keys", {"grace": "7d"}).json()
    bad_key, bad_key_id = first["apiKey"], first["key"]["id"]
    old_expiry = _key(first["application"], partner.api_key_id)["expiresAt"]
    # The new key's deployment went wrong (say it was pasted into a public ticket): revoke it.
    assert owner.post(f"{app}/keys/{bad_key_id}/revoke", {"reason": "leaked in a ticket"}).status_code == 200
    assert outcome(call(partner.base_url, bad_key, partner.private_key)) == "revoked_key"
    # Traffic switched back to the old key: it still works within its window.
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "ok"
    # A fresh replacement later leaves the old expiring key's window untouched, so the switch-back stays safe.
    second = owner.post(f"{app}/keys", {"grace": "24h"}).json()
    assert second["replacedKeyIds"] == []
    assert _key(second["application"], partner.api_key_id)["expiresAt"] == old_expiry
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "ok"
    assert outcome(call(partner.base_url, second["apiKey"], partner.private_key)) == "ok"


def test_rollback_old_key_revoked_create_another_replacement(partner: Partner, owner: Browser) -> None:
    """§7: old key revoked → create another replacement key (the revoked one never comes back)."""
    app = f"/app/api/applications/{partner.application_id}"
    first = owner.post(f"{app}/keys", {"grace": "none"}).json()  # old key revoked at once
    # The replacement never reached production (lost): revoke it too, leaving no usable key at all.
    assert owner.post(f"{app}/keys/{first['key']['id']}/revoke").status_code == 200
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "revoked_key"
    assert outcome(call(partner.base_url, first["apiKey"], partner.private_key)) == "revoked_key"

    another = owner.post(f"{app}/keys", {"grace": "1h"})
    assert another.status_code == 201
    assert outcome(call(partner.base_url, another.json()["apiKey"], partner.private_key)) == "ok"
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "revoked_key"
    statuses = {k["id"]: k["status"] for k in another.json()["application"]["keys"]}
    assert statuses == {
        partner.api_key_id: "revoked",
        first["key"]["id"]: "revoked",
        another.json()["key"]["id"]: "active",
    }


def test_rollback_wrong_public_key_replaced_again(partner: Partner, owner: Browser) -> None:
    """§7: wrong public key uploaded → replace it again with the right one; the deployed private key works at once."""
    app = f"/app/api/applications/{partner.application_id}"
    wrong = new_rsa_key()
    assert owner.put(f"{app}/signing-key", {"publicKey": public_pem(wrong)}).status_code == 200
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "invalid_signature"
    fixed = owner.put(f"{app}/signing-key", {"publicKey": public_pem(partner.private_key)})
    assert fixed.status_code == 200, fixed.text
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "ok"


def test_replacing_the_signing_key(partner: Partner, owner: Browser) -> None:
    app = f"/app/api/applications/{partner.application_id}"
    before = owner.get(app).json()["signingKey"]
    new_private = new_rsa_key(3072)
    replaced = owner.put(f"{app}/signing-key", {"publicKey": public_pem(new_private)})
    assert replaced.status_code == 200, replaced.text
    after = replaced.json()["signingKey"]
    assert after["fingerprint"] != before["fingerprint"]
    assert after["bits"] == 3072

    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "invalid_signature"
    assert outcome(call(partner.base_url, partner.api_key, new_private)) == "ok"

    restored = owner.put(f"{app}/signing-key", {"publicKey": public_pem(partner.private_key)})
    assert restored.json()["signingKey"]["fingerprint"] == before["fingerprint"]
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "ok"
    assert outcome(call(partner.base_url, partner.api_key, new_private)) == "invalid_signature"

    # Re-submitting the current key changes nothing and says so.
    same = owner.put(f"{app}/signing-key", {"publicKey": public_pem(partner.private_key)})
    assert same.status_code == 409
    assert same.json()["code"] == "conflict"


def test_disabled_application_is_refused_until_enabled(partner: Partner, owner: Browser) -> None:
    app = f"/app/api/applications/{partner.application_id}"
    disabled = owner.post(f"{app}/disable", {"reason": "suspicious traffic"})
    assert disabled.status_code == 200
    assert disabled.json()["status"] == "disabled"
    # The key and the JWT are otherwise valid.
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "disabled_application"
    again = owner.post(f"{app}/disable")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_state")

    enabled = owner.post(f"{app}/enable")
    assert enabled.json()["status"] == "enabled"
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "ok"


def test_shortening_and_ending_a_grace_window(partner: Partner, owner: Browser, clock: MutableClock) -> None:
    app = f"/app/api/applications/{partner.application_id}"
    owner.post(f"{app}/keys", {"grace": "7d"})
    expire = f"{app}/keys/{partner.api_key_id}/expire"
    sooner = (clock() + timedelta(hours=2)).isoformat()
    shortened = owner.post(expire, {"at": sooner})
    assert shortened.status_code == 200, shortened.text
    assert datetime.fromisoformat(_key(shortened.json(), partner.api_key_id)["expiresAt"]) == datetime.fromisoformat(  # type: ignore[arg-type]
        sooner
    )
    # Windows only shrink; an end in the past is refused (use "now").
    later = owner.post(expire, {"at": (clock() + timedelta(hours=3)).isoformat()})
    assert (later.status_code, later.json()["errors"][0]["field"]) == (422, "at")
    past = owner.post(expire, {"at": (clock() - timedelta(minutes=1)).isoformat()})
    assert (past.status_code, past.json()["errors"][0]["field"]) == (422, "at")
    naive = owner.post(expire, {"at": "2030-01-01T00:00:00"})
    assert naive.status_code == 422

    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "ok"
    ended = owner.post(expire, {"at": "now"})
    assert _key(ended.json(), partner.api_key_id)["status"] == "expired"
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "expired_key"
    again = owner.post(expire, {"at": "now"})
    assert (again.status_code, again.json()["code"]) == (409, "invalid_state")


def test_only_expiring_keys_can_be_shortened_and_revocation_is_final(partner: Partner, owner: Browser) -> None:
    app = f"/app/api/applications/{partner.application_id}"
    active = owner.post(f"{app}/keys/{partner.api_key_id}/expire", {"at": "now"})
    assert (active.status_code, active.json()["code"]) == (409, "invalid_state")
    assert owner.post(f"{app}/keys/{partner.api_key_id}/revoke").status_code == 200
    for attempt in (
        owner.post(f"{app}/keys/{partner.api_key_id}/revoke"),
        owner.post(f"{app}/keys/{partner.api_key_id}/expire", {"at": "now"}),
    ):
        assert (attempt.status_code, attempt.json()["code"]) == (409, "invalid_state")
    # Rotation never touches a revoked key either.
    rotated = owner.post(f"{app}/keys", {"grace": "24h"}).json()
    assert _key(rotated["application"], partner.api_key_id)["status"] == "revoked"
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "revoked_key"


def test_permission_changes_take_effect_on_the_next_request(partner: Partner, owner: Browser) -> None:
    app = f"/app/api/applications/{partner.application_id}"
    changed = owner.put(f"{app}/permissions", {"permissions": ["CUSTOMERS_READ"]})
    assert changed.json()["permissions"] == ["CUSTOMERS_READ"]
    response = call(partner.base_url, partner.api_key, partner.private_key)
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    invalid = owner.put(f"{app}/permissions", {"permissions": ["CUSTOMERS_WRITE", "NOPE"]})
    assert invalid.status_code == 422
    messages = " ".join(e["message"] for e in invalid.json()["errors"])
    assert "NOPE" in messages
    assert "requires CUSTOMERS_READ" in messages
    owner.put(f"{app}/permissions", {"permissions": ["CRYPTO_READ"]})
    assert outcome(call(partner.base_url, partner.api_key, partner.private_key)) == "ok"
