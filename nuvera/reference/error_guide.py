"""What each stable error code means and how to fix it.

One table feeds three readers: the `/api-reference/errors` page (the `type` URI of every problem body points at
`/api-reference/errors#<code>`), the examples in the OpenAPI document, and `nuvera request`, which prints the fix
next to the server's code. The HTTP status and title stay in `nuvera.errors.ERROR_CODES`, the single source of
truth; a test fails when an `ErrorCode` has no entry here or an entry names no `ErrorCode`. Keyed by the wire
values, without importing `nuvera.errors`: `nuvera request` runs on the partner side and loads no server module.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorHelp:
    meaning: str
    fix: str
    example_detail: str


# The signed-request checks, in the order the server runs them (README, "Errors"); organization_not_allowed (403)
# runs right after disabled_application, and permission_denied last, once the request is routed.
AUTH_CODES_401 = (
    "missing_api_key",
    "invalid_api_key",
    "revoked_key",
    "expired_key",
    "disabled_application",
    "missing_signature",
    "invalid_signature",
    "expired_jwt",
    "jwt_lifetime_too_long",
    "jwt_issued_in_future",
    "jwt_not_yet_valid",
    "wrong_issuer_or_audience",
    "subject_mismatch",
    "method_mismatch",
    "uri_mismatch",
    "body_hash_mismatch",
    "replay_detected",
)
AUTH_CODES_403 = ("organization_not_allowed", "permission_denied")

ERROR_GUIDE: dict[str, ErrorHelp] = {
    "missing_api_key": ErrorHelp(
        "The request carried no `x-api-key` header.",
        "Send the application's API key in `x-api-key` on every `/api/v1` request.",
        "Send the API key in the x-api-key header.",
    ),
    "invalid_api_key": ErrorHelp(
        "The API key is unknown, malformed, has a wrong checksum, or several `x-api-key` headers were sent.",
        "Copy the full key (`nvk_…`) again without spaces or line breaks and send exactly one `x-api-key` header. "
        "A lost key cannot be shown again: create a replacement key.",
        "The API key is not valid.",
    ),
    "revoked_key": ErrorHelp(
        "The API key was revoked; it is never accepted again.",
        "Switch to the application's current key, or create a replacement key under Settings → Platform → "
        "API Applications.",
        "This API key was revoked.",
    ),
    "expired_key": ErrorHelp(
        "The key was being rotated out (`expiring`) and its grace window has passed.",
        "Deploy the replacement key created during the rotation.",
        "This API key expired at its expiresAt time.",
    ),
    "disabled_application": ErrorHelp(
        "The API application was disabled (for example in an emergency); every request is refused.",
        "Ask an owner or admin of your organization to re-enable the application once it is safe.",
        "This API application is disabled.",
    ),
    "organization_not_allowed": ErrorHelp(
        "The key belongs to an organization that may not use the REST API (customer platform, admin).",
        "Use an API application owned by a partner organization.",
        "This organization may not use the REST API.",
    ),
    "missing_signature": ErrorHelp(
        "No `Authorization: Bearer <JWT>` header, or it is malformed.",
        "Sign each request (see the signing guide) and send `Authorization: Bearer <JWT>`.",
        "Send the request signature as Authorization: Bearer <JWT>.",
    ),
    "invalid_signature": ErrorHelp(
        "The JWT does not verify with the application's registered public key: another key signed it, `alg` is "
        "not RS256, it is malformed, a claim is missing, not an integer, or present twice, the header names a "
        "key (`jwk`, `jku`, `x5u`, `x5c`, `crit`), or the token is longer than 8,192 characters (`detail` then "
        "gives its length: the `uri` claim carries the whole path and query).",
        "Sign with RS256 using the private key whose public key is registered on this application (compare the "
        "SHA256 fingerprints), and send every claim of the claim table exactly once.",
        "The request signature does not verify with this application's public key.",
    ),
    "expired_jwt": ErrorHelp(
        "The JWT's `exp` is more than 30 seconds in the past.",
        "Sign each request just before sending it (never reuse a token) and keep the machine's clock in sync (NTP).",
        "The request signature expired.",
    ),
    "jwt_lifetime_too_long": ErrorHelp(
        "`exp - iat` is greater than 60 seconds.",
        "Set `exp` at most 60 seconds after `iat` (30 is a good default).",
        "exp may be at most 60 seconds after iat.",
    ),
    "jwt_issued_in_future": ErrorHelp(
        "The JWT's `iat` is more than 30 seconds ahead of the server's clock.",
        "Synchronise the client's clock (NTP) and use the current Unix time in seconds, not milliseconds.",
        "iat is in the future.",
    ),
    "jwt_not_yet_valid": ErrorHelp(
        "The JWT carries an `nbf` (not before) more than 30 seconds ahead of the server's clock.",
        "Leave `nbf` out (it is optional), or set it to `iat`; keep the client's clock in sync (NTP).",
        "nbf is 120 s ahead of server time: the token is not valid yet.",
    ),
    "wrong_issuer_or_audience": ErrorHelp(
        "`iss` is not `nuvera-api` or `aud` is not the single string `nuvera-rest-api`.",
        "Set `iss` to `nuvera-api` and `aud` to `nuvera-rest-api` (a string, not a list).",
        "iss must be nuvera-api and aud must be nuvera-rest-api.",
    ),
    "subject_mismatch": ErrorHelp(
        "The JWT's `sub` is not the API key sent in `x-api-key`.",
        "Put the exact API key you send in `x-api-key` into the `sub` claim.",
        "sub must be the API key sent in x-api-key.",
    ),
    "method_mismatch": ErrorHelp(
        "The `method` claim differs from the request's HTTP method.",
        "Sign the HTTP method you send, in upper case (`GET`, `POST`, …).",
        "The signature is for GET but the request is POST.",
    ),
    "uri_mismatch": ErrorHelp(
        "The `uri` claim differs from the path and query the server received.",
        "Sign the path and query exactly as sent, byte for byte: same parameter order, same percent-encoding, no "
        "scheme or host. `detail` shows the URI the server received.",
        "The signature is for /api/v1/customers?limit=20 but the request URI is /api/v1/customers?limit=10.",
    ),
    "body_hash_mismatch": ErrorHelp(
        "The `bodyHash` claim is not the SHA-256 of the body bytes the server received.",
        "Serialise the body once, hash those exact bytes (lowercase hex SHA-256; the empty body hashes to "
        "`e3b0c442…b855`; for multipart, the whole encoded body with its boundaries) and send the same bytes. "
        "`detail` shows the server's hash and the byte count.",
        "bodyHash does not match the 17 body bytes received (sha256 5e0f…).",
    ),
    "replay_detected": ErrorHelp(
        "A request with this `jti` was already accepted for this application.",
        "Sign every request (and every retry) anew with a fresh random `jti`.",
        "This jti was already used.",
    ),
    "permission_denied": ErrorHelp(
        "The API application lacks the permission the operation requires (named in `permission`).",
        "An owner or admin adds the permission (and its read permission) in Settings → Platform → API Applications.",
        "This API application lacks the CUSTOMERS_WRITE permission.",
    ),
    "bad_request": ErrorHelp(
        "The request is malformed in a way no more specific code describes: for example a body that is not "
        "parseable JSON, or a request with both `Content-Length` and `Transfer-Encoding` (refused before anything "
        "else, and the connection is closed). Bytes the HTTP parser refuses get it too, and the connection is "
        "closed: a malformed request line or header, a lower-case method, a head still incomplete after 16 KiB.",
        "Read `detail`, correct the request and send it again; send either `Content-Length` or "
        "`Transfer-Encoding: chunked`, never both.",
        "The request is malformed.",
    ),
    "invalid_cursor": ErrorHelp(
        "The pagination `cursor` is forged, damaged, or belongs to another list (other filters, another organization).",
        "Pass back the `nextCursor` of the previous page unchanged, with the same filters, or start without a cursor.",
        "The cursor is not valid for this list; start again without a cursor.",
    ),
    "unauthenticated": ErrorHelp(
        "The management API needs a signed-in web session.",
        "Sign in with `POST /app/api/session` and send the session cookie. An account with two-factor "
        "authentication also sends `oneTimeCode` (a TOTP or an unused recovery code).",
        "Sign in first.",
    ),
    "forbidden": ErrorHelp(
        "The signed-in user's role or organization does not allow this action, or the organization requires "
        "two-factor authentication and the user has not turned it on yet.",
        "Ask an owner or admin of the organization; or turn on two-factor authentication under Settings → Security.",
        "Your role does not allow this action.",
    ),
    "csrf_failed": ErrorHelp(
        "A state-changing management request lacked the right `x-csrf-token` header.",
        "Send the `csrfToken` returned at sign-in in the `x-csrf-token` header.",
        "Missing or wrong x-csrf-token.",
    ),
    "not_found": ErrorHelp(
        "No such object in your organization. Another organization's objects answer exactly like missing ones.",
        "Check the id, and that it was created with an application of the same organization.",
        "Customer not found",
    ),
    "method_not_allowed": ErrorHelp(
        "The path exists but not with this HTTP method.",
        "Use a method the API reference lists for this path.",
        "Method Not Allowed",
    ),
    "conflict": ErrorHelp(
        "The request conflicts with the current state of another object (for example a duplicate).",
        "Read `detail`, fetch the current state and decide again.",
        "This object already exists.",
    ),
    "invalid_state": ErrorHelp(
        "The object's status does not allow this operation (for example editing an approved customer).",
        "Fetch the object, check its `status`, and follow the allowed transitions in the reference.",
        "The customer's status APPROVED does not allow this.",
    ),
    "webhook_target_forbidden": ErrorHelp(
        "The webhook URL's host is, or resolves to, a private, loopback, link-local, carrier-grade NAT, multicast "
        "or cloud-metadata address. Webhooks go to public addresses only (checked again before every delivery).",
        "Use a publicly reachable HTTPS URL. For a receiver inside your own network, ask Nuvera (the operator "
        "allow-list), or expose it through a public reverse proxy.",
        "the URL points to a private, loopback, link-local or otherwise internal address",
    ),
    "webhook_target_unresolvable": ErrorHelp(
        "The webhook URL's host name does not resolve in DNS (from Nuvera's servers).",
        "Check the spelling of the host name and that its DNS records are published.",
        "the host 'hooks.example.invalid' does not resolve",
    ),
    "idempotency_in_flight": ErrorHelp(
        "A request with this `Idempotency-Key` is still being processed.",
        "Wait for `Retry-After` seconds, then retry with the same key and body: you get the original outcome.",
        "A request with this Idempotency-Key is still in flight.",
    ),
    "payload_too_large": ErrorHelp(
        "The body is over the operation's cap: 20 MiB for a multipart document upload, 1 MiB for every other "
        "operation, whatever `Content-Type` is sent.",
        "Send a smaller body (split or compress the document).",
        "The body may be at most 1048576 bytes for this operation.",
    ),
    "uri_too_long": ErrorHelp(
        "The request target (path and query) of an `/api/v1` request is over 4,096 bytes; it is refused before "
        "authentication, because its `uri` claim would not fit in a request signature (at most 8,192 characters).",
        "Shorten the query: page with `cursor` and `limit`, and filter with the documented parameters. Every URI "
        "the API itself produces (its cursors and filters) stays far below the limit.",
        "The request target (path and query) is 5600 bytes; at most 4096 are accepted.",
    ),
    "request_timeout": ErrorHelp(
        "The request did not arrive in time: its request line and headers within 10 s by default, or its body "
        "within 30 s from its first byte (or less arrived than `Content-Length` announced). The connection is "
        "closed.",
        "Send the whole request promptly, with a `Content-Length` that matches the body; retry on a fresh connection.",
        "The request body did not arrive within 30 s.",
    ),
    "unsupported_media_type": ErrorHelp(
        "The body's media type or encoding is not accepted here: a JSON body that is not UTF-8 (UTF-16, UTF-32, a "
        "byte order mark, invalid bytes) or whose `Content-Type` names another charset, or a document that is not "
        "a PDF, PNG or JPEG, judged from its bytes.",
        "Send the content type the operation documents: JSON as UTF-8 without a BOM (RFC 8259), with no charset "
        "or `charset=utf-8`; for documents, a real PDF, PNG or JPEG file.",
        "The JSON body starts with a byte order mark: send UTF-8 without a BOM (RFC 8259).",
    ),
    "validation_error": ErrorHelp(
        "Some fields are missing or invalid; `errors` lists each one as `{field, message}`.",
        "Correct each field named in `errors` and send the request again.",
        "The request has invalid fields: companyName",
    ),
    "idempotency_conflict": ErrorHelp(
        "This `Idempotency-Key` was already used with a different request.",
        "Use a new key for a new payment; reuse a key only to retry exactly the same request.",
        "This Idempotency-Key was used with a different request.",
    ),
    "idempotency_key_required": ErrorHelp(
        "Payment execution needs an `Idempotency-Key` header.",
        "Send a unique key per payment (for example a UUID) in `Idempotency-Key`, and reuse it on retries.",
        "The Idempotency-Key header is required.",
    ),
    "quote_expired": ErrorHelp(
        "The quote is older than its validity (`expiresAt`).",
        "Create a new quote and execute it before it expires.",
        "The quote expired.",
    ),
    "quote_already_used": ErrorHelp(
        "The quote was already executed; a quote pays once.",
        "Create a new quote for a new payment (to retry the same payment, reuse its Idempotency-Key).",
        "The quote was already used.",
    ),
    "customer_not_approved": ErrorHelp(
        "Payments need a customer in status `APPROVED`.",
        "Wait for the customer's KYB review to approve it.",
        "The customer is not APPROVED.",
    ),
    "beneficiary_not_approved": ErrorHelp(
        "Payments need a beneficiary in status `APPROVED`.",
        "Wait for the beneficiary's review to approve it.",
        "The beneficiary is not APPROVED.",
    ),
    "customer_on_hold": ErrorHelp(
        "Sanctions screening put the customer (or one of its persons) on payment hold: its screening is still "
        "pending (it runs within seconds of a create or change), or a match is open or confirmed.",
        "If the detail says screening pending, retry shortly; otherwise wait for Nuvera's compliance team to resolve "
        "the match. See the customer's screening.",
        "The customer is on payment hold.",
    ),
    "beneficiary_on_hold": ErrorHelp(
        "Sanctions screening put the beneficiary on payment hold: its screening is still pending (it runs within "
        "seconds of a create or change), or a match is open or confirmed.",
        "If the detail says screening pending, retry shortly; otherwise wait for Nuvera's compliance team to resolve "
        "the match. See the beneficiary's screening.",
        "The beneficiary is on payment hold.",
    ),
    "rate_limited": ErrorHelp(
        "Too many requests (or failed sign-ins) in a short time.",
        "Wait for the `Retry-After` seconds, then retry with a fresh signature.",
        "Too many requests; retry after the Retry-After seconds.",
    ),
    "internal_error": ErrorHelp(
        "An unexpected error on Nuvera's side.",
        "Retry later; if it persists, quote the `requestId` to support.",
        "Something went wrong on our side; quote the requestId to support.",
    ),
    "dependency_unavailable": ErrorHelp(
        "A service Nuvera depends on is unavailable for a moment, or the replay store lost its memory moments ago "
        "(a restart) and cannot vouch that your token was not used before. Nothing was changed.",
        "Sign the request again (new iat and jti) and retry with backoff: safe for reads and for payment execution "
        "with the same Idempotency-Key. After a replay-store reset, new tokens are accepted within 31 s.",
        "The replay store lost its memory moments ago and cannot vouch that this token was not used before; sign "
        "this request again with a fresh iat and jti in a few seconds.",
    ),
}


def fix_for(code: str) -> str | None:
    help_ = ERROR_GUIDE.get(code)
    return help_.fix if help_ else None
