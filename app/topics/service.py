"""Topics: what a claim is about, which kind of value it carries, what it implies about other
topics (quantities) and how its values nest (categories)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.claims.models import Claim
from app.confidence.implications import ImplicationError, parse_implications
from app.confidence.taxonomy import TaxonomyError, ancestors, merge, normalise_terms
from app.errors import Conflict, invalid
from app.incidents.derived import refresh_derived
from app.pagination import PageParams, paginate
from app.principal import Principal
from app.repository.base import flush_or_conflict, get_or_404
from app.topics.models import Topic
from app.topics.schemas import (
    CategoryTerm,
    Implication,
    TopicCreate,
    TopicPublic,
    TopicUpdate,
)


def _check_implications(
    session: Session, key: str, kind: str, raw: Sequence[dict[str, Any]], pointer: str
) -> list[dict[str, Any]]:
    """The stored form of ``raw`` after checking it: quantity topics implied by existing
    quantity topics; 422 naming the member otherwise."""
    if raw and kind != "quantity":
        raise invalid(pointer, "only quantity topics can declare implications")
    try:
        rules = parse_implications(key, list(raw))
    except ImplicationError as exc:
        raise invalid(pointer + exc.pointer, exc.detail) from exc
    for i, rule in enumerate(rules):
        for j, part in enumerate(rule.parts):
            other = session.get(Topic, part)
            if other is None:
                raise invalid(f"{pointer}/{i}/topics/{j}", f"no topic {part!r}")
            if other.kind != "quantity":
                raise invalid(f"{pointer}/{i}/topics/{j}", f"{part!r} is not a quantity topic")
    return [rule.as_json() for rule in rules]


def _taxonomy(
    kind: str, terms: Iterable[CategoryTerm], pointer: str, existing: dict[str, str | None]
) -> dict[str, str | None]:
    pairs = [(t.value, t.parent) for t in terms]
    if pairs and kind != "category":
        raise invalid(pointer, "only category topics can declare a taxonomy")
    try:
        return merge(existing, pairs) if existing else normalise_terms(pairs)
    except TaxonomyError as exc:
        raise invalid(pointer + exc.pointer, exc.detail) from exc


def _new_topic(session: Session, data: TopicCreate) -> Topic:
    """An admin's topic, its implications and taxonomy checked (422 naming the member)."""
    return Topic(
        key=data.key,
        kind=data.kind.value,
        unit=data.unit,
        description=data.description,
        builtin=False,
        implications=_check_implications(
            session,
            data.key,
            data.kind.value,
            [i.model_dump(exclude={"rule"}) for i in data.implications],
            "/implications",
        ),
        categories=_taxonomy(data.kind.value, data.categories, "/categories", {}),
    )


def create_topic(session: Session, data: TopicCreate, principal: Principal) -> Topic:
    if session.get(Topic, data.key) is not None:
        raise Conflict(f"topic {data.key!r} already exists")
    topic = _new_topic(session, data)
    session.add(topic)
    flush_or_conflict(session, lambda _: Conflict(f"topic {data.key!r} already exists"))
    return topic


def _refresh_incidents(session: Session, key: str) -> None:
    """Incidents with claims on the topic: their stored ``contested`` flag and leading
    attribution follow the new implications or taxonomy (in the same transaction)."""
    session.flush()
    incidents = session.execute(
        select(col(Claim.incident_id)).where(col(Claim.topic) == key).distinct()
    ).scalars()
    for incident_id in sorted(incidents):
        refresh_derived(session, incident_id)


def update_topic(session: Session, key: str, data: TopicUpdate, principal: Principal) -> Topic:
    topic = get_or_404(session, Topic, key, "topic", lock=True)
    sent = data.model_fields_set
    if "description" in sent:
        topic.description = data.description
    if "implications" in sent:
        topic.implications = _check_implications(
            session,
            key,
            topic.kind,
            [i.model_dump(exclude={"rule"}) for i in data.implications or []],
            "/implications",
        )
    if "categories" in sent:
        topic.categories = _taxonomy(topic.kind, data.categories or [], "/categories", {})
    session.add(topic)
    if sent & {"implications", "categories"}:
        _refresh_incidents(session, key)
    session.flush()
    session.refresh(topic)
    return topic


def merge_topic(session: Session, record: dict[str, Any]) -> tuple[Topic, bool]:
    """An imported topic record: create the topic, or add its implications and taxonomy
    terms to the existing one (idempotent). Returns the topic and whether anything changed.
    Raises a 422 naming the member; the caller decides who may change topics."""
    data = TopicCreate.model_validate(record)
    topic = session.get(Topic, data.key)
    if topic is None:
        topic = _new_topic(session, data)
        session.add(topic)
        session.flush()
        return topic, True
    if topic.kind != data.kind.value:
        raise invalid("/kind", f"topic {data.key!r} exists with kind {topic.kind!r}")
    added = [
        i.model_dump(exclude={"rule"})
        for i in data.implications
        if i.model_dump(exclude={"rule"}) not in topic.implications
    ]
    implications = topic.implications + _check_implications(
        session, data.key, topic.kind, added, "/implications"
    )
    categories = _taxonomy(topic.kind, data.categories, "/categories", dict(topic.categories))
    if implications == topic.implications and categories == topic.categories:
        return topic, False
    topic.implications, topic.categories = implications, categories
    session.add(topic)
    _refresh_incidents(session, data.key)
    return topic, True


def would_change(session: Session, record: dict[str, Any]) -> bool:
    """Would importing this topic record change anything? (A malformed one: yes.)"""
    try:
        data = TopicCreate.model_validate(record)
    except ValueError:
        return True
    topic = session.get(Topic, data.key)
    if topic is None or topic.kind != data.kind.value:
        return True
    if any(i.model_dump(exclude={"rule"}) not in topic.implications for i in data.implications):
        return True
    try:
        return merge(topic.categories, [(t.value, t.parent) for t in data.categories]) != (
            topic.categories
        )
    except TaxonomyError:
        return True


def get_topic(session: Session, key: str) -> Topic:
    return get_or_404(session, Topic, key, "topic")


def list_topics(
    session: Session, kind: str | None, page: PageParams
) -> tuple[list[Topic], str | None, int | None]:
    stmt = select(Topic)
    if kind:
        stmt = stmt.where(Topic.kind == kind)  # type: ignore[arg-type]
    return paginate(session, stmt, [Topic.key], page, lambda t: (t.key,), (str,))


def _terms(taxonomy: dict[str, str | None]) -> list[CategoryTerm]:
    """Parents before children, then alphabetically."""
    return [
        CategoryTerm(value=v, parent=taxonomy[v])
        for v in sorted(taxonomy, key=lambda v: (len(ancestors(v, taxonomy)), v))
    ]


def public(topic: Topic) -> TopicPublic:
    rules = parse_implications(topic.key, topic.implications)
    return TopicPublic(
        key=topic.key,
        kind=topic.kind,
        unit=topic.unit,
        description=topic.description,
        builtin=topic.builtin,
        implications=[
            Implication(kind=r.kind, topics=list(r.parts), rule=r.describe()) for r in rules
        ],
        categories=_terms(topic.categories),
        created_at=topic.created_at,
    )
