from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.events.models import EventType

__all__ = ["EventPage", "EventPublic", "EventType"]


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Stable and increasing: poll with ?after=<the last id seen>")
    type: EventType
    at: datetime
    entity_type: Literal["claim", "incident"]
    entity_id: str
    incident_id: str | None
    payload: dict[str, Any] = Field(
        description="The resource after the change (claim or incident); for attribution.changed "
        "the leading actor before and after; for claim.deleted the tombstone"
    )


class EventPage(BaseModel):
    items: list[EventPublic]
    last_id: int = Field(description="Pass as `after` on the next poll (unchanged when empty)")
