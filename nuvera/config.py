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
    host: str = "127.0.0.1"
    port: int = 45000
    # Clock-skew tolerance on iat (future) and exp (past); the 60 s lifetime cap is fixed by the spec.
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=60)
    max_json_body_bytes: int = Field(default=1 * MIB, gt=0)
    max_multipart_body_bytes: int = Field(default=20 * MIB, gt=0)
    # How long a process trusts its cached view of an API key before looking at the database again.
    # Changes made in this process invalidate the cache at once; other processes see them within this time.
    key_cache_seconds: float = Field(default=1.0, ge=0, le=1.0)
    last_used_write_interval_seconds: int = Field(default=60, ge=1)

    @model_validator(mode="after")
    def _production_is_explicit(self) -> Settings:
        if self.env == "production":
            if not self.database_url or not self.database_url.startswith("postgresql"):
                raise ConfigurationError("NUVERA_ENV=production requires NUVERA_DATABASE_URL=postgresql+psycopg://…")
            if self.api_key_hmac_secret is None:
                raise ConfigurationError("NUVERA_ENV=production requires NUVERA_API_KEY_HMAC_SECRET")
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.var_dir / 'nuvera.db').resolve()}"

    @cached_property
    def hmac_secret(self) -> bytes:
        if self.api_key_hmac_secret is not None:
            return self.api_key_hmac_secret.get_secret_value().encode()
        return _local_secret(self.var_dir / "api_key_hmac_secret")


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
