from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.crypto import service
from nuvera.crypto.schemas import CryptoAssetList, CryptoAssetOut, CryptoNetworkList, CryptoNetworkOut
from nuvera.dependencies import SessionDep

router = APIRouter(prefix="/api/v1/crypto", tags=["Crypto"])
CryptoReader = Annotated[Principal, Depends(require(Permission.CRYPTO_READ))]


@router.get("/assets", operation_id="CryptoController_listAssets", response_model=CryptoAssetList)
def list_assets(_principal: CryptoReader, session: SessionDep) -> CryptoAssetList:
    """Supported crypto assets with their decimals and the networks they move on."""
    return CryptoAssetList(items=[CryptoAssetOut.model_validate(a) for a in service.list_assets(session)])


@router.get("/assets/{code}", operation_id="CryptoController_getAsset", response_model=CryptoAssetOut)
def get_asset(code: str, _principal: CryptoReader, session: SessionDep) -> CryptoAssetOut:
    """One asset by its code (case-insensitive, e.g. `USDC`)."""
    return CryptoAssetOut.model_validate(service.get_asset(session, code))


@router.get("/networks", operation_id="CryptoController_listNetworks", response_model=CryptoNetworkList)
def list_networks(_principal: CryptoReader, session: SessionDep) -> CryptoNetworkList:
    """Supported networks: native asset, confirmations required, address format."""
    return CryptoNetworkList(items=[CryptoNetworkOut.model_validate(n) for n in service.list_networks(session)])
