"""A route class for browser-facing JSON endpoints that caps the request body before it is buffered.

The signed partner API has its cap in the authentication middleware (/api/v1 only); session endpoints would
otherwise read any body size into memory, and sign-in is open to anyone. FastAPI buffers the body before it
resolves dependencies, so the cap has to sit in the route handler itself.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from nuvera.errors import ErrorCode, NuveraError

# The largest legitimate body is a public key PEM (≤ 16 KiB) with a few fields around it.
MAX_BODY_BYTES = 64 * 1024


class BoundedBodyRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            too_large = NuveraError(ErrorCode.PAYLOAD_TOO_LARGE, f"The body may be at most {MAX_BODY_BYTES} bytes.")
            declared = request.headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
                raise too_large
            body = bytearray()
            async for chunk in request.stream():  # also bounds chunked bodies, which declare no length
                body += chunk
                if len(body) > MAX_BODY_BYTES:
                    raise too_large
            # Starlette caches the body on the request; the handler parses these same bytes.
            request._body = bytes(body)
            return await handler(request)

        return bounded
