"""Audited writes shared by every domain service: each change is staged, written with its
revision in the same transaction, and a hard delete leaves a tombstone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from app.crud import (
    apply_changes,
    flush_or_conflict,
    referenced,
    remember,
)
from app.errors import Conflict
from app.events.service import emit
from app.principal import Principal
from app.revisions import service as revisions

M = TypeVar("M", bound=SQLModel)
Snapshot = Callable[[Any], dict[str, Any]]


def stage_create(
    session: Session,
    entity_type: str,
    obj: M,
    principal: Principal,
    snapshot: Snapshot,
    on_unique: Callable[[str], Exception],
    announce: bool = False,
) -> M:
    """Add ``obj`` (flushed, not committed) and its ``create`` revision; ``announce`` also
    puts ``<entity>.created`` on the change feed."""
    session.add(obj)
    flush_or_conflict(session, on_unique)
    remember(session, type(obj), obj.id)  # type: ignore[attr-defined]
    revisions.record(
        session,
        entity_type,
        obj.id,  # type: ignore[attr-defined]
        obj.version,  # type: ignore[attr-defined]
        "create",
        principal,
        revisions.diff(None, snapshot(obj)),
    )
    if announce:
        emit(session, f"{entity_type}.created", entity_type, obj.id, snapshot(obj), obj.id)  # type: ignore[attr-defined]
    return obj


def save_changes(
    session: Session,
    entity_type: str,
    obj: M,
    changes: dict[str, Any],
    principal: Principal,
    snapshot: Snapshot,
    on_unique: Callable[[str], Exception],
    announce: bool = False,
) -> M:
    """Apply ``changes``; if anything changed, bump the version and write the revision (and
    with ``announce`` an ``<entity>.updated`` event)."""
    before = snapshot(obj)
    if apply_changes(obj, changes):
        flush_or_conflict(session, on_unique)
        after = snapshot(obj)
        revisions.record(
            session,
            entity_type,
            obj.id,  # type: ignore[attr-defined]
            obj.version,  # type: ignore[attr-defined]
            "update",
            principal,
            revisions.diff(before, after),
        )
        if announce:
            emit(session, f"{entity_type}.updated", entity_type, obj.id, after, obj.id)  # type: ignore[attr-defined]
    flush_or_conflict(session, on_unique)
    return obj


def delete_unreferenced(
    session: Session,
    entity_type: str,
    obj: M,
    principal: Principal,
    reason: str,
    references: list[tuple[Any, Any]],
    refusal: str,
) -> None:
    """Hard-delete a row nothing references (409 otherwise), leaving a tombstone."""
    if referenced(session, references):
        raise Conflict(refusal)
    revisions.tombstone(session, entity_type, obj.id, obj.version, principal, reason)  # type: ignore[attr-defined]
    session.delete(obj)
    session.flush()
