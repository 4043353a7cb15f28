"""The change feed: events written in the same transaction as the change they describe.

Ids come from the database and only increase. So that a poller that has seen id N can never
miss an event with a smaller id committed later, event-writing transactions are serialised
from their first event to their commit: SQLite writers already are (BEGIN IMMEDIATE), and on
PostgreSQL they take a transaction-scoped advisory lock. Events are written last, just before
the commit, so the lock is held briefly."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session as SASession
from sqlmodel import Session, col

from app.events.models import Event
from app.types import utcnow
from app.webhooks.outbox import owe, owe_written

ADVISORY_LOCK_KEY = 0x43_4C_41_49  # "CLAI"


def lock_feed(session: Session) -> None:
    """Serialise event writers until the commit (PostgreSQL; SQLite writers already are)."""
    if not session.info.get("event_lock") and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
        session.info["event_lock"] = True


def emit(
    session: Session,
    type_: str,
    entity_type: str,
    entity_id: str,
    payload: dict[str, Any],
    incident_id: str | None = None,
) -> None:
    lock_feed(session)
    event = Event(
        type=type_,
        entity_type=entity_type,
        entity_id=entity_id,
        incident_id=incident_id,
        payload=payload,
    )
    session.add(event)
    owe(session, event)


def emit_many(session: Session, events: list[dict[str, Any]]) -> None:
    """Put many events on the feed at once, each given as the columns ``type``,
    ``entity_type``, ``entity_id``, ``payload`` and ``incident_id``: one multi-row
    ``INSERT … RETURNING`` in their order, no ORM object each (a bulk writer's: the import's
    refresh announces one or two changes for each of thousands of incidents), and the webhook
    deliveries owed for them, as :func:`emit` owes one."""
    if not events:
        return
    lock_feed(session)
    session.flush()  # what was emitted before keeps the smaller ids
    table = Event.__table__  # type: ignore[attr-defined]
    at = utcnow()
    ids = (
        session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [event | {"at": at} for event in events],
        )
        .scalars()
        .all()
    )
    owe_written(session, zip(ids, (event["type"] for event in events), strict=True))


@sa_event.listens_for(SASession, "after_transaction_end")
def _forget_lock(session: SASession, transaction: Any) -> None:
    """The advisory lock ends with the transaction."""
    if transaction.parent is None:
        session.info.pop("event_lock", None)


def redact(session: Session, entity_type: str, entity_id: str) -> None:
    """Legal takedown: remove the content from every event about the entity."""
    session.execute(
        update(Event)
        .where(col(Event.entity_type) == entity_type, col(Event.entity_id) == entity_id)
        .values(payload={"redacted": True})
    )


def list_events(
    session: Session,
    after: int,
    limit: int,
    types: list[str] | None,
    incident_id: str | None,
) -> list[Event]:
    stmt = select(Event).where(col(Event.id) > after)
    if types:
        stmt = stmt.where(col(Event.type).in_(types))
    if incident_id:
        stmt = stmt.where(col(Event.incident_id) == incident_id)
    return list(session.execute(stmt.order_by(col(Event.id)).limit(limit)).scalars())
