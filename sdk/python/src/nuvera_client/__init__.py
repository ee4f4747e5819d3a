"""Python client for the Nuvera REST API: typed methods for every operation, each request signed as
partner-api.md §5 requires (an RS256 JWT bound to the method, the exact URI and the body bytes)."""

from nuvera_client._core import RetryPolicy
from nuvera_client._core import __version__ as __version__
from nuvera_client._operations import OPERATIONS
from nuvera_client.async_client import AsyncNuveraClient
from nuvera_client.client import NuveraClient
from nuvera_client.errors import (
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    NuveraAPIError,
    NuveraConnectionError,
    NuveraError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    UnsupportedMediaTypeError,
    ValidationError,
)
from nuvera_client.signing import (
    NuveraAuth,
    body_hash,
    build_claims,
    load_private_key,
    mask_api_key,
    sign_claims,
    sign_request,
)
from nuvera_client.webhooks import WebhookVerificationError, verify_webhook

__all__ = [
    "OPERATIONS",
    "AsyncNuveraClient",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "NotFoundError",
    "NuveraAPIError",
    "NuveraAuth",
    "NuveraClient",
    "NuveraConnectionError",
    "NuveraError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RetryPolicy",
    "ServerError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "WebhookVerificationError",
    "body_hash",
    "build_claims",
    "load_private_key",
    "mask_api_key",
    "sign_claims",
    "sign_request",
    "verify_webhook",
]
