"""Standard Webhooks signatures (https://www.standardwebhooks.com): what we send, and the secrets we sign with.

A secret is `whsec_` + base64 of 24 random bytes; the HMAC key is the decoded bytes. The signed content is
`{webhook-id}.{webhook-timestamp}.{body}`; `webhook-signature` is `v1,<base64 HMAC-SHA256>`, several of them
space-separated while a rotated secret's overlap window runs, so receivers holding either secret verify.

Secrets are kept so that we can sign with them, hence not hashed: they are encrypted at rest (AES-GCM) with a key
derived (HKDF) from the server's HMAC secret, so a database dump alone does not reveal them. Every server secret
version is tried on decryption, so rotating the server secret (NUVERA_API_KEY_HMAC_SECRETS) keeps them readable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"  # noqa: S105  # the Standard Webhooks prefix, not a secret
SECRET_BYTES = 24
_AAD = b"nuvera webhook endpoint secret v1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _key_bytes(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`."""
    content = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key_bytes(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets_in_use: Sequence[str], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_in_use),
    }


def _aead(server_secret: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"nuvera webhook secrets").derive(server_secret)
    return AESGCM(key)


def seal(secret: str, server_secret: bytes) -> bytes:
    nonce = os.urandom(12)
    return nonce + _aead(server_secret).encrypt(nonce, secret.encode(), _AAD)


def unseal(ciphertext: bytes, server_secrets: Sequence[bytes]) -> str:
    """The secret, decrypted with whichever server secret version sealed it."""
    for server_secret in server_secrets:
        try:
            return _aead(server_secret).decrypt(ciphertext[:12], ciphertext[12:], _AAD).decode()
        except InvalidTag:
            continue
    raise ValueError("webhook secret sealed with an unknown server secret")
