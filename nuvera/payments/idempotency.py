"""`Idempotency-Key`, with Stripe's contract, made safe across processes by a database unique constraint.

The contract (rest-api.md, Payments):
- same key + same request (method, path, exact body bytes) → the original status and body, byte for byte, with
  `Idempotent-Replayed: true`;
- same key + a different request → 422 `idempotency_conflict`;
- same key while the first request is still running → 409 `idempotency_in_flight` (retry shortly);
- keys are remembered for 24 hours per organization, then the key may be used afresh.

How it holds under concurrency and crashes:

1. **Claim** — INSERT the key row (state `in_flight`, a random lock token, a short lease) in its *own* committed
   transaction. The UNIQUE (organization_id, key) constraint lets exactly one of any number of concurrent
   requests — in any process, on any node — insert it; every other one gets an IntegrityError, reads the row and
   answers replay / conflict / in-flight from it. Committing the claim at once (instead of holding it inside the
   work transaction) is what makes the row visible to the others immediately, so they answer 409 instead of
   blocking on a lock for the whole duration of the work.
2. **Work + result in one transaction** — the payment is created and the key row is switched to `completed` with
   the serialised response *in the same transaction*, guarded by `WHERE lock_token = <ours>`. So there is never a
   committed payment without its stored response, nor a stored response without its payment: a crash or rollback
   anywhere before that commit leaves only the in-flight claim and no effect.
3. **Failures** — an expected business error (404 unknown quote, 409 quote expired/used, party not approved…) is
   the request's result and is stored, so a retry with the same key replays it (Stripe does the same). Invalid
   parameters (422 `validation_error`) and unexpected errors (5xx) store nothing: the claim is deleted so that the
   client can retry, which is safe because the work transaction rolled back.
4. **Crash recovery** — if the owning process dies after the claim, its lease (`locked_until`) runs out and the
   next retry takes the key over with a compare-and-swap on the lock token. Should the old owner be merely slow
   rather than dead, its final `UPDATE … WHERE lock_token = <old>` matches nothing, its work transaction rolls
   back, and only the new owner's work commits: at most one effect per key, always.

Everything is plain SQL (INSERT, conditional UPDATE/DELETE) and behaves the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import BaseModel
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, CursorResult, Engine, Result, RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.responses import Response

from nuvera.db import Database, new_id
from nuvera.errors import PROBLEM_JSON, ErrorCode, FieldError, NuveraError, problem, validation_error
from nuvera.payments.models import IdempotencyKey, IdempotencyState
from nuvera.tenancy import Tenant, scoped

log = logging.getLogger("nuvera.payments.idempotency")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_TTL = timedelta(hours=24)
# Longer than any request should take (the database busy timeout is 30 s); short enough that a client retrying
# after a crashed server is unblocked within a minute.
LEASE = timedelta(seconds=20)  # default of Settings.idempotency_lease_seconds
MAX_KEY_LENGTH = 255


def affected(result: Result[Any]) -> int:
    """Rows matched by an UPDATE/DELETE run through a Session (a CursorResult at run time)."""
    return cast(CursorResult[Any], result).rowcount


def parse_key(value: str | None) -> str:
    if value is None or value == "":
        raise NuveraError(
            ErrorCode.IDEMPOTENCY_KEY_REQUIRED,
            f"Send an {HEADER} header (e.g. a UUID you generate per payment) so that a retry cannot pay twice.",
        )
    if len(value) > MAX_KEY_LENGTH or not all("!" <= ch <= "~" for ch in value):
        raise validation_error(
            [FieldError(HEADER, f"must be 1 to {MAX_KEY_LENGTH} visible ASCII characters (no spaces)")]
        )
    return value


def request_hash(method: str, path: str, body: bytes) -> str:
    """Hash of the request as sent. The exact body bytes count: a re-serialised body is a different request,
    which errs on the safe side (a conflict, never a replay of something the client did not send)."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))  # length-prefixed: no ambiguity between the parts
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Claim:
    """We own the key: do the work, then `complete` it (or `release` it)."""

    row_id: str
    token: str


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: str


