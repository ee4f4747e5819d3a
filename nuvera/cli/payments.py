"""`nuvera payments process`: run the payment processor (one pass, or a loop as a simple worker)."""

from __future__ import annotations

import time

import typer

from nuvera.cli.common import load_settings
from nuvera.cli.output import emit, fail
from nuvera.clock import utcnow
from nuvera.db import Database
from nuvera.payments.processor import PassResult, SimulatedRail, process_once

payments_app = typer.Typer(help="Payments.", no_args_is_help=True)


def _summary(result: PassResult) -> dict[str, int]:
    return {
        "submitted": result.submitted,
        "completed": result.completed,
        "failed": result.failed,
        "purgedIdempotencyKeys": result.purged_keys,
    }


@payments_app.command("process")
def process(
    loop: bool = typer.Option(False, "--loop", help="Keep running a pass every --interval seconds until Ctrl-C."),
    interval: float = typer.Option(2.0, "--interval", help="Seconds between passes with --loop."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per pass."),
) -> None:
    """Move payments along with the simulated rail: PENDING → PROCESSING → COMPLETED, or FAILED when the
    reference contains "FAIL". Each payment's step is its own transaction; safe to run in several processes."""
    if interval <= 0:
        fail("--interval must be positive")
    settings = load_settings()
    database = Database(settings.resolved_database_url)
    rail = SimulatedRail()
    try:
        while True:
            result = process_once(database, rail, utcnow)
            if not loop or result.submitted or result.completed or result.failed:
                summary = _summary(result)
                emit(
                    summary,
                    as_json,
                    f"submitted {result.submitted}, completed {result.completed}, failed {result.failed}",
                )
            if not loop:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        return
    finally:
        database.dispose()
