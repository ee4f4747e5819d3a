"""`nuvera crypto load`: operators update the reference data; a bad file is refused whole and changes nothing."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from tests.harness import Factory, operator_cli


def nuvera_crypto_load(settings: Settings, tmp_path: Path, data: Any) -> subprocess.CompletedProcess[str]:
    path = tmp_path / f"reference-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(data))
    return operator_cli(settings.resolved_database_url, tmp_path / "var", "crypto", "load", str(path), "--json")


def network(code: str) -> dict[str, Any]:
    return {"code": code, "name": f"Test net {code}", "nativeAsset": code, "confirmations": 5, "addressFormat": "0x…"}


def test_a_new_network_and_asset_are_served_at_once(settings: Settings, tmp_path: Path, factory: Factory) -> None:
    net, coin = f"N{uuid.uuid4().hex[:8].upper()}", f"C{uuid.uuid4().hex[:8].upper()}"
    data = {
        "networks": [network(net)],
        "assets": [{"code": coin, "name": "Test coin", "decimals": 6, "networks": [net, "ETHEREUM"]}],
    }
    loaded = nuvera_crypto_load(settings, tmp_path, data)
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout) == {"networks": 1, "assets": 1}
    partner = factory.partner([Permission.CRYPTO_READ])
    with partner.client() as client:
        asset = client.get(f"/api/v1/crypto/assets/{coin}").json()
        networks = {n["code"] for n in client.get("/api/v1/crypto/networks").json()["items"]}
    assert asset == {"code": coin, "name": "Test coin", "decimals": 6, "networks": [net, "ETHEREUM"]}
    assert net in networks

    # Loading again updates in place.
    data["assets"][0]["name"] = "Test coin v2"
    assert nuvera_crypto_load(settings, tmp_path, data).returncode == 0
    with partner.client() as client:
        assert client.get(f"/api/v1/crypto/assets/{coin}").json()["name"] == "Test coin v2"


def test_a_bad_file_is_refused_whole_with_what_to_fix(settings: Settings, tmp_path: Path, factory: Factory) -> None:
    net, coin = f"N{uuid.uuid4().hex[:8].upper()}", f"C{uuid.uuid4().hex[:8].upper()}"
    cases = [
        ({"networks": [network(net)], "assets": [{"code": coin, "name": "X", "decimals": 6, "networks": ["NOWHERE"]}]},
         "assets.0.networks: unknown network NOWHERE"),
        ({"networks": [network(net), network(net)]}, f"networks: code {net} appears more than once"),
        ({"assets": [{"code": coin, "name": "X", "decimals": -1, "networks": ["ETHEREUM"]}]}, "assets.0.decimals"),
        ({"assets": [{"code": coin, "name": "X", "decimals": 6, "networks": ["ETHEREUM"], "decimal": 6}]},
         "assets.0.decimal"),
        (["not", "an", "object"], "must hold a JSON object"),
    ]  # fmt: skip
    for data, message in cases:
        refused = nuvera_crypto_load(settings, tmp_path, data)
        assert refused.returncode != 0, data
        assert refused.stdout == ""
        assert refused.stderr.startswith("error: ")
        assert message in refused.stderr, refused.stderr
    partner = factory.partner([Permission.CRYPTO_READ])
    with partner.client() as client:
        networks = {n["code"] for n in client.get("/api/v1/crypto/networks").json()["items"]}
        assert client.get(f"/api/v1/crypto/assets/{coin}").status_code == 404
    assert net not in networks  # the valid network in the first file was not written either
