"""Idempotency-Key storage: the first response to a POST is kept and replayed on retries."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from app.config import get_settings
from app.db import session_scope
from app.idempotency.models import IdempotencyRecord
from app.types import utcnow

Outcome = Literal["new", "replay", "mismatch", "in_progress"]
CLEANUP_PROBABILITY = 0.01


@dataclass(frozen=True)
class Stored:
    status_code: int
    headers: list[list[str]]
    body: bytes


def begin(
    scope: str, key: str, request_hash: str, method: str, path: str
) -> tuple[Outcome, Stored | None]:
    """Reserve ``key`` for this request, or say what happened to it before."""
    now = utcnow()
    try:
        with session_scope() as session:
            if random.random() < CLEANUP_PROBABILITY:
                session.execute(
                    delete(IdempotencyRecord).where(col(IdempotencyRecord.expires_at) < now)
                )
            record = session.get(IdempotencyRecord, (scope, key))
            if record is not None and record.expires_at < now:
                session.delete(record)
                session.flush()
                record = None
            if record is None:
                ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
                session.add(
                    IdempotencyRecord(
                        scope=scope,
                        key=key,
                        request_hash=request_hash,
                        method=method,
                        path=path,
                        expires_at=now + ttl,
                    )
                )
                session.flush()
                return "new", None
            if record.request_hash != request_hash:
                return "mismatch", None
            if record.status_code is None or record.body is None:
                return "in_progress", None
            return "replay", Stored(record.status_code, list(record.headers or []), record.body)
    except IntegrityError:
        return "in_progress", None  # a concurrent request reserved it first


def finish(scope: str, key: str, status_code: int, headers: list[list[str]], body: bytes) -> None:
    with session_scope() as session:
        record = session.get(IdempotencyRecord, (scope, key))
        if record is not None:
            record.status_code = status_code
            record.headers = headers
            record.body = body


def release(scope: str, key: str) -> None:
    """Forget a reservation whose request failed, so the client can retry."""
    with session_scope() as session:
        session.execute(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.scope) == scope, col(IdempotencyRecord.key) == key
            )
        )
