"""The `x-api-key` secret: format, checksum and keyed hash.

Format: `nvk_` + 43 random base62 characters (256 bits) + 6 base62 characters of CRC32 over the rest.
The prefix lets secret scanners recognise a leaked key; the checksum rejects typos and random guesses before
any database lookup. Only HMAC-SHA256(server secret, key) is stored, so a database leak reveals no usable key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import zlib
from dataclasses import dataclass

KEY_PREFIX = "nvk_"
ALPHABET = string.digits + string.ascii_letters
RANDOM_LENGTH = 43
CHECKSUM_LENGTH = 6
KEY_LENGTH = len(KEY_PREFIX) + RANDOM_LENGTH + CHECKSUM_LENGTH
DISPLAY_PREFIX_LENGTH = len(KEY_PREFIX) + 8
# ASCII digits and letters only: `str.isalnum` would also pass other scripts' letters and digits.
_SHAPE = re.compile(rf"{KEY_PREFIX}[0-9A-Za-z]{{{RANDOM_LENGTH + CHECKSUM_LENGTH}}}")


@dataclass(frozen=True)
class NewApiKey:
    raw: str
    prefix: str
    last_four: str


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECKSUM_LENGTH)


def generate_api_key() -> NewApiKey:
    body = KEY_PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    raw = body + _checksum(body)
    return NewApiKey(raw=raw, prefix=raw[:DISPLAY_PREFIX_LENGTH], last_four=raw[-4:])


def is_well_formed(candidate: str) -> bool:
    """Shape and checksum only; says nothing about whether the key exists."""
    if _SHAPE.fullmatch(candidate) is None:
        return False
    body, checksum = candidate[:-CHECKSUM_LENGTH], candidate[-CHECKSUM_LENGTH:]
    return hmac.compare_digest(_checksum(body), checksum)


def keyed_hash(secret: bytes, raw_key: str) -> str:
    return hmac.new(secret, raw_key.encode(), hashlib.sha256).hexdigest()
