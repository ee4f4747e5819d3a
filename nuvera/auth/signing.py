"""Pure verification of the request-signing JWT (partner-api.md §5).

No I/O here: the caller supplies the application's stored public key, the request facts and the time, and gets
back either the verified claims or a Rejected with the stable code a partner can act on.

The signature is checked with PyJWT's RS256 implementation and the stored key object, before any claim is read.
The JOSE header and claims are parsed by us, strictly: JSON objects with duplicate names are refused (parsers
disagree on which value wins, which is how claim-smuggling attacks start), numbers must be integers, and `aud`
must be the single string.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import string
from dataclasses import dataclass
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from nuvera.errors import ErrorCode

ALGORITHM = "RS256"
ISSUER = "nuvera-api"
AUDIENCE = "nuvera-rest-api"
MAX_LIFETIME_SECONDS = 60
MAX_TOKEN_LENGTH = 8192
MAX_JTI_LENGTH = 200
# Header parameters that name or carry a key, or demand extensions we do not implement. The verifying key is
# always the application's stored key, so a token that tries to choose its own key is refused outright.
FORBIDDEN_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit", "b64"})
EMPTY_BODY_HASH = hashlib.sha256(b"").hexdigest()

_RS256 = RSAAlgorithm(RSAAlgorithm.SHA256)
# Three non-empty strict base64url segments (no padding, no other characters): the lenient decoder would
# otherwise ignore stray bytes and accept many spellings of one token.
_COMPACT_JWS = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)")
_B64URL_VALUE = {
    ch: value for value, ch in enumerate(string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_")
}
# Characters modulo 4 → unused low bits of the last character (1 is a length no encoder produces).
_SPARE_BITS = {0: 0, 2: 4, 3: 2}


class RequestFacts(NamedTuple):
    api_key: str
    method: str
    uri: str


class SignedClaims(NamedTuple):
    jti: str
    iat: int
    exp: int
    body_hash: str


@dataclass(frozen=True)
class Rejected:
    code: ErrorCode
    detail: str


class _DuplicateClaim(ValueError):
    pass


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        names = [name for name, _ in pairs]
        raise _DuplicateClaim(next(name for name in names if names.count(name) > 1))
    return result


_STRICT_JSON = json.JSONDecoder(object_pairs_hook=_unique_object)


def _b64decode(segment: str) -> bytes:
    """Strict base64url: raises ValueError unless `segment` is the one canonical spelling of its bytes.

    The caller has matched `segment` against the base64url alphabet. The library decoder raises binascii.Error
    on an impossible length (4n+1 characters: a 500 before this check existed), and ignores the unused low bits
    of the last character, so one RS256 signature had 16 accepted spellings. A token that verifies must be
    exactly the token that was signed, so those bits must be zero.
    """
    remainder = len(segment) % 4
    if remainder == 1:
        raise ValueError("no base64url encoding has this length")
    spare_bits = _SPARE_BITS[remainder]
    if _B64URL_VALUE[segment[-1]] & ((1 << spare_bits) - 1):
        raise ValueError("not the canonical base64url spelling")
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _json_object(data: bytes) -> Any:
    # JWS segments are UTF-8 JSON (RFC 7515 §5.2). One shared decoder: json.loads builds a new one per call
    # whenever a hook is passed, which costs more than the parse itself.
    return _STRICT_JSON.decode(data.decode("utf-8"))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_text(value: Any) -> bool:
    """A str every later step can compare and store. JSON's \\u escapes can carry a lone surrogate (not encodable
    as UTF-8) or NUL (refused by PostgreSQL text columns): both surfaced as 500s in the comparison of `sub` and in
    the replay store before this check."""
    if not isinstance(value, str) or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@functools.lru_cache(maxsize=64)
def _check_header(segment: str) -> Rejected | None:
    """The JOSE header's verdict, a pure function of its segment. Each client library sends the same few header
    bytes every time, so the verdicts are memoized: parsing them anew cost a fifth of a whole verification."""
    try:
        header = _json_object(_b64decode(segment))
    except _DuplicateClaim as dup:
        return Rejected(ErrorCode.INVALID_SIGNATURE, f"The JWT header repeats the parameter {dup}.")
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError included
        return Rejected(ErrorCode.INVALID_SIGNATURE, "The JWT header is not base64url-encoded JSON.")
    if not isinstance(header, dict):
        return Rejected(ErrorCode.INVALID_SIGNATURE, "The JWT header must be a JSON object.")
    if header.get("alg") != ALGORITHM:
        return Rejected(ErrorCode.INVALID_SIGNATURE, f"Only alg {ALGORITHM} is accepted; sign with RS256.")
    forbidden = sorted(FORBIDDEN_HEADERS.intersection(header))
    if forbidden:
        return Rejected(
            ErrorCode.INVALID_SIGNATURE,
            f"Header parameter(s) {', '.join(forbidden)} are not accepted: the verifying key is always the "
            "application's registered public key.",
        )
    return None


def verify_token(
    token: str, public_key: RSAPublicKey, facts: RequestFacts, *, now: int, leeway: int
) -> SignedClaims | Rejected:
    """Everything but the body hash and replay, which need the body and shared state."""
    if len(token) > MAX_TOKEN_LENGTH:
        # Which limit, and by how much: the usual cause is a long `uri` claim (it carries the whole path and query).
        return Rejected(
            ErrorCode.INVALID_SIGNATURE,
            f"The JWT is too long: token length {len(token)} > {MAX_TOKEN_LENGTH} characters. The uri claim carries "
            "the whole path and query; keep request URIs short and add no header parameters or claims of your own.",
        )
    compact = _COMPACT_JWS.fullmatch(token)
    if compact is None:
        return Rejected(
            ErrorCode.INVALID_SIGNATURE, "The Authorization bearer value is not a compact JWS (three base64url parts)."
        )
    header_segment, payload_segment, signature_segment = compact.groups()
    rejected = _check_header(header_segment)
    if rejected is not None:
        return rejected
    # The signature is checked before the payload is even parsed: nothing an unauthenticated sender wrote in the
    # claims is interpreted. PyJWT's RS256 implementation verifies, with the stored key object only.
    signing_input = f"{header_segment}.{payload_segment}".encode("ascii")
    try:
        signature = _b64decode(signature_segment)
    except ValueError:  # binascii.Error included
        return Rejected(
            ErrorCode.INVALID_SIGNATURE, "The JWT signature is not canonical base64url (truncated or altered)."
        )
    if not _RS256.verify(signing_input, public_key, signature):
        return Rejected(
            ErrorCode.INVALID_SIGNATURE,
            "The signature does not verify with this application's registered public key. Sign with the "
            "private key matching the current signing key.",
        )
    try:
        payload_bytes = _b64decode(payload_segment)
    except ValueError:  # binascii.Error included: a validly signed but non-canonical or impossible-length segment
        return Rejected(ErrorCode.INVALID_SIGNATURE, "The JWT payload is not canonical base64url.")
    try:
        claims = _json_object(payload_bytes)
    except _DuplicateClaim as dup:
        return Rejected(ErrorCode.INVALID_SIGNATURE, f"The JWT payload repeats the claim {dup}.")
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        return Rejected(ErrorCode.INVALID_SIGNATURE, "The JWT payload is not JSON.")
    if not isinstance(claims, dict):
        return Rejected(ErrorCode.INVALID_SIGNATURE, "The JWT payload must be a JSON object.")
    return _check_claims(claims, facts, now=now, leeway=leeway)


def _check_claims(claims: dict[str, Any], facts: RequestFacts, *, now: int, leeway: int) -> SignedClaims | Rejected:
    """The claims in the order of the failure table (partner-api.md §5): first whether each claim is there with
    its type, then time, then issuer and audience, then the binding to this key and this request."""
    for name in ("sub", "method", "uri", "bodyHash", "jti"):
        if not _is_text(claims.get(name)):
            return Rejected(
                ErrorCode.INVALID_SIGNATURE,
                f"The claim {name!r} is missing or not a string of Unicode text without NUL.",
            )
    for name in ("iat", "exp"):
        if not _is_int(claims.get(name)):
            return Rejected(
                ErrorCode.INVALID_SIGNATURE, f"The claim {name!r} is missing or not an integer (Unix seconds)."
            )
    # `nbf` is optional, but never ignored: a signer that sets it means "not before", and a token is accepted only
    # in the window its signer intended (RFC 7519 §4.1.5).
    nbf = claims.get("nbf")
    if "nbf" in claims and not _is_int(nbf):
        return Rejected(ErrorCode.INVALID_SIGNATURE, "The claim 'nbf' must be an integer (Unix seconds) when present.")
    iat: int = claims["iat"]
    exp: int = claims["exp"]
    jti: str = claims["jti"]
    if not jti or len(jti) > MAX_JTI_LENGTH:
        return Rejected(ErrorCode.INVALID_SIGNATURE, f"The claim 'jti' must be 1 to {MAX_JTI_LENGTH} characters.")
    if exp <= iat:
        return Rejected(ErrorCode.INVALID_SIGNATURE, "The claim 'exp' must be after 'iat'.")
    if exp + leeway < now:
        return Rejected(
            ErrorCode.EXPIRED_JWT,
            f"The JWT expired at {exp}; server time is {now}. Sign each request just before sending.",
        )
    if exp - iat > MAX_LIFETIME_SECONDS:
        return Rejected(
            ErrorCode.JWT_LIFETIME_TOO_LONG,
            f"exp - iat is {exp - iat} s; at most {MAX_LIFETIME_SECONDS} s is accepted.",
        )
    if iat > now + leeway:
        return Rejected(
            ErrorCode.JWT_ISSUED_IN_FUTURE,
            f"iat is {iat - now} s ahead of server time {now}; check the signing host's clock (leeway {leeway} s).",
        )
    if nbf is not None and nbf > now + leeway:
        return Rejected(
            ErrorCode.JWT_NOT_YET_VALID,
            f"nbf is {nbf - now} s ahead of server time {now} (leeway {leeway} s): the token is not valid yet. "
            "Leave nbf out, or set it to iat.",
        )
    # Equality with a str also refuses absent, list-valued or numeric iss/aud.
    if claims.get("iss") != ISSUER or claims.get("aud") != AUDIENCE:
        return Rejected(
            ErrorCode.WRONG_ISSUER_OR_AUDIENCE, f"Use iss {ISSUER!r} and aud {AUDIENCE!r} (aud as a single string)."
        )
    if not hmac.compare_digest(claims["sub"].encode(), facts.api_key.encode()):
        return Rejected(ErrorCode.SUBJECT_MISMATCH, "The claim 'sub' must be exactly the API key sent in x-api-key.")
    if claims["method"] != facts.method:
        return Rejected(
            ErrorCode.METHOD_MISMATCH,
            f"The request method is {facts.method}; the JWT claims {claims['method'][:16]!r}.",
        )
    if claims["uri"] != facts.uri:
        return Rejected(
            ErrorCode.URI_MISMATCH,
            f"The server received the URI {facts.uri!r} (path and query, byte for byte); sign exactly that.",
        )
    return SignedClaims(jti=jti, iat=iat, exp=exp, body_hash=claims["bodyHash"])


def check_body_hash(claims: SignedClaims, body: bytes) -> Rejected | None:
    actual = hashlib.sha256(body).hexdigest()
    # As bytes: compare_digest raises TypeError on a str with non-ASCII characters (a signed bodyHash of "٣٣…"
    # was a 500). `_is_text` guaranteed the claim encodes.
    if hmac.compare_digest(actual.encode(), claims.body_hash.encode()):
        return None
    return Rejected(
        ErrorCode.BODY_HASH_MISMATCH,
        f"bodyHash must be the lowercase hex SHA-256 of the exact body bytes sent ({len(body)} bytes received, "
        f"SHA-256 {actual}). Hash the bytes you send, after serialising JSON or building the multipart body.",
    )
