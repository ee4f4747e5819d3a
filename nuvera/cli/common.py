"""What every operator command shares: settings and one transaction per command, its errors as one line on stderr."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from nuvera.auth.key_cache import announcing_changes
from nuvera.backends import connect_redis
from nuvera.cli.output import fail
from nuvera.config import ConfigurationError, Settings
from nuvera.db import Database
from nuvera.errors import NuveraError
from nuvera.hot_state import credentials_channel

T = TypeVar("T")

# Options several commands take, declared once.
JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object.")
REASON_OPTION = typer.Option(None, "--reason", help="Why (recorded in the audit history).")


def describe(error: NuveraError) -> str:
    if error.errors:
        return "; ".join(f"{e.field}: {e.message}" for e in error.errors)
    return error.detail


def load_settings() -> Settings:
    try:
        return Settings()
    except (ConfigurationError, ValidationError) as exc:
        fail(str(exc).splitlines()[0])


@contextmanager
def transaction() -> Iterator[tuple[Session, Settings]]:
    """One transaction per command; any NuveraError becomes one clear line and a non-zero exit.

    With Redis configured, a commit that changed credentials is announced to the running servers."""
    settings = load_settings()
    database = Database(settings.resolved_database_url)
    with ExitStack() as stack:
        if settings.redis_url is not None:
            redis = connect_redis(settings.redis_url)
            stack.callback(redis.close)
            stack.enter_context(announcing_changes(redis, credentials_channel(settings)))
        try:
            with database.session() as session:
                yield session, settings
        except NuveraError as exc:
            fail(describe(exc))
        finally:
            database.dispose()


def run(action: Callable[[Session, Settings], T]) -> T:
    with transaction() as (session, settings):
        return action(session, settings)
