"""The change feed's bulk write: ``emit_many`` writes what ``emit`` writes, in order, and owes
the same webhook deliveries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import col

from app.db import session_scope
from app.events.models import Event
from app.events.service import emit, emit_many
from app.webhooks.models import Webhook, WebhookDelivery


def _event(kind: str, n: int) -> dict[str, Any]:
    return {
        "type": kind,
        "entity_type": "incident",
        "entity_id": f"I{n:025d}",
        "payload": {"id": f"I{n:025d}", "n": n, "nested": {"ok": True, "at": None}},
        "incident_id": f"I{n:025d}",
    }


def test_emit_many_writes_what_emit_writes_in_order_and_owes_the_same_deliveries() -> None:
    kinds = ["incident.contested", "attribution.changed", "incident.updated"]
    with session_scope() as session:
        every = Webhook(url="https://example.org/all", events=[], secret="s", active=True)
        some = Webhook(
            url="https://example.org/some", events=["attribution.changed"], secret="s", active=True
        )
        idle = Webhook(url="https://example.org/off", events=[], secret="s", active=False)
        session.add_all([every, some, idle])
        session.flush()
        ids = (every.id, some.id)
    one_by_one = [_event(kinds[n % 3], n) for n in range(6)]
    at_once = [_event(kinds[n % 3], n + 100) for n in range(6)]
    with session_scope() as session:
        emit(session, **_emit_args(one_by_one[0]))  # an ORM event pending before the bulk
        emit_many(session, at_once)
        for event in one_by_one[1:]:
            emit(session, **_emit_args(event))
    with session_scope() as session:
        rows = session.execute(select(Event).order_by(col(Event.id))).scalars().all()
        owed = {
            (d.webhook_id, d.event_id) for d in session.execute(select(WebhookDelivery)).scalars()
        }
    columns = ("type", "entity_type", "entity_id", "payload", "incident_id")
    written = [{c: getattr(row, c) for c in columns} for row in rows]
    assert written == [one_by_one[0], *at_once, *one_by_one[1:]]
    assert all(row.at is not None for row in rows)
    assert owed == {(ids[0], row.id) for row in rows} | {
        (ids[1], row.id) for row in rows if row.type == "attribution.changed"
    }


def test_emit_many_with_nothing_writes_nothing() -> None:
    with session_scope() as session:
        emit_many(session, [])
        assert session.execute(select(Event)).first() is None


def _emit_args(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "type_": event["type"],
        "entity_type": event["entity_type"],
        "entity_id": event["entity_id"],
        "payload": event["payload"],
        "incident_id": event["incident_id"],
    }
