from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, Float, ForeignKey, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from app.base import enum_check, id_field, unit_interval_check, version_field
from app.enums import Bound, ClaimStatus, LinkKind, Stance, TimePrecision, TopicKind
from app.types import JSONType, UTCDateTime, utcnow


class Claim(SQLModel, table=True):
    """One statement by one source about one incident and one topic.

    The value is stored in typed columns (``value_kind`` plus the quantity bound and numbers,
    the normalised category, the actor id, or the statement text) so queries can filter and
    compare values; ``qualifiers_key`` is the canonical JSON of ``qualifiers`` for grouping.
    """

    __tablename__ = "claim"
    __table_args__ = (
        enum_check("value_kind", TopicKind, "value_kind"),
        enum_check("q_bound", Bound, "q_bound"),
        enum_check("stance", Stance, "stance"),
        enum_check("status", ClaimStatus, "status"),
        enum_check("said_at_precision", TimePrecision, "said_at_precision"),
        unit_interval_check("confidence", "confidence"),
        CheckConstraint("q_low IS NULL OR q_best IS NULL OR q_low <= q_best", name="low_best"),
        CheckConstraint("q_best IS NULL OR q_high IS NULL OR q_best <= q_high", name="best_high"),
        CheckConstraint("q_low IS NULL OR q_high IS NULL OR q_low <= q_high", name="low_high"),
        CheckConstraint(
            "(value_kind = 'quantity') = (q_bound IS NOT NULL)", name="quantity_has_bound"
        ),
        CheckConstraint(
            "value_kind <> 'category' OR category IS NOT NULL", name="category_has_value"
        ),
        CheckConstraint("value_kind <> 'actor' OR actor_id IS NOT NULL", name="actor_has_value"),
        Index("ix_claim_incident_said_at", "incident_id", "said_at", "id"),
        Index("ix_claim_incident_topic", "incident_id", "topic", "qualifiers_key"),
        Index("ix_claim_said_at", "said_at", "id"),
        Index("ix_claim_source_id", "source_id"),
        Index("ix_claim_via_source_id", "via_source_id"),
        Index("ix_claim_topic", "topic"),
        Index("ix_claim_status", "status"),
        Index("ix_claim_language", "language"),
        Index("ix_claim_actor_id", "actor_id"),
        Index("ix_claim_cites_claim_id", "cites_claim_id"),
        Index("ix_claim_supersedes_id", "supersedes_id"),
    )

    id: str = id_field()
    incident_id: str = Field(
        sa_column=Column(String(26), ForeignKey("incident.id"), nullable=False)
    )
    source_id: str = Field(sa_column=Column(String(26), ForeignKey("source.id"), nullable=False))
    via_source_id: str | None = Field(
        default=None, sa_column=Column(String(26), ForeignKey("source.id"))
    )
    speaker: str | None = Field(default=None, sa_column=Column(String(300)))
    said_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    said_at_precision: str = Field(default="minute", sa_column=Column(String(16), nullable=False))
    quote: str = Field(sa_column=Column(Text, nullable=False))
    language: str = Field(default="en", sa_column=Column(String(35), nullable=False))
    translation: str | None = Field(default=None, sa_column=Column(Text))
    topic: str = Field(sa_column=Column(String(100), ForeignKey("topic.key"), nullable=False))
    qualifiers: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    qualifiers_key: str = Field(default="{}", sa_column=Column(String(500), nullable=False))
    value_kind: str = Field(sa_column=Column(String(16), nullable=False))
    q_bound: str | None = Field(default=None, sa_column=Column(String(16)))
    q_low: float | None = Field(default=None, sa_column=Column(Float))
    q_best: float | None = Field(default=None, sa_column=Column(Float))
    q_high: float | None = Field(default=None, sa_column=Column(Float))
    category: str | None = Field(default=None, sa_column=Column(String(300)))
    actor_id: str | None = Field(default=None, sa_column=Column(String(26), ForeignKey("actor.id")))
    statement: str | None = Field(default=None, sa_column=Column(Text))
    stance: str = Field(default="asserts", sa_column=Column(String(8), nullable=False))
    confidence: float = Field(default=0.8, sa_column=Column(Float, nullable=False))
    status: str = Field(default="active", sa_column=Column(String(16), nullable=False))
    supersedes_id: str | None = Field(
        default=None, sa_column=Column(String(26), ForeignKey("claim.id"))
    )
    cites_claim_id: str | None = Field(
        default=None, sa_column=Column(String(26), ForeignKey("claim.id"))
    )
    external_id: str | None = Field(default=None, sa_column=Column(String(200), unique=True))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    notes: str | None = Field(default=None, sa_column=Column(Text))
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    version: int = version_field()


class ClaimLink(SQLModel, table=True):
    """Where a statement can be seen (part of a claim)."""

    __tablename__ = "claim_link"
    __table_args__ = (enum_check("kind", LinkKind, "kind"),)

    id: str = id_field()
    claim_id: str = Field(
        sa_column=Column(
            String(26), ForeignKey("claim.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    url: str = Field(sa_column=Column(String(2048), nullable=False))
    kind: str = Field(default="original", sa_column=Column(String(16), nullable=False))
    title: str | None = Field(default=None, sa_column=Column(String(500)))
    accessed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    http_status: int | None = Field(default=None, sa_column=Column(Integer))
    final_url: str | None = Field(default=None, sa_column=Column(String(2048)))
    checked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    sha256: str | None = Field(default=None, sa_column=Column(String(64)))