class LeaseLost(NuveraError):
    """Our lease ran out and another request took the key over; our work must not commit."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.IDEMPOTENCY_IN_FLIGHT,
            "Another request with this Idempotency-Key took over; retry to get its result.",
            headers={"Retry-After": "1"},
        )


def _in_flight() -> NuveraError:
    return NuveraError(
        ErrorCode.IDEMPOTENCY_IN_FLIGHT,
        "A request with this Idempotency-Key is still being processed; retry in a moment to get its result.",
        headers={"Retry-After": "1"},
    )


_RETRY = None  # `_settle` found no row to decide from (deleted in between, or expired): try to insert again


def claim(
    engine: Engine,
    tenant: Tenant,
    *,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    now: datetime,
    lease: timedelta = LEASE,
) -> Claim | StoredResponse:
    """Claim `key` for this request, or return the stored response to replay; raises conflict / in-flight."""
    for _attempt in range(3):
        token = secrets.token_hex(16)
        claimed = _insert_claim(
            engine,
            tenant,
            key=key,
            fingerprint=fingerprint,
            method=method,
            path=path,
            token=token,
            now=now,
            lease=lease,
        )
        if claimed is not None:
            return claimed
        # Someone holds (or held) this key: decide from their row.
        with engine.begin() as connection:
            holder = _holder(connection, tenant, key)
            if holder is None:
                continue  # deleted in between (released or purged): try to insert again
            outcome = _settle(connection, holder, fingerprint=fingerprint, token=token, now=now, lease=lease)
            if outcome is not _RETRY:
                return outcome
    raise _in_flight()  # pragma: no cover - three inserts lost to three deletions in a row


def _insert_claim(
    engine: Engine,
    tenant: Tenant,
    *,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    token: str,
    now: datetime,
    lease: timedelta,
) -> Claim | None:
    """Step 1: INSERT the in-flight row in its own committed transaction; None when the key is already taken."""
    row_id = new_id("idk")
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(IdempotencyKey).values(
                    id=row_id,
                    organization_id=tenant.organization_id,
                    key=key,
                    request_hash=fingerprint,
                    method=method.upper(),
                    path=path,
                    state=IdempotencyState.IN_FLIGHT,
                    lock_token=token,
                    locked_until=now + lease,
                    created_at=now,
                    expires_at=now + KEY_TTL,
                )
            )
    except IntegrityError:
        return None
    return Claim(row_id=row_id, token=token)


def _holder(connection: Connection, tenant: Tenant, key: str) -> RowMapping | None:
    """The row that holds (or held) `key` in this organization, if it still exists."""
    return (
        connection.execute(
            scoped(
                select(
                    IdempotencyKey.id,
                    IdempotencyKey.request_hash,
                    IdempotencyKey.state,
                    IdempotencyKey.lock_token,
                    IdempotencyKey.locked_until,
                    IdempotencyKey.expires_at,
                    IdempotencyKey.response_status,
                    IdempotencyKey.response_body,
                ).where(IdempotencyKey.key == key),
                IdempotencyKey,
                tenant,
            )
        )
        .mappings()
        .one_or_none()
    )


def _settle(
    connection: Connection, values: RowMapping, *, fingerprint: str, token: str, now: datetime, lease: timedelta
) -> Claim | StoredResponse | None:
    """Answer from the holder's row: replay, conflict, in-flight, a take-over, or None to insert again."""
    if values["expires_at"] <= now:
        # Remembered for 24 h only: an expired key starts over. Conditional, so two requests reviving the
        # same expired key cannot both delete a fresh claim.
        connection.execute(
            delete(IdempotencyKey).where(IdempotencyKey.id == values["id"], IdempotencyKey.expires_at <= now)
        )
        return _RETRY
    if values["request_hash"] != fingerprint:
        raise NuveraError(
            ErrorCode.IDEMPOTENCY_CONFLICT,
            "This Idempotency-Key was already used with a different request (method, path or body). "
            "Use a new key for a new request.",
        )
    if values["state"] == IdempotencyState.COMPLETED:
        return StoredResponse(status=values["response_status"], body=values["response_body"])
    locked_until: datetime | None = values["locked_until"]
    if locked_until is not None and locked_until > now:
        raise _in_flight()
    return _take_over(connection, values, token=token, now=now, lease=lease)


