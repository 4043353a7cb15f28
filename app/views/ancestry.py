"""Sources and actors with their ancestors, cached in-process between requests.

A view computed on a miss needs the sources and actors its claims name and all their parents
(one query per level of the hierarchy). They change rarely, so each process keeps the rows it
has read, valid while the global view epoch (``view_version`` row ``*``, see
:mod:`app.views.invalidate`) is unchanged: any committed write to sources or actors, from any
process, bumps the epoch in its own transaction, and the next read here starts afresh. A
session that has itself written to a view input (not yet committed, so not yet in the epoch)
bypasses the cache, so uncommitted rows are never cached.

Rows are plain rows (``select(table)``: the columns, typed as the ORM types them), never ORM
objects, so nothing cached belongs to a session.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, text
from sqlmodel import Session

from app.actors.models import Actor
from app.sources.models import Source
from app.views.invalidate import EPOCH

MAX_ROWS = 50_000  # per table; beyond it the cache starts afresh (memory stays bounded)

_lock = threading.Lock()
_cache: dict[str, tuple[int, dict[str, Any]]] = {}
stats = {"hits": 0, "misses": 0}  # rows served from memory / read from the database


def _epoch(session: Session) -> int:
    found = session.execute(
        text("SELECT n FROM view_version WHERE scope = :s"), {"s": EPOCH}
    ).scalar()
    return int(found or 0)


def _dirty(session: Session) -> bool:
    """True if this session wrote (or is about to flush) something a view depends on."""
    if session.info.get("views_epoch"):
        return True
    pending = (*session.new, *session.dirty, *session.deleted)
    return any(isinstance(o, Source | Actor) for o in pending)


def _read(session: Session, model: type[Source] | type[Actor], ids: set[str]) -> dict[str, Any]:
    """Rows for ``ids`` and all their parents, one query per level."""
    table = model.__table__  # type: ignore[union-attr]
    found: dict[str, Any] = {}
    wanted = set(ids)
    while wanted:
        rows = list(session.execute(select(table).where(table.c.id.in_(sorted(wanted)))))
        for row in rows:
            found[row.id] = row
        wanted = {r.parent_id for r in rows if r.parent_id and r.parent_id not in found}
    return found


def with_ancestors(
    session: Session, model: type[Source] | type[Actor], ids: Iterable[str]
) -> dict[str, Any]:
    """The rows for ``ids`` and all their ancestors (extra rows do no harm to a caller)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    if _dirty(session):
        return _read(session, model, wanted)
    table = str(model.__tablename__)
    epoch = _epoch(session)  # before the rows: rows are never older than the epoch kept
    with _lock:
        kept_epoch, rows = _cache.get(table, (-1, {}))
        if kept_epoch != epoch or len(rows) > MAX_ROWS:
            rows = {}
            _cache[table] = (epoch, rows)
        out: dict[str, Any] = {}
        todo, missing = list(wanted), set()
        while todo:
            ident = todo.pop()
            if ident in out:
                continue
            row = rows.get(ident)
            if row is None:
                missing.add(ident)
                continue
            out[ident] = row
            if row.parent_id:
                todo.append(row.parent_id)
    stats["hits"] += len(out)
    if not missing:
        return out
    fresh = _read(session, model, missing)  # with all their ancestors
    stats["misses"] += len(fresh)
    with _lock:
        kept_epoch, rows = _cache.get(table, (-1, {}))
        if kept_epoch == epoch:
            rows.update(fresh)
    return out | fresh


def clear() -> None:
    """Forget everything (tests)."""
    with _lock:
        _cache.clear()
