from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from app.auth import viewer
from app.db import get_session
from app.errors import problem_responses
from app.events import service
from app.events.schemas import EventPage, EventPublic, EventType
from app.principal import Principal

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.get("", responses=problem_responses(400, 401, 403, 422, 500))
def list_events(
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    after: Annotated[
        int, Query(ge=0, le=2**63 - 1, description="Only events with a larger id")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    type: Annotated[list[EventType] | None, Query(description="Only these types")] = None,
    incident_id: str | None = None,
) -> EventPage:
    """The change feed for polling clients: events in id order after `after`. Poll again with
    `after=last_id`; an id is never reused and no event is skipped."""
    items = service.list_events(session, after, limit, list(type) if type else None, incident_id)
    return EventPage(
        items=[EventPublic.model_validate(e) for e in items],
        last_id=items[-1].id if items and items[-1].id is not None else after,
    )
