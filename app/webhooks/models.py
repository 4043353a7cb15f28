from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from app.base import created_field, enum_check, id_field, updated_field, version_field
from app.types import JSONType, UTCDateTime, utcnow

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class Webhook(SQLModel, table=True):
    """An HTTPS endpoint subscribed to event types (all types when ``events`` is empty)."""

    __tablename__ = "webhook"

    id: str = id_field()
    url: str = Field(sa_column=Column(String(2048), nullable=False))
    events: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    secret: str = Field(sa_column=Column(String(200), nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()
    version: int = version_field()


class WebhookDelivery(SQLModel, table=True):
    """One event owed to one webhook: retried with exponential backoff until delivered."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        enum_check("status", DELIVERY_STATUSES, "status"),
        UniqueConstraint("webhook_id", "event_id", name="uq_webhook_delivery_webhook_event"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_webhook", "webhook_id", "id"),
    )

    id: str = id_field()
    webhook_id: str = Field(
        sa_column=Column(String(26), ForeignKey("webhook.id", ondelete="CASCADE"), nullable=False)
    )
    event_id: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"),
            ForeignKey("event.id", ondelete="CASCADE"),
            nullable=False,
        )
    )
    status: str = Field(default="pending", sa_column=Column(String(16), nullable=False))
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_status_code: int | None = Field(default=None, sa_column=Column(Integer))
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = created_field()