def _take_over(connection: Connection, values: RowMapping, *, token: str, now: datetime, lease: timedelta) -> Claim:
    """The owner's lease ran out: it crashed (or stalled). Take over with a compare-and-swap on its token, so that
    of several retries racing here exactly one becomes the new owner."""
    taken = connection.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == values["id"],
            IdempotencyKey.state == IdempotencyState.IN_FLIGHT,
            IdempotencyKey.lock_token == values["lock_token"],
        )
        .values(lock_token=token, locked_until=now + lease)
    )
    if taken.rowcount != 1:
        raise _in_flight()
    log.warning("idempotency key %s: took over an expired in-flight lease", values["id"])
    return Claim(row_id=values["id"], token=token)


def complete(session: Session, held: Claim, response: StoredResponse, now: datetime) -> None:
    """Store the response, in the caller's transaction (the same one as the work, for a success)."""
    done = session.execute(
        update(IdempotencyKey)
        .where(
            IdempotencyKey.id == held.row_id,
            IdempotencyKey.lock_token == held.token,
            IdempotencyKey.state == IdempotencyState.IN_FLIGHT,
        )
        .values(
            state=IdempotencyState.COMPLETED,
            response_status=response.status,
            response_body=response.body,
            completed_at=now,
            lock_token=None,
            locked_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    if affected(done) != 1:
        raise LeaseLost()


def release(engine: Engine, held: Claim) -> None:
    """Forget a claim whose request produced no result, so that the client can retry with the same key."""
    with engine.begin() as connection:
        connection.execute(
            delete(IdempotencyKey).where(IdempotencyKey.id == held.row_id, IdempotencyKey.lock_token == held.token)
        )


def purge_expired(session: Session, now: datetime) -> int:
    """Delete keys older than their 24 h (run by `nuvera payments process`); returns how many."""
    result = session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.expires_at <= now).execution_options(synchronize_session=False)
    )
    return affected(result)


def _response(stored: StoredResponse, *, replayed: bool) -> Response:
    media_type = PROBLEM_JSON if stored.status >= 400 else "application/json"
    headers = {REPLAYED_HEADER: "true"} if replayed else {}
    return Response(content=stored.body.encode(), status_code=stored.status, media_type=media_type, headers=headers)


def run(
    database: Database,
    tenant: Tenant,
    *,
    key: str,
    method: str,
    path: str,
    body: bytes,
    now: datetime,
    request_id: str,
    success_status: int,
    work: Callable[[Session], BaseModel],
    lease: timedelta = LEASE,
) -> Response:
    """Run `work` at most once per (organization, key) and answer every retry with the first result."""
    outcome = claim(
        database.engine,
        tenant,
        key=key,
        fingerprint=request_hash(method, path, body),
        method=method,
        path=path,
        now=now,
        lease=lease,
    )
    if isinstance(outcome, StoredResponse):
        return _response(outcome, replayed=True)
    held = outcome
    try:
        with database.session() as session:
            result = work(session)
            stored = StoredResponse(success_status, result.model_dump_json(by_alias=True))
            complete(session, held, stored, now)
        return _response(stored, replayed=False)
    except LeaseLost:
        raise  # the key belongs to another request now: leave its row alone
    except NuveraError as error:
        if error.code == ErrorCode.VALIDATION_ERROR or error.status >= 500:
            release(database.engine, held)
            raise
        # The work rolled back; its expected outcome (an error) is the result this key stands for.
        body_text = _problem_json(error, request_id)
        stored = StoredResponse(error.status, body_text)
        with database.session() as session:
            complete(session, held, stored, now)
        return _response(stored, replayed=False)
    except BaseException:
        release(database.engine, held)
        raise


def _problem_json(error: NuveraError, request_id: str) -> str:
    return json.dumps(problem(error.code, error.detail, request_id, errors=error.errors, **error.extra))
