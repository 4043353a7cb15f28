from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.enums import TopicKind

TopicKey = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$"
    ),
]


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


class TopicPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    kind: TopicKind
    unit: str | None
    description: str | None
    builtin: bool
    created_at: datetime
