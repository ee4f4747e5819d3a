"""Per-application limits granted by a Nuvera admin, as this process last read them.

The limit travels with the application's row, which the key cache (nuvera/auth/key_cache.py) reads anyway to
authenticate a request: it records the application's limit here on each load, and the rate limiter reads it for
the same request. No lookup of its own, and no staleness of its own: a change to the limit is a credential change,
so every process reloads the key (and with it the limit) on its next request.
"""

from __future__ import annotations

_granted: dict[str, int] = {}


def remember(application_id: str, limit: int | None) -> None:
    if limit is None:
        _granted.pop(application_id, None)
    else:
        _granted[application_id] = limit


def limit_for(application_id: str, default: int) -> int:
    return _granted.get(application_id, default)
