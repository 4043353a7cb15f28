"""Topics: what a claim is about and which kind of value it carries."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from app.auth import Principal
from app.crud import commit_or_conflict, get_or_404
from app.errors import Conflict
from app.pagination import PageParams, paginate
from app.topics.models import Topic
from app.topics.schemas import TopicCreate


def create_topic(session: Session, data: TopicCreate, principal: Principal) -> Topic:
    if session.get(Topic, data.key) is not None:
        raise Conflict(f"topic {data.key!r} already exists")
    topic = Topic(**data.model_dump(), builtin=False)
    session.add(topic)
    commit_or_conflict(session, lambda _: Conflict(f"topic {data.key!r} already exists"))
    return topic


def get_topic(session: Session, key: str) -> Topic:
    return get_or_404(session, Topic, key, "topic")


def list_topics(
    session: Session, kind: str | None, page: PageParams
) -> tuple[list[Topic], str | None, int | None]:
    stmt = select(Topic)
    if kind:
        stmt = stmt.where(Topic.kind == kind)  # type: ignore[arg-type]
    return paginate(session, stmt, [Topic.key], page, lambda t: (t.key,), (str,))
