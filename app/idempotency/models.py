from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, LargeBinary, PrimaryKeyConstraint, String
from sqlmodel import Field, SQLModel

from app.types import JSONType, UTCDateTime, utcnow


class IdempotencyRecord(SQLModel, table=True):
    """The first response to a POST with an ``Idempotency-Key``, per API key."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        PrimaryKeyConstraint("scope", "key", name="pk_idempotency_key"),
        Index("ix_idempotency_key_expires_at", "expires_at"),
    )

    scope: str = Field(sa_column=Column(String(64), nullable=False))
    key: str = Field(sa_column=Column(String(255), nullable=False))
    request_hash: str = Field(sa_column=Column(String(64), nullable=False))
    method: str = Field(sa_column=Column(String(8), nullable=False))
    path: str = Field(sa_column=Column(String(2048), nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(Integer))
    headers: list[Any] | None = Field(default=None, sa_column=Column(JSONType))
    body: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
