"""The Prometheus series of the platform. Label values are bounded: route templates, status codes, error codes.

With `nuvera serve --workers N` every worker writes its samples to PROMETHEUS_MULTIPROC_DIR and `/metrics` (served
by whichever worker) sums them all; a single process keeps them in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "nuvera_http_requests_total", "HTTP requests by method, route template and status", ["method", "route", "status"]
)
REQUEST_SECONDS = Histogram(
    "nuvera_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
AUTH_FAILURES = Counter("nuvera_auth_failures_total", "Signed requests rejected before the route, by code", ["code"])
RATE_LIMITED = Counter("nuvera_rate_limited_total", "Authenticated requests refused by the per-application limit")
REQUEST_LOG_DROPPED = Counter(
    "nuvera_request_log_dropped_total", "Request log rows dropped because the in-memory buffer was full"
)
VERIFICATION_SECONDS = Histogram(
    "nuvera_auth_verification_seconds",
    "Time to verify a signed request: key lookup, JWT signature and claims, body hash, replay record, rate count",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
)


class ReplayStoreSize(Collector):
    """Measured when scraped (a count in the store itself), so it is right whichever process serves /metrics."""

    def __init__(self, size: Callable[[], int]) -> None:
        self._size = size

    def collect(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily(
            "nuvera_replay_store_entries", "jti remembered by the replay store (bounded by the live token window)"
        )
        try:
            gauge.add_metric([], float(self._size()))
        except Exception:  # the store being down shows as a missing sample and in /readyz, not as a failed scrape
            return []
        return [gauge]


class JobCounts(Collector):
    """Jobs per state, counted in the database when scraped (any API process can answer for the queue)."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self._counts = counts

    def collect(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily(
            "nuvera_jobs", "Background jobs by state (queued, running, done, failed)", labels=["state"]
        )
        try:
            for state, count in self._counts().items():
                gauge.add_metric([state], float(count))
        except Exception:  # the database being down shows in /readyz, not as a failed scrape
            return []
        return [gauge]


def render(
    replay_store_size: Callable[[], int] | None,
    multiprocess_dir: Path | None,
    job_counts: Callable[[], dict[str, int]] | None = None,
) -> bytes:
    registry = CollectorRegistry()
    if multiprocess_dir is not None:
        MultiProcessCollector(registry, path=str(multiprocess_dir))  # type: ignore[no-untyped-call]  # unannotated upstream
    else:
        for collector in (
            REQUESTS,
            REQUEST_SECONDS,
            AUTH_FAILURES,
            RATE_LIMITED,
            VERIFICATION_SECONDS,
            REQUEST_LOG_DROPPED,
        ):
            registry.register(collector)
    if replay_store_size is not None:
        registry.register(ReplayStoreSize(replay_store_size))
    if job_counts is not None:
        registry.register(JobCounts(job_counts))
    return generate_latest(registry)
