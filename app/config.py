"""Service configuration: every setting is a ``CLAIMDESK_*`` environment variable."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings read from the environment (and an optional ``.env`` file)."""

    model_config = SettingsConfigDict(env_prefix="CLAIMDESK_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./claimdesk.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    admin_key: SecretStr | None = Field(
        default=None, description="Bootstraps an admin API key with this secret at start-up"
    )
    anonymous_read: bool = Field(default=False, description="Let unauthenticated clients read")
    require_if_match: bool = Field(
        default=False, description="Reject PATCH and state changes without If-Match (428)"
    )
    idempotency_ttl_hours: int = Field(default=24, ge=1, description="Idempotency-Key lifetime")
    log_level: str = Field(default="INFO", description="Python log level")
    deliver_webhooks: bool = Field(
        default=True,
        description="Deliver webhooks from the API process (else run `claimdesk worker`)",
    )
    archive_url: str | None = Field(
        default=None,
        description="Archive 'save' endpoint prefix for `links check --archive` "
        "(e.g. https://web.archive.org/save/)",
    )
    allow_private_urls: bool = Field(
        default=False,
        description="Allow webhook URLs on private, loopback or link-local addresses, and http",
    )
    cors_origins: str = Field(
        default="",
        description="Comma-separated browser origins allowed to call the API (CORS), e.g. "
        "https://cms.example.org; `*` for any; empty (the default) turns CORS off",
    )
    gzip_min_bytes: int = Field(
        default=1024, ge=0, description="Compress responses at least this large (gzip)"
    )
    metrics: Literal["open", "key", "off"] = Field(
        default="open",
        description="GET /metrics: open to anyone who reaches it, only with an admin API key "
        "(key), or not served (off)",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Comma-separated proxy addresses whose X-Forwarded-For/-Proto are trusted "
        "(`claimdesk serve`); `*` behind a proxy you control, e.g. in Docker",
    )
    db_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connection pool size")
    db_pool_timeout_s: float = Field(
        default=10,
        gt=0,
        description="Wait this long for a pooled PostgreSQL connection (503 after)",
    )
    db_connect_timeout_s: int = Field(
        default=5, ge=1, description="PostgreSQL connect timeout (an outage answers 503 after it)"
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest request body (413 beyond)"
    )
    max_import_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="Largest POST /v1/import body (413 beyond)"
    )
    rate_limit: bool = Field(default=True, description="Rate limiting on (false turns it off)")
    rate_limit_per_key: int = Field(
        default=1200, ge=0, description="Requests a minute per API key (0: unlimited)"
    )
    rate_limit_failed_auth: int = Field(
        default=30, ge=0, description="Failed authentications a minute per client address"
    )
    sqlite_busy_timeout_ms: int = Field(default=5000, ge=0, description="SQLite busy timeout")
    auth_cache_seconds: float = Field(
        default=5,
        ge=0,
        le=300,
        description="How long a process trusts an API key it has checked without reading it "
        "again (revocation in another process takes effect within this; 0: every request)",
    )

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]

    @field_validator("cors_origins")
    @classmethod
    def _cors_origins(cls, value: str) -> str:
        for origin in (o.strip() for o in value.split(",") if o.strip()):
            if origin != "*" and not re.fullmatch(r"https?://[^/\s]+/?", origin):
                raise ValueError(
                    f"{origin!r} is not an origin: use scheme://host[:port], e.g. "
                    "https://cms.example.org, separated by commas"
                )
        return value

    @field_validator("admin_key", mode="before")
    @classmethod
    def _admin_key(cls, value: object) -> object:
        """An empty variable means unset; a set one must be long enough to be a secret."""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        if isinstance(raw, str) and len(raw.strip()) < MIN_ADMIN_KEY_LENGTH:
            raise ValueError(
                f"CLAIMDESK_ADMIN_KEY must be at least {MIN_ADMIN_KEY_LENGTH} characters"
            )
        return value


MIN_ADMIN_KEY_LENGTH = 16


class ConfigError(Exception):
    """A setting is wrong or points at nothing usable. The message is one line for the operator
    naming the setting and what to do; the CLI prints it alone and exits with code 2."""


def _setting_name(loc: tuple[int | str, ...]) -> str:
    return "CLAIMDESK_" + str(loc[0]).upper() if loc else "configuration"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        name = _setting_name(tuple(first.get("loc", ())))
        raise ConfigError(message if message.startswith(name) else f"{name}: {message}") from None


_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@")


def mask_url(url: object) -> str:
    """The URL with its password replaced by ``***``: safe to print and log."""
    return _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:***@", str(url))
