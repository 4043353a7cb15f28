from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from app.base import created_field, enum_check, id_field, updated_field, version_field
from app.enums import ActorKind
from app.types import JSONType


class Actor(SQLModel, table=True):
    """Who can be held responsible for an incident: a state, an armed group, a person."""

    __tablename__ = "actor"
    __table_args__ = (
        enum_check("kind", ActorKind, "kind"),
        Index("ix_actor_name_key", "name_key"),
    )

    id: str = id_field()
    name: str = Field(sa_column=Column(String(300), nullable=False))
    name_key: str = Field(sa_column=Column(String(300), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    parent_id: str | None = Field(
        default=None, sa_column=Column(String(26), ForeignKey("actor.id"), index=True)
    )
    country: str | None = Field(default=None, sa_column=Column(String(2), index=True))
    external_id: str | None = Field(default=None, sa_column=Column(String(200), unique=True))
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()
    version: int = version_field()
