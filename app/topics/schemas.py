from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.enums import TopicKind

TopicKey = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
    ),
]
CategoryText = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Implication(BaseModel):
    """This topic's value is at least the sum of the listed topics' values, on the same
    incident and qualifiers (e.g. `casualties` >= `casualties.killed` + `casualties.wounded`).
    A claim on a listed topic then implies a lower bound on this topic, so it can conflict
    with a claim made on this topic directly."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["at_least_sum_of"] = "at_least_sum_of"
    topics: list[TopicKey] = Field(min_length=1, max_length=20)
    rule: str | None = Field(
        default=None,
        description="Read-only: the rule in words",
        json_schema_extra={"readOnly": True},
    )


class CategoryTerm(BaseModel):
    """One value of a category topic's taxonomy and its parent (null for a root):
    `{"value": "katyusha rocket", "parent": "small rocket"}`. Related values (equal, or one
    above the other) are compatible versions; unrelated ones compete."""

    model_config = ConfigDict(extra="forbid")

    value: CategoryText
    parent: CategoryText | None = None


class TopicCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "key": "displaced.count",
                    "kind": "quantity",
                    "unit": "people",
                    "description": "People displaced",
                }
            ]
        },
    )

    key: TopicKey = Field(description="Dotted lower-case key, e.g. `casualties.killed`")
    kind: TopicKind
    unit: str | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=2000)
    implications: list[Implication] = Field(
        default_factory=list, max_length=20, description="Quantity topics only"
    )
    categories: list[CategoryTerm] = Field(
        default_factory=list, max_length=1000, description="Category topics only: the taxonomy"
    )


class TopicUpdate(BaseModel):
    """Fields sent replace the stored ones (`implications` and `categories` as whole lists).
    Built-in topics accept new implications and taxonomies too."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "categories": [
                        {"value": "katyusha rocket", "parent": "small rocket"},
                        {"value": "small rocket", "parent": "rocket"},
                        {"value": "rocket", "parent": None},
                    ]
                }
            ]
        },
    )

    description: str | None = Field(default=None, max_length=2000)
    implications: list[Implication] | None = Field(default=None, max_length=20)
    categories: list[CategoryTerm] | None = Field(default=None, max_length=1000)


class TopicPublic(BaseModel):
    key: str
    kind: TopicKind
    unit: str | None
    description: str | None
    builtin: bool
    implications: list[Implication]
    categories: list[CategoryTerm] = Field(description="The taxonomy, parents before children")
    created_at: datetime
