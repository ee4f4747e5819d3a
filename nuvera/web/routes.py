"""The web app's router: one `include_router` in `nuvera.app` (plus the static files mount, `STATIC_MOUNT`)."""

from __future__ import annotations

from fastapi import APIRouter

from nuvera.web import applications, hub, partner_data, request_log, security, sign_in, team, webhooks

STATIC_MOUNT = "/app/static"

router = APIRouter(include_in_schema=False)
router.include_router(sign_in.router)
router.include_router(applications.json_router)
router.include_router(applications.router)
router.include_router(request_log.router)
router.include_router(hub.router)
router.include_router(security.router)
router.include_router(team.router)
router.include_router(partner_data.router)
router.include_router(webhooks.router)
