"""Every area's background job handlers and recurring jobs, gathered for `nuvera worker` and the tests.

An area with background work exposes `handlers(settings) -> {kind: handler}` (and, for housekeeping,
`recurring(settings) -> {kind: interval}`) in its own `jobs.py`; add it to the two functions below.
"""

from __future__ import annotations

from datetime import timedelta

from nuvera.config import Settings
from nuvera.jobs.worker import Handler
from nuvera.request_log import jobs as request_log_jobs


def handlers(settings: Settings) -> dict[str, Handler]:
    # Imported here: the screening engine is the heavy part, and `nuvera jobs list` does not need it.
    from nuvera import demo
    from nuvera.applications import jobs as applications_jobs
    from nuvera.screening import jobs as screening_jobs
    from nuvera.webhooks import jobs as webhook_jobs

    return {
        **screening_jobs.handlers(settings),
        **request_log_jobs.handlers(settings),
        **applications_jobs.handlers(settings),
        **demo.handlers(settings),
        **webhook_jobs.handlers(settings),
    }


def recurring(settings: Settings) -> dict[str, timedelta]:
    from nuvera.applications import jobs as applications_jobs
    from nuvera.webhooks import jobs as webhook_jobs

    return {
        **request_log_jobs.recurring(settings),
        **applications_jobs.recurring(settings),
        **webhook_jobs.recurring(settings),
    }
