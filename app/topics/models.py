from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, String, Text
from sqlmodel import Field, SQLModel

from app.base import created_field, enum_check
from app.enums import TopicKind
from app.types import JSONType


class Topic(SQLModel, table=True):
    """What a claim is about, with the kind of value it carries."""

    __tablename__ = "topic"
    __table_args__ = (enum_check("kind", TopicKind, "kind"),)

    key: str = Field(sa_column=Column(String(100), primary_key=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    unit: str | None = Field(default=None, sa_column=Column(String(50)))
    description: str | None = Field(default=None, sa_column=Column(Text))
    builtin: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    #: Declared implications on this topic's value, e.g. ``casualties`` is at least the sum of
    #: ``casualties.killed`` and ``casualties.wounded``: ``[{"kind": "at_least_sum_of",
    #: "topics": [...]}]`` (see :mod:`app.confidence.implications`).
    implications: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False, server_default="[]")
    )
    #: A category topic's taxonomy: normalised value -> normalised parent value (or null for a
    #: root), e.g. ``{"katyusha rocket": "small rocket", "small rocket": "rocket"}``.
    categories: dict[str, str | None] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False, server_default="{}")
    )
    created_at: datetime = created_field()


#: The implications the migrations declare on built-in topics.
BUILTIN_IMPLICATIONS: dict[str, list[dict[str, Any]]] = {
    "casualties": [
        {"kind": "at_least_sum_of", "topics": ["casualties.killed", "casualties.wounded"]}
    ],
}

BUILTIN_TOPICS: list[dict[str, str | None]] = [
    {
        "key": "casualties",
        "kind": "quantity",
        "unit": "people",
        "description": "People killed or wounded (casualties of any kind)",
    },
    {
        "key": "casualties.killed",
        "kind": "quantity",
        "unit": "people",
        "description": "People killed",
    },
    {
        "key": "casualties.wounded",
        "kind": "quantity",
        "unit": "people",
        "description": "People wounded",
    },
    {
        "key": "munitions.count",
        "kind": "quantity",
        "unit": "munitions",
        "description": "Number of rockets, missiles, shells or other munitions",
    },
    {
        "key": "munitions.type",
        "kind": "category",
        "unit": None,
        "description": "Type of munition (e.g. katyusha rocket)",
    },
    {
        "key": "responsibility",
        "kind": "actor",
        "unit": None,
        "description": "Who is responsible for the incident",
    },
    {"key": "damage", "kind": "category", "unit": None, "description": "Damage caused"},
    {
        "key": "occurred",
        "kind": "statement",
        "unit": None,
        "description": "Whether the incident happened at all",
    },
]
