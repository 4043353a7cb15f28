from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlmodel import Session

from app.auth import admin, viewer
from app.db import WriteSession, get_session
from app.enums import TopicKind
from app.errors import problem_responses
from app.pagination import Page, PageParams, page_params
from app.principal import Principal
from app.topics import service
from app.topics.schemas import TopicCreate, TopicPublic, TopicUpdate

router = APIRouter(prefix="/v1/topics", tags=["topics"])


@router.get("", responses=problem_responses(400, 401, 403, 422, 500))
def list_topics(
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    page: Annotated[PageParams, Depends(page_params)],
    kind: TopicKind | None = None,
) -> Page[TopicPublic]:
    """The topics claims can be about (built-in and added by admins), in key order."""
    items, next_cursor, total = service.list_topics(session, kind, page)
    return Page[TopicPublic](
        items=[service.public(t) for t in items], next_cursor=next_cursor, total=total
    )


@router.get("/{key}", responses=problem_responses(401, 403, 404, 500))
def get_topic(
    key: str,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
) -> TopicPublic:
    """One topic by key, e.g. `casualties.killed`."""
    return service.public(service.get_topic(session, key))


@router.post("", status_code=201, responses=problem_responses(400, 401, 403, 409, 422, 500))
def create_topic(
    data: TopicCreate,
    response: Response,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
) -> TopicPublic:
    """Add a topic (admin only), with its implications (quantity topics) or its category
    taxonomy (category topics)."""
    topic = service.create_topic(session, data, principal)
    response.headers["Location"] = f"/v1/topics/{topic.key}"
    return service.public(topic)


@router.patch("/{key}", responses=problem_responses(401, 403, 404, 422, 500))
def update_topic(
    key: str,
    data: TopicUpdate,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
) -> TopicPublic:
    """Change a topic's description, implications or category taxonomy (admin only; built-in
    topics too). `implications` and `categories` replace the stored lists."""
    return service.public(service.update_topic(session, key, data, principal))
