from __future__ import annotations

from nuvera.auth.permissions import Permission
from tests.harness import Factory


def test_signed_calls_read_the_seeded_reference_data(factory: Factory) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    with partner.client() as client:
        assets = client.get("/api/v1/crypto/assets")
        usdc = client.get("/api/v1/crypto/assets/usdc")
        networks = client.get("/api/v1/crypto/networks")
        missing = client.get("/api/v1/crypto/assets/NOPE")
    assert assets.status_code == 200
    codes = [a["code"] for a in assets.json()["items"]]
    assert {"BTC", "ETH", "USDC", "USDT"} <= set(codes)
    assert usdc.json() == {
        "code": "USDC",
        "name": "USD Coin",
        "decimals": 6,
        "networks": ["ETHEREUM", "POLYGON", "SOLANA"],
    }
    network = next(n for n in networks.json()["items"] if n["code"] == "ETHEREUM")
    assert network["nativeAsset"] == "ETH"
    assert network["confirmations"] > 0
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


def test_crypto_routes_require_crypto_read(factory: Factory) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ])
    with partner.client() as client:
        response = client.get("/api/v1/crypto/assets")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert response.json()["permission"] == "CRYPTO_READ"
    assert "CRYPTO_READ" in response.json()["detail"]


def test_reference_lists_page_by_code_with_scoped_cursors(factory: Factory) -> None:
    partner = factory.partner([Permission.CRYPTO_READ])
    with partner.client() as client:
        everything = client.get("/api/v1/crypto/assets", params={"limit": 100}).json()
        first = client.get("/api/v1/crypto/assets", params={"limit": 2}).json()
        second = client.get("/api/v1/crypto/assets", params={"limit": 2, "cursor": first["nextCursor"]}).json()
        on_networks = client.get("/api/v1/crypto/networks", params={"cursor": first["nextCursor"]})
        forged = client.get("/api/v1/crypto/assets", params={"cursor": first["nextCursor"][:-2] + "AA"})
        too_many = client.get("/api/v1/crypto/networks", params={"limit": 101})
    codes = [a["code"] for a in everything["items"]]
    assert codes == sorted(codes)
    assert everything["hasMore"] is False
    assert everything["nextCursor"] is None
    assert first["hasMore"] is True
    assert [a["code"] for a in first["items"] + second["items"]] == codes[:4]
    for refused in (on_networks, forged):  # a cursor belongs to its own list
        assert refused.status_code == 400
        assert refused.json()["code"] == "invalid_cursor"
    assert too_many.status_code == 422
