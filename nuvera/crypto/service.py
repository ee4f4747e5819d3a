"""Reads and loads the crypto reference data."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.crypto.models import CryptoAsset, CryptoNetwork
from nuvera.crypto.schemas import ReferenceData
from nuvera.errors import FieldError, NotFound, field_errors, validation_error
from nuvera.pagination import Page, paginate_by_key

Reference = TypeVar("Reference", CryptoAsset, CryptoNetwork)


def list_assets(session: Session, *, cursor: str | None, limit: int, secret: bytes) -> Page[dict[str, Any]]:
    return _by_code(session, CryptoAsset, "crypto-assets", cursor=cursor, limit=limit, secret=secret)


def get_asset(session: Session, code: str) -> CryptoAsset:
    asset = session.get(CryptoAsset, code.upper())
    if asset is None:
        raise NotFound(f"Crypto asset {code!r}")
    return asset


def list_networks(session: Session, *, cursor: str | None, limit: int, secret: bytes) -> Page[dict[str, Any]]:
    return _by_code(session, CryptoNetwork, "crypto-networks", cursor=cursor, limit=limit, secret=secret)


def _by_code(
    session: Session, model: type[Reference], scope: str, *, cursor: str | None, limit: int, secret: bytes
) -> Page[dict[str, Any]]:
    """One page of the table's rows as dicts, by code."""
    return paginate_by_key(
        session, _COLUMNS[model], key=model.code, scope=scope, secret=secret, cursor=cursor, limit=limit
    )


_COLUMNS = {model: select(*model.__table__.columns) for model in (CryptoAsset, CryptoNetwork)}


def bundled_reference_data() -> dict[str, Any]:
    text = resources.files("nuvera.crypto").joinpath("reference_data.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def load_reference_data(session: Session, data: dict[str, Any]) -> tuple[int, int]:
    """Upsert networks and assets (the seed migration, and operators updating the data with `nuvera crypto load`).

    The whole file is checked before anything is written: field types and ranges, no code twice, and every asset's
    networks either in the file or already known. A refused file changes nothing.
    """
    try:
        reference = ReferenceData.model_validate(data)
    except ValidationError as exc:
        raise validation_error(field_errors(exc.errors())) from None
    errors = [
        FieldError(kind, f"code {code} appears more than once")
        for kind, codes in (
            ("networks", [n.code for n in reference.networks]),
            ("assets", [a.code for a in reference.assets]),
        )
        for code in sorted({c for c in codes if codes.count(c) > 1})
    ]
    known = {n.code for n in reference.networks} | set(session.scalars(select(CryptoNetwork.code)))
    errors += [
        FieldError(f"assets.{index}.networks", f"unknown network {network}")
        for index, asset in enumerate(reference.assets)
        for network in asset.networks
        if network not in known
    ]
    if errors:
        raise validation_error(errors)
    for network in reference.networks:
        session.merge(
            CryptoNetwork(
                code=network.code,
                name=network.name,
                native_asset=network.native_asset,
                confirmations=network.confirmations,
                address_format=network.address_format,
            )
        )
    for asset in reference.assets:
        session.merge(CryptoAsset(code=asset.code, name=asset.name, decimals=asset.decimals, networks=asset.networks))
    session.flush()
    return len(reference.networks), len(reference.assets)
