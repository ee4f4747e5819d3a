from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from nuvera.auth.dependencies import require
from nuvera.auth.permissions import Permission
from nuvera.auth.principal import Principal
from nuvera.crypto import service
from nuvera.crypto.schemas import CryptoAssetList, CryptoAssetOut, CryptoNetworkList, CryptoNetworkOut
from nuvera.dependencies import CursorParam, LimitParam, ServerSecretDep, SessionDep
from nuvera.pagination import DEFAULT_LIMIT
from nuvera.routing import OneHopRoute
from nuvera.schemas import INVALID_CURSOR
from nuvera.wire import Rendering

router = APIRouter(prefix="/api/v1/crypto", tags=["Crypto"], route_class=OneHopRoute)
CryptoReader = Annotated[Principal, Depends(require(Permission.CRYPTO_READ))]
ASSETS, NETWORKS = Rendering.of(CryptoAssetOut), Rendering.of(CryptoNetworkOut)


@router.get(
    "/assets", operation_id="CryptoController_listAssets", response_model=CryptoAssetList, responses=INVALID_CURSOR
)
def list_assets(
    _principal: CryptoReader,
    session: SessionDep,
    secret: ServerSecretDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> Response:
    """Supported crypto assets with their decimals and the networks they move on, by code."""
    page = service.list_assets(session, cursor=cursor, limit=limit, secret=secret)
    return ASSETS.page(page)


@router.get("/assets/{code}", operation_id="CryptoController_getAsset", response_model=CryptoAssetOut)
def get_asset(code: str, _principal: CryptoReader, session: SessionDep) -> CryptoAssetOut:
    """One asset by its code (case-insensitive, e.g. `USDC`)."""
    return CryptoAssetOut.model_validate(service.get_asset(session, code))


@router.get(
    "/networks",
    operation_id="CryptoController_listNetworks",
    response_model=CryptoNetworkList,
    responses=INVALID_CURSOR,
)
def list_networks(
    _principal: CryptoReader,
    session: SessionDep,
    secret: ServerSecretDep,
    cursor: CursorParam = None,
    limit: LimitParam = DEFAULT_LIMIT,
) -> Response:
    """Supported networks: native asset, confirmations required, address format; by code."""
    page = service.list_networks(session, cursor=cursor, limit=limit, secret=secret)
    return NETWORKS.page(page)
