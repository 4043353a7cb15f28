from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import BigInteger, Column, Index, Integer, String
from sqlmodel import Field, SQLModel

from app.base import enum_check
from app.types import JSONType, UTCDateTime, utcnow

EventType = Literal[
    "claim.created",
    "claim.updated",
    "claim.retracted",
    "claim.deleted",
    "incident.created",
    "incident.updated",
    "incident.contested",
    "attribution.changed",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)


class Event(SQLModel, table=True):
    """A change the outside world may want to hear about; ids only ever increase."""

    __tablename__ = "event"
    __table_args__ = (
        enum_check("type", EVENT_TYPES, "type"),
        Index("ix_event_incident_id", "incident_id", "id"),
        Index("ix_event_type", "type", "id"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    type: str = Field(sa_column=Column(String(32), nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    entity_type: str = Field(sa_column=Column(String(16), nullable=False))
    entity_id: str = Field(sa_column=Column(String(26), nullable=False, index=True))
    incident_id: str | None = Field(default=None, sa_column=Column(String(26)))
    payload: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
