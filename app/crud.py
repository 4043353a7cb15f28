"""Small helpers every domain service shares: lookups, reference checks, patching."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from app.errors import Conflict, NotFound, invalid
from app.types import utcnow

M = TypeVar("M", bound=SQLModel)


def get_or_404(session: Session, model: type[M], ident: str, what: str, lock: bool = False) -> M:
    """The row, or a 404. ``lock`` takes a row lock (FOR UPDATE) for read-modify-write."""
    obj = session.get(model, ident, with_for_update=lock)
    if obj is None:
        raise NotFound(f"no {what} with id {ident!r}")
    return obj


def remember(session: Session, model: type[SQLModel], ident: str) -> None:
    """Note that a row exists (created or checked in this session's transaction)."""
    session.info.setdefault("known_ids", set()).add((str(model.__tablename__), ident))


def ensure_ref(session: Session, model: type[SQLModel], ident: str | None, pointer: str) -> None:
    """422 naming ``pointer`` when ``ident`` is set but no such row exists.

    Rows already seen in this session are not looked up again, so a bulk import that
    references the same few sources thousands of times costs one query per source."""
    if ident is None:
        return
    if (str(model.__tablename__), ident) in session.info.get("known_ids", ()):
        return
    if session.get(model, ident) is None:
        raise invalid(pointer, f"no {model.__tablename__} with id {ident!r}")
    remember(session, model, ident)


def ensure_no_cycle(
    session: Session, model: type[SQLModel], ident: str, parent_id: str | None, pointer: str
) -> None:
    """A parent chain must not lead back to the row itself."""
    seen = {ident}
    current = parent_id
    while current is not None:
        if current in seen:
            raise invalid(pointer, "parent chain would form a cycle")
        seen.add(current)
        row = session.get(model, current)
        current = getattr(row, "parent_id", None) if row is not None else None


def referenced(session: Session, checks: list[tuple[Any, Any]]) -> bool:
    """True when any ``column == value`` pair matches a row."""
    return any(session.scalar(select(exists().where(col == val))) for col, val in checks)


def apply_changes(obj: SQLModel, changes: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set changed attributes; return {field: (before, after)} of what really changed."""
    diff: dict[str, tuple[Any, Any]] = {}
    for field, value in changes.items():
        before = getattr(obj, field)
        if before != value:
            diff[field] = (before, value)
            setattr(obj, field, value)
    if diff and hasattr(obj, "version"):
        obj.version += 1
        if hasattr(obj, "updated_at"):
            obj.updated_at = utcnow()
    return diff


def flush_or_conflict(
    session: Session, on_unique: Callable[[str], Exception] | None = None
) -> None:
    """Flush staged rows; a duplicate becomes a 409 (and the transaction is rolled back)."""
    _guarded(session, session.flush, on_unique)


def _guarded(
    session: Session, action: Callable[[], None], on_unique: Callable[[str], Exception] | None
) -> None:
    try:
        action()
    except IntegrityError as exc:
        session.rollback()
        message = str(exc.orig) if exc.orig is not None else str(exc)
        if on_unique is not None:
            raise on_unique(message) from exc
        raise Conflict("the change conflicts with existing data (duplicate external_id?)") from exc


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def prefix_range(prefix: str) -> tuple[str, str]:
    """[lo, hi) bounds so ``lo <= name_key < hi`` is an index range scan for a prefix."""
    p = name_key(prefix)
    return p, p + "\U0010ffff"
