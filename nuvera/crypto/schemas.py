from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from nuvera.schemas import CamelModel, ListOut

Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_]{2,20}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


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


class CryptoAssetList(ListOut[CryptoAssetOut]):
    pass


class CryptoNetworkList(ListOut[CryptoNetworkOut]):
    pass


class _ReferenceItem(CamelModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field must not be dropped silently


class NetworkIn(_ReferenceItem):
    code: Code
    name: Name
    native_asset: Code
    confirmations: int = Field(ge=1, le=10_000)
    address_format: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AssetIn(_ReferenceItem):
    code: Code
    name: Name
    decimals: int = Field(ge=0, le=36)
    networks: list[Code] = Field(min_length=1, max_length=50)


class ReferenceData(_ReferenceItem):
    """The reference-data file (`nuvera/crypto/reference_data.json` is the bundled one)."""

    networks: list[NetworkIn] = Field(default_factory=list, max_length=500)
    assets: list[AssetIn] = Field(default_factory=list, max_length=500)
