"""One typed Settings object. Nothing else in the code base reads the environment."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024
MIN_PRODUCTION_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The settings cannot run the platform safely (e.g. production without explicit secrets)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NUVERA_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default is a SQLite file under var_dir")
    api_key_hmac_secret: SecretStr | None = Field(
        default=None,
        description="Secret for the keyed hash of API keys. Generated and kept in var_dir outside production.",
    )
    # Rotation without invalidating keys: versioned secrets as JSON, e.g. {"1": "old…", "2": "new…"}. The highest
    # version hashes new keys; every listed version still verifies (docs/deployment.md). Exclusive with the above.
    api_key_hmac_secrets: dict[int, SecretStr] | None = Field(
        default=None, description="Versioned API key hash secrets; the highest version signs, all verify"
    )
    host: str = "127.0.0.1"
    port: int = 45000
    # Production mode (docs/deployment.md): Redis for the shared hot state, per-application rate limits, logs.
    redis_url: str | None = Field(default=None, description="redis://…; unset = replay and rate limits in the DB")
    redis_key_prefix: str = Field(default="nuvera:", description="Namespace of every Redis key and channel")
    # Per API application, across every process: 100 requests per second (Stripe's live-mode default) unless a
    # Nuvera admin granted the application its own number per window. A longer window allows bigger bursts.
    rate_limit_requests: int = Field(
        default=100, ge=0, description="Signed requests per application per window; 0 = no limit at all"
    )
    rate_limit_window_seconds: int = Field(default=1, ge=1, le=3600, description="Length of the fixed window")
    # Replaced by the two above; refused when set, so a deployment does not silently run with another limit.
    rate_limit_per_minute: int | None = None
    log_format: Literal["json", "console"] = "json"
    # Client addresses (last-used IP, logs) come from X-Forwarded-For only when the peer is one of these proxies.
    forwarded_allow_ips: str | None = Field(default=None, description="Comma-separated trusted proxy addresses")
    # Set by `nuvera serve --workers N` for its workers (prometheus_client reads the same variable itself).
    prometheus_multiproc_dir: Path | None = Field(default=None, validation_alias="PROMETHEUS_MULTIPROC_DIR")
    # Clock-skew tolerance on iat (future) and exp (past). The spec allows up to 30 s, and the 60 s lifetime cap
    # is fixed by it too: a larger leeway would stretch how long a captured token stays usable.
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=30)
    max_json_body_bytes: int = Field(default=1 * MIB, gt=0)
    max_multipart_body_bytes: int = Field(default=20 * MIB, gt=0)
    # Total time a request body may take to arrive, from the first read: a client trickling bytes (or declaring a
    # Content-Length it never sends) would otherwise hold a connection and a buffer for ever. 20 MiB in 30 s needs
    # about 6 Mbit/s, which any server-to-server link has.
    body_read_timeout_seconds: float = Field(default=30.0, gt=0)
    # Time for each request head (request line and headers) to arrive, from when the server starts waiting for it
    # (nuvera/http_protocol.py): bounds slowloris connections. A partner's head arrives in one packet.
    request_head_timeout_seconds: float = Field(default=10.0, gt=0)
    # How long a process trusts its cached view of an API key before looking at the database again. Credential
    # changes invalidate the cache at once in every process of the node (a shared version counter, see
    # nuvera/auth/key_cache.py) and, with Redis, on every node; this lifetime is only the safety net.
    key_cache_seconds: float = Field(default=1.0, ge=0, le=1.0)
    last_used_write_interval_seconds: int = Field(default=60, ge=1)
    # How long an in-flight payment execution owns its Idempotency-Key. A process that dies mid-request loses the
    # key after this, so a retry can complete the payment while its quote (60 s) is still valid. Must exceed the
    # longest execution.
    idempotency_lease_seconds: float = Field(default=20.0, gt=0, le=60)
    # Document blobs: a local directory under var_dir unless an S3-compatible bucket is configured.
    blob_s3_bucket: str | None = Field(default=None, description="S3 bucket for document blobs; unset = local disk")
    blob_s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint (MinIO, Ceph, …); unset = AWS for the region"
    )
    blob_s3_region: str = "us-east-1"
    blob_s3_prefix: str = Field(default="", description="Key prefix inside the bucket, e.g. 'nuvera/'")
    # Unset = boto3's own credential chain (instance role, AWS_* variables, shared config).
    blob_s3_access_key_id: SecretStr | None = None
    blob_s3_secret_access_key: SecretStr | None = None
    # Sanctions screening: FollowTheMoney entities as JSON lines (e.g. an OpenSanctions export). Unset = the
    # small OFAC SDN sample shipped in nuvera/screening/data — fine for development, not for production.
    screening_dataset: Path | None = Field(default=None, description="FtM JSON lines file to screen against")
    # logic-v2 score at or above which a candidate is reported as a match and puts the subject on payment hold.
    screening_threshold: float = Field(default=0.7, gt=0.0, le=1.0)
    # Only entities tagged with one of these FtM topics are screened against (the response's topicsScope).
    screening_topics: list[str] = Field(
        default_factory=lambda: ["sanction", "sanction.linked", "sanction.control", "debarment", "crime.terror"]
    )
    screening_rescreen_days: int = Field(default=1, ge=1, description="Ongoing monitoring: days until nextDueAt")
    # The jobs worker screens one listed person and one organisation at start (the name analyser builds its
    # tables on first use, seconds), so the first real screening does not pay for it.
    screening_warm_up: bool = True
    # Process model (docs/deployment.md): API processes never screen; `nuvera worker` runs the background jobs
    # (screening today). On the embedded SQLite default `nuvera serve` starts one worker as its child unless this is
    # false (or `--no-worker`); with PostgreSQL run `nuvera worker` yourself, on as many nodes as you like.
    serve_starts_worker: bool = Field(default=True, description="`nuvera serve` on SQLite also runs `nuvera worker`")
    # A claimed job belongs to its worker this long; if the worker dies, another one claims the job after it.
    # Must exceed the longest job (a customer's screening takes well under a second).
    job_lease_seconds: float = Field(default=60.0, gt=0)
    # A failed attempt is retried after base × 2^(attempt-1) seconds (2, 4, 8, … capped at an hour).
    job_backoff_seconds: float = Field(default=2.0, gt=0)
    # How long an idle worker waits before looking for jobs again (the latency of a fresh screening).
    job_poll_seconds: float = Field(default=0.2, gt=0, le=60)
    # Workers write a heartbeat this often; /readyz calls the worker down after three missed beats.
    worker_heartbeat_seconds: float = Field(default=5.0, gt=0, le=300)
    # Per-application request log (nuvera/request_log/): every attributable /api/v1 request, recorded off the hot
    # path in batches. Off (false) only for benchmarks or a deployment that must not keep request metadata at all.
    request_log: bool = Field(default=True, description="Record /api/v1 requests for the partner's request log")
    request_log_retention_days: int = Field(default=14, ge=1, le=400, description="Days a request log row is kept")
    # A batch is written every flush interval, or as soon as this many rows wait, in one INSERT (executemany).
    request_log_flush_seconds: float = Field(default=1.0, gt=0, le=60)
    request_log_batch_rows: int = Field(default=500, ge=1, le=10_000)
    # Rows held in memory while the database is away; beyond it the oldest are dropped (counted and logged).
    request_log_buffer_rows: int = Field(default=20_000, ge=10, le=1_000_000)
    # Where built screening indexes are kept (one file per dataset content hash); default var_dir/screening-index.
    screening_index_dir: Path | None = None
    # Outgoing mail (invitations, password resets; nuvera/mail.py). Unset host = no mail: the web app shows an
    # invitation link to the admin who issued it, and an operator issues reset links with `nuvera users`.
    smtp_host: str | None = Field(default=None, description="SMTP server; unset = links are shown, not mailed")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str = Field(default="Nuvera <no-reply@nuvera.example>", description="From address of every mail")
    smtp_starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS before logging in")
    smtp_user: SecretStr | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # The address links in mails point to. Never taken from the request's Host header: a forged Host would
    # otherwise send a victim a reset link to the attacker's site (password-reset poisoning).
    public_url: str | None = Field(default=None, description="e.g. https://console.nuvera.example; default host:port")
    # Webhooks (docs/signing-guide.md, nuvera/webhooks): HTTPS targets only in production; plain http is accepted
    # outside production (local receivers) or when this is set (an operator's explicit choice, e.g. a test rig).
    webhook_allow_http: bool = Field(default=False, description="Accept http:// webhook URLs even in production")
    # SSRF guard: a webhook target resolving to a private, loopback, link-local, CGNAT, multicast or metadata
    # address is refused, at creation and at every delivery, unless an entry here covers it: a CIDR
    # ("10.1.2.0/24", "127.0.0.1/32") or an exact host name. JSON list in the environment.
    webhook_allowed_targets: list[str] = Field(
        default_factory=list, description="CIDRs or host names webhooks may reach despite the SSRF guard"
    )
    # Seconds to wait before each retry after a failed attempt (jittered +0–20 %): 5 s, 5 min, 30 min, 2 h, 5 h,
    # 10 h, 14 h, 20 h, 24 h — ten attempts over about three days and three hours. Tests shorten it.
    webhook_retry_schedule_seconds: list[float] = Field(
        default_factory=lambda: [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 50400.0, 72000.0, 86400.0]
    )
    # One attempt (connect, send, read the answer) may take this long before it counts as failed.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # An endpoint whose every attempt failed for this long (no success in between) is disabled, with a notice.
    webhook_disable_after_seconds: float = Field(default=5 * 24 * 3600, gt=0)
    # After a secret rotation the old secret keeps signing (both signatures sent) this long by default.
    webhook_rotation_overlap_seconds: int = Field(default=24 * 3600, ge=0, le=7 * 24 * 3600)
    # Events (GET /api/v1/events, webhook replays) are deleted this long after they were created, with their webhook
    # deliveries and attempts, by the worker's hourly purge; an event with a delivery still being retried is kept
    # until that delivery ends.
    event_retention_days: int = Field(default=30, ge=1, le=3650, description="Days an event is kept")

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Settings:
        if self.env == "production":
            if not self.database_url or not self.database_url.startswith("postgresql"):
                raise ConfigurationError("NUVERA_ENV=production requires NUVERA_DATABASE_URL=postgresql+psycopg://…")
            if self.api_key_hmac_secret is None and not self.api_key_hmac_secrets:
                raise ConfigurationError(
                    "NUVERA_ENV=production requires NUVERA_API_KEY_HMAC_SECRET (or NUVERA_API_KEY_HMAC_SECRETS)"
                )
            # A short secret would make the keyed hashes (and the CSRF and cursor signatures) guessable offline.
            if any(len(secret) < MIN_PRODUCTION_SECRET_LENGTH for secret in self.hmac_secrets):
                raise ConfigurationError(
                    f"NUVERA_ENV=production requires HMAC secrets of at least {MIN_PRODUCTION_SECRET_LENGTH} characters"
                )
        if self.api_key_hmac_secret is not None and self.api_key_hmac_secrets:
            raise ConfigurationError(
                "Set NUVERA_API_KEY_HMAC_SECRET or NUVERA_API_KEY_HMAC_SECRETS, not both: list the current secret "
                "as version 1 of NUVERA_API_KEY_HMAC_SECRETS"
            )
        if self.api_key_hmac_secrets is not None:
            if not self.api_key_hmac_secrets or min(self.api_key_hmac_secrets) < 1:
                raise ConfigurationError("NUVERA_API_KEY_HMAC_SECRETS needs versions numbered from 1")
            if any(not secret.get_secret_value() for secret in self.api_key_hmac_secrets.values()):
                raise ConfigurationError("NUVERA_API_KEY_HMAC_SECRETS may not hold an empty secret")
        if self.rate_limit_per_minute is not None:
            raise ConfigurationError(
                "NUVERA_RATE_LIMIT_PER_MINUTE was replaced by NUVERA_RATE_LIMIT_REQUESTS (per window, default 100) and "
                "NUVERA_RATE_LIMIT_WINDOW_SECONDS (default 1); e.g. 600 per minute is REQUESTS=600, WINDOW_SECONDS=60"
            )
        if self.redis_url is not None and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError("NUVERA_REDIS_URL must be a redis://, rediss:// or unix:// URL")
        return self

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.var_dir / 'nuvera.db').resolve()}"

    @cached_property
    def hmac_secret(self) -> bytes:
        """The current secret: hashes new API keys (and signs cursors and CSRF tokens)."""
        return self.hmac_secrets[0]

    @cached_property
    def hmac_secrets(self) -> tuple[bytes, ...]:
        """Every secret an API key hash may have been made with, newest version first."""
        if self.api_key_hmac_secrets:
            versions = sorted(self.api_key_hmac_secrets.items(), reverse=True)
            return tuple(secret.get_secret_value().encode() for _version, secret in versions)
        if self.api_key_hmac_secret is not None:
            return (self.api_key_hmac_secret.get_secret_value().encode(),)
        return (_local_secret(self.var_dir / "api_key_hmac_secret"),)


def _local_secret(path: Path) -> bytes:
    """Generate a secret once for the embedded default and keep it beside the SQLite file.

    Losing it would make every stored API key hash unverifiable, so it is created exclusively (never
    overwritten) and readable by the owner only.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_bytes().strip()
