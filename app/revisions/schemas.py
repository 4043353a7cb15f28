from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EntityType = Literal["source", "actor", "incident", "claim"]


class RevisionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    entity_type: EntityType
    entity_id: str
    version: int = Field(description="The entity's version after this change")
    action: Literal["create", "update", "retract", "supersede", "delete"]
    key_id: str | None = Field(description="The API key that made the change (null: CLI/import)")
    key_name: str
    at: datetime
    changes: dict[str, Any] = Field(
        description='{field: {"before": …, "after": …}} for every changed field; '
        '{"redacted": true} after a legal takedown',
        examples=[{"confidence": {"before": 0.8, "after": 0.95}}],
    )
    reason: str | None


class TombstonePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    entity_type: EntityType
    entity_id: str
    incident_id: str | None
    deleted_at: datetime
    key_id: str | None
    key_name: str
    reason: str
