"""Reads and loads the crypto reference data."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.crypto.models import CryptoAsset, CryptoNetwork
from nuvera.errors import NotFound


def list_assets(session: Session) -> list[CryptoAsset]:
    return list(session.scalars(select(CryptoAsset).order_by(CryptoAsset.code)))


def get_asset(session: Session, code: str) -> CryptoAsset:
    asset = session.get(CryptoAsset, code.upper())
    if asset is None:
        raise NotFound(f"Crypto asset {code!r}")
    return asset


def list_networks(session: Session) -> list[CryptoNetwork]:
    return list(session.scalars(select(CryptoNetwork).order_by(CryptoNetwork.code)))


def bundled_reference_data() -> dict[str, Any]:
    text = resources.files("nuvera.crypto").joinpath("reference_data.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def load_reference_data(session: Session, data: dict[str, Any]) -> tuple[int, int]:
    """Upsert networks and assets (used by the seed migration and by admins updating the data)."""
    for item in data["networks"]:
        session.merge(
            CryptoNetwork(
                code=item["code"],
                name=item["name"],
                native_asset=item["nativeAsset"],
                confirmations=item["confirmations"],
                address_format=item["addressFormat"],
            )
        )
    for item in data["assets"]:
        session.merge(
            CryptoAsset(code=item["code"], name=item["name"], decimals=item["decimals"], networks=item["networks"])
        )
    session.flush()
    return len(data["networks"]), len(data["assets"])
