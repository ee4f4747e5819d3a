"""Validation of a submitted signing public key (partner-api.md §2).

Partners paste keys by hand, so each refusal says what was pasted and how to get the right thing. A pasted private
key is refused before any parsing, and its text is never stored, logged or echoed back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from nuvera.errors import ErrorCode, FieldError, NuveraError, validation_error

MIN_BITS = 2048
# Verification cost grows with the modulus; 8192 bits bounds what one request can make the server spend.
MAX_BITS = 8192
MAX_PEM_LENGTH = 16_384
_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


@dataclass(frozen=True)
class ParsedPublicKey:
    pem: str
    fingerprint: str
    bits: int
    key: RSAPublicKey


class PrivateKeyRefused(NuveraError):
    pass


def _refuse(message: str, field: str) -> NuveraError:
    return validation_error([FieldError(field, message)])


def fingerprint(key: RSAPublicKey) -> str:
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")


def _is_private_key(text: str) -> bool:
    """A private key in any form a partner might paste: PEM (PKCS#8, PKCS#1, OpenSSH, encrypted), a JWK with its
    private exponent `d`, or bare base64 of a DER private key (what some tools print without PEM armour)."""
    if "PRIVATE KEY" in text:
        return True
    stripped = text.strip()
    if len(stripped) > MAX_PEM_LENGTH:
        return False
    if stripped.startswith("{"):
        try:
            jwk = json.loads(stripped)
        except ValueError:
            return False
        keys = jwk.get("keys") if isinstance(jwk, dict) else None
        candidates = keys if isinstance(keys, list) else [jwk]
        return any(isinstance(key, dict) and "d" in key for key in candidates)
    compact = "".join(stripped.split())
    if not compact or not _BASE64.fullmatch(compact):
        return False
    try:
        serialization.load_der_private_key(base64.b64decode(compact + "=" * (-len(compact) % 4)), password=None)
    except TypeError:  # an encrypted private key: still a private key
        return True
    except (ValueError, UnsupportedAlgorithm):
        return False
    return True


def parse_public_key(text: str, *, field: str = "publicKey") -> ParsedPublicKey:
    if _is_private_key(text):
        raise PrivateKeyRefused(
            ErrorCode.VALIDATION_ERROR,
            "This is a private key. Never paste or upload a private key: keep it on your side and submit only "
            "the public key (-----BEGIN PUBLIC KEY-----). The text you pasted was not stored.",
            errors=[FieldError(field, "private keys are refused; paste the public key (BEGIN PUBLIC KEY)")],
        )
    if len(text) > MAX_PEM_LENGTH:
        raise _refuse(f"the key is longer than {MAX_PEM_LENGTH} characters", field)
    labels = _BEGIN.findall(text)
    if not labels:
        raise _refuse("not a PEM key: expected a block starting with -----BEGIN PUBLIC KEY-----", field)
    if labels[0] == "CERTIFICATE":
        raise _refuse(
            "a certificate is not accepted; extract its key with `openssl x509 -in cert.pem -pubkey -noout`",
            field,
        )
    if labels[0] == "RSA PUBLIC KEY":
        raise _refuse(
            "PKCS#1 (BEGIN RSA PUBLIC KEY) is not accepted; convert it with "
            "`openssl rsa -RSAPublicKey_in -in key.pem -pubout` to BEGIN PUBLIC KEY (SubjectPublicKeyInfo)",
            field,
        )
    if labels != ["PUBLIC KEY"]:
        raise _refuse("expected exactly one -----BEGIN PUBLIC KEY----- block", field)
    try:
        key = serialization.load_pem_public_key(text.strip().encode())
    except (ValueError, TypeError):
        raise _refuse("the PEM block could not be parsed as a public key", field) from None
    if isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        raise _refuse(f"only RSA keys are accepted (RS256); this is {_kind(key)}", field)
    if not isinstance(key, RSAPublicKey):
        raise _refuse("only RSA keys are accepted (RS256)", field)
    if key.key_size < MIN_BITS:
        raise _refuse(f"the RSA key has {key.key_size} bits; at least {MIN_BITS} are required", field)
    if key.key_size > MAX_BITS:
        raise _refuse(f"the RSA key has {key.key_size} bits; at most {MAX_BITS} are accepted", field)
    if key.public_numbers().e < 65537:
        raise _refuse("the RSA public exponent must be at least 65537", field)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return ParsedPublicKey(pem=pem, fingerprint=fingerprint(key), bits=key.key_size, key=key)


def _kind(key: object) -> str:
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"an EC key ({key.curve.name})"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "an Ed25519 key"
    return "an Ed448 key"
