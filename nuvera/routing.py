"""REST routes whose synchronous endpoint runs, with its database transaction, in a single worker-thread hop.

FastAPI runs every synchronous piece of a request in the thread pool, one hand-off each: every sync dependency,
entering and leaving a generator dependency (the session), the endpoint, and the response validation of a sync
endpoint. Each hand-off costs more CPU than the small query behind a typical read (measured with py-spy on the
signed crypto list: about a fifth of the server's CPU went to queueing work for threads and waking them). So the
cheap dependencies are coroutines (nuvera/dependencies.py, nuvera/auth/dependencies.py), and `OneHopRoute` turns a
sync endpoint into a coroutine that makes one hop: the endpoint, then its session's commit (or rollback) and
close, in the same worker thread. The response is then validated on the event loop; the session is closed by
then, and with `expire_on_commit=False` what the endpoint loaded stays readable.

The commit still happens before the response is built and sent, so a failed commit is never reported as success.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

FINISHED = "nuvera.finished"  # Session.info flag: its transaction was ended in the endpoint's hop


class OneHopRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = in_one_hop(endpoint)
        super().__init__(path, endpoint, **kwargs)


def in_one_hop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the parameters (and their module's names) through __wrapped__
    async def hop(**values: Any) -> Any:
        return await run_in_threadpool(_run_and_finish, endpoint, values)

    return hop


def _run_and_finish(endpoint: Callable[..., Any], values: dict[str, Any]) -> Any:
    sessions = [value for value in values.values() if isinstance(value, Session)]
    try:
        result = endpoint(**values)
        for session in sessions:
            session.commit()
        return result
    except BaseException:
        for session in sessions:
            session.rollback()
        raise
    finally:
        for session in sessions:
            session.close()
            session.info[FINISHED] = True
