"""The webhook outbox: deliveries owed for an event, written in the event's own transaction.

Kept apart from ``webhooks.service`` (subscriptions and delivery) so that the change feed
(``events.service``) can queue deliveries without importing the delivery machinery."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from app.events.models import Event
from app.webhooks.models import Webhook, WebhookDelivery


def active_hooks(session: Session) -> list[tuple[str, list[str]]]:
    """The active webhooks and the event types each wants (none: all), read once a session."""
    hooks: list[tuple[str, list[str]]] | None = session.info.get("active_webhooks")
    if hooks is None:
        with session.no_autoflush:
            hooks = [
                (row.id, list(row.events))
                for row in session.execute(
                    select(col(Webhook.id), col(Webhook.events)).where(col(Webhook.active))
                )
            ]
        session.info["active_webhooks"] = hooks
    return hooks


def wants(types: Sequence[str], kind: str) -> bool:
    """Whether a webhook subscribed to ``types`` (none: every type) wants an event of ``kind``."""
    return not types or kind in types


def owe(session: Session, event: Event) -> None:
    """Queue the event for every active webhook that wants its type (same transaction)."""
    wanted = [hid for hid, types in active_hooks(session) if wants(types, event.type)]
    if not wanted:
        return
    session.flush()  # the event's id
    assert event.id is not None
    for hid in wanted:
        session.add(WebhookDelivery(webhook_id=hid, event_id=event.id))


def owe_written(session: Session, events: Iterable[tuple[int, str]]) -> None:
    """Queue events already written, given as ``(id, type)``, as :func:`owe` queues one."""
    hooks = active_hooks(session)
    if not hooks:
        return
    for event_id, kind in events:
        for hid, types in hooks:
            if wants(types, kind):
                session.add(WebhookDelivery(webhook_id=hid, event_id=event_id))
