from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, String, Text, false
from sqlmodel import Field, SQLModel

from app.base import (
    created_field,
    enum_check,
    id_field,
    unit_interval_check,
    updated_field,
    version_field,
)
from app.enums import SourceKind
from app.types import JSONType, UTCDateTime


class Source(SQLModel, table=True):
    """Who makes statements: an outlet, an official, an agency, an organisation, a person."""

    __tablename__ = "source"
    __table_args__ = (
        enum_check("kind", SourceKind, "kind"),
        unit_interval_check("reliability_prior", "reliability_prior"),
        unit_interval_check("reliability", "reliability", nullable=True),
        Index("ix_source_name_key", "name_key"),
        Index("ix_source_kind", "kind"),
        Index("ix_source_country", "country"),
    )

    id: str = id_field()
    name: str = Field(sa_column=Column(String(300), nullable=False))
    name_key: str = Field(sa_column=Column(String(300), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    homepage_url: str | None = Field(default=None, sa_column=Column(String(2048)))
    country: str | None = Field(default=None, sa_column=Column(String(2)))
    affiliation: str | None = Field(default=None, sa_column=Column(Text))
    parent_id: str | None = Field(
        default=None,
        sa_column=Column(String(26), ForeignKey("source.id"), index=True),
    )
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    independent_voice: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    reliability_prior: float = Field(default=0.5, sa_column=Column(Float, nullable=False))
    reliability: float | None = Field(default=None, sa_column=Column(Float))
    reliability_updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    external_id: str | None = Field(default=None, sa_column=Column(String(200), unique=True))
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()
    version: int = version_field()
