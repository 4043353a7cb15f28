"""Column types shared by every table: UTC instants, JSON, identifiers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from ulid import ULID


def new_id() -> str:
    """A stable, URL-safe, time-ordered identifier (ULID, 26 characters)."""
    return str(ULID())


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def api_instant(value: datetime) -> str:
    """An instant as the API writes it (pydantic's JSON: UTC with ``Z``, microseconds only
    when there are any); a naive value is UTC, as :func:`as_utc` reads it."""
    return as_utc(value).isoformat()[:-6] + "Z"


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants in UTC (timestamptz on PostgreSQL) and always returns aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        if dialect.name == "sqlite":
            # SQLite compares text: store one fixed, naive-UTC format so ordering is right.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        if dialect.name == "sqlite":
            return _from_sqlite_text  # skips the dialect's regular-expression parser
        return super().result_processor(dialect, coltype)


def _from_sqlite_text(value: str | datetime | None) -> datetime | None:
    """SQLite's stored text (``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC) as aware UTC, with
    the C parser (reading a 100-claim timeline parses 300 of these)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return as_utc(parsed)


JSONType: Any = JSON().with_variant(JSONB(), "postgresql")
