"""Invalidation of ready-made views (see :mod:`app.views.service`): version counters bumped
in the same transaction as the change. Imported by :mod:`app.db`, so the listeners are
active in every process that writes (API, CLI, workers)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as SASession

EPOCH = "*"

# Tables whose writes cannot change a view's result (or are accounted for per incident: claim
# writes bump the incident's state). A write to any other table bumps the epoch.
NOT_VIEW_INPUTS = frozenset(
    {
        "claim",
        "claim_link",
        "incident",
        "event",
        "revision",
        "tombstone",
        "webhook",
        "webhook_delivery",
        "idempotency_key",
        "api_key",
        "ready_view",
        "view_version",
        "alembic_version",
    }
)

_DML = re.compile(
    r"^\s*(?:WITH\b.*?\)\s*)?(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)"
    r"\s+[\"`]?(\w+)",
    re.IGNORECASE | re.DOTALL,
)


# --- invalidation -------------------------------------------------------------------------

_BUMP = (
    "INSERT INTO view_version (scope, n) VALUES (:scope, 1) "
    "ON CONFLICT (scope) DO UPDATE SET n = view_version.n + 1"
)


def bump_incidents(session: SASession, incident_ids: Iterable[str]) -> None:
    """The claims of these incidents changed: their stored views are stale."""
    ids = sorted(set(incident_ids))
    if ids:
        session.execute(text(_BUMP), [{"scope": i} for i in ids])
    session.info["views_claims_scoped"] = True


def bump_epoch(session: SASession) -> None:
    """Something every view may depend on changed: every stored view is stale."""
    session.execute(text(_BUMP), {"scope": EPOCH})


def _mark(session: SASession, tables: Iterable[str]) -> None:
    for table in tables:
        if table == "claim":
            session.info["views_claims_written"] = True
        elif table not in NOT_VIEW_INPUTS:
            session.info["views_epoch"] = True


@event.listens_for(SASession, "after_flush")
def _after_flush(session: SASession, _context: Any) -> None:
    objects = list(session.new) + list(session.dirty) + list(session.deleted)
    _mark(session, {str(getattr(o, "__tablename__", "")) for o in objects})


@event.listens_for(SASession, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    statement = state.statement
    table = getattr(statement, "table", None)
    if table is not None and getattr(table, "name", None):
        _mark(state.session, [str(table.name)])
        return
    match = _DML.match(str(statement))
    if match:
        _mark(state.session, [match.group(1).lower()])


@event.listens_for(SASession, "before_commit")
def _before_commit(session: SASession) -> None:
    session.flush()  # so what the commit would flush is seen now
    info = session.info
    written = info.pop("views_claims_written", False)
    scoped = info.pop("views_claims_scoped", False)
    if info.pop("views_epoch", False) or (written and not scoped):
        session.execute(text(_BUMP), {"scope": EPOCH})
        info.pop("views_epoch", None)


@event.listens_for(SASession, "after_transaction_end")
def _forget(session: SASession, transaction: Any) -> None:
    if transaction.parent is None:
        for key in ("views_epoch", "views_claims_written", "views_claims_scoped"):
            session.info.pop(key, None)
