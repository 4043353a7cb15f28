from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from app.base import enum_check, id_field
from app.types import JSONType, UTCDateTime, utcnow

ENTITY_TYPES = ("source", "actor", "incident", "claim")
ACTIONS = ("create", "update", "retract", "supersede", "delete")


class Revision(SQLModel, table=True):
    """One change to a source, actor, incident or claim, written in the same transaction."""

    __tablename__ = "revision"
    __table_args__ = (
        enum_check("entity_type", ENTITY_TYPES, "entity_type"),
        enum_check("action", ACTIONS, "action"),
        Index("ix_revision_entity", "entity_type", "entity_id", "id"),
    )

    id: str = id_field()
    entity_type: str = Field(sa_column=Column(String(16), nullable=False))
    entity_id: str = Field(sa_column=Column(String(26), nullable=False))
    version: int = Field(sa_column=Column(Integer, nullable=False))
    action: str = Field(sa_column=Column(String(16), nullable=False))
    key_id: str | None = Field(default=None, sa_column=Column(String(26)))
    key_name: str = Field(sa_column=Column(String(200), nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    changes: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    reason: str | None = Field(default=None, sa_column=Column(Text))


class Tombstone(SQLModel, table=True):
    """What is left of a hard-deleted record (legal takedown): never its content."""

    __tablename__ = "tombstone"
    __table_args__ = (
        enum_check("entity_type", ENTITY_TYPES, "entity_type"),
        Index("ix_tombstone_deleted_at", "deleted_at", "id"),
        Index("ix_tombstone_entity", "entity_type", "entity_id"),
    )

    id: str = id_field()
    entity_type: str = Field(sa_column=Column(String(16), nullable=False))
    entity_id: str = Field(sa_column=Column(String(26), nullable=False))
    incident_id: str | None = Field(default=None, sa_column=Column(String(26), index=True))
    deleted_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    key_id: str | None = Field(default=None, sa_column=Column(String(26)))
    key_name: str = Field(sa_column=Column(String(200), nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
