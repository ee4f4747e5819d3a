"""The route class of every page and form route: bounded body, sign-in redirect, HTML error pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse

from nuvera.accounts.routing import BoundedBodyRoute
from nuvera.errors import ErrorCode, NuveraError, field_errors
from nuvera.web.rendering import error_page
from nuvera.web.viewer import SECURITY_PATH, SignInRequired, TwoFactorEnrolmentRequired, sign_in_redirect


class WebRoute(BoundedBodyRoute):
    """Like the management API's routes (body capped before it is buffered), but a browser navigating gets pages:
    no session → redirect to sign-in; an expected error → an HTML page with the error's status and message.

    The request's transaction has already been rolled back when the error reaches this wrapper.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                return sign_in_redirect(request)
            except TwoFactorEnrolmentRequired:
                return RedirectResponse(SECURITY_PATH + "?notice=two-factor-required", status_code=303)
            except NuveraError as exc:
                if exc.code == ErrorCode.UNAUTHENTICATED:
                    return sign_in_redirect(request)
                return error_page(request, exc)
            except RequestValidationError as exc:
                # Field names and messages only: the submitted values are never echoed back.
                errors = field_errors(exc.errors(), default="form")
                return error_page(
                    request, NuveraError(ErrorCode.VALIDATION_ERROR, "The form has invalid fields.", errors=errors)
                )

        return handle
