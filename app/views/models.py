from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer, LargeBinary, String
from sqlmodel import Field, SQLModel

from app.types import UTCDateTime, utcnow


class ViewVersion(SQLModel, table=True):
    """A counter bumped by every change that can alter a view: one row per incident (its
    claims changed) and the row ``*`` (sources, actors, topics, reliability, anything else)."""

    __tablename__ = "view_version"

    scope: str = Field(sa_column=Column(String(40), primary_key=True))
    n: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class ReadyView(SQLModel, table=True):
    """The JSON of one incident's view as last computed, and the versions it was computed at:
    served as it is while the incident's and the global counters and the code still match."""

    __tablename__ = "ready_view"

    incident_id: str = Field(sa_column=Column(String(26), primary_key=True))
    view: str = Field(sa_column=Column(String(40), primary_key=True))
    state: int = Field(sa_column=Column(Integer, nullable=False))
    epoch: int = Field(sa_column=Column(Integer, nullable=False))
    code: str = Field(sa_column=Column(String(16), nullable=False))
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    computed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
