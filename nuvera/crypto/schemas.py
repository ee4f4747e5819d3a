from __future__ import annotations

from nuvera.schemas import CamelModel


class CryptoAssetOut(CamelModel):
    code: str
    name: str
    decimals: int
    networks: list[str]


class CryptoNetworkOut(CamelModel):
    code: str
    name: str
    native_asset: str
    confirmations: int
    address_format: str


class CryptoAssetList(CamelModel):
    items: list[CryptoAssetOut]


class CryptoNetworkList(CamelModel):
    items: list[CryptoNetworkOut]
