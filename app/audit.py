"""The one audited write path, for every entity (sources, actors, incidents, claims): each
change is staged in the request's unit of work together with its revision and, when the
entity announces its changes, its event on the change feed (and so its webhook deliveries,
owed in the same transaction). Nothing here commits: the caller's unit of work does.

- :func:`stage_create` adds a new entity and records its ``create`` revision (and event);
- :func:`save_changes` applies a PATCH, bumps the version and records the change;
- :func:`record_change` records a change the service made itself (a claim's links, a status
  change with its own action such as ``retract``);
- :func:`remove` hard-deletes: tombstone, history redacted, ``<entity>.deleted`` event;
  :func:`delete_unreferenced` refuses (409) while anything still references the entity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlmodel import Session

from app.crud import apply_changes, flush_or_conflict, referenced, remember
from app.errors import Conflict
from app.events.service import emit, redact
from app.principal import Principal
from app.revisions import service as revisions


class Audited(Protocol):
    """What an audited entity offers: a stable id and a version that every change bumps (the
    revision is numbered by it, and the ETag is made from it)."""

    id: str
    version: int


A = TypeVar("A", bound=Audited)
#: The entity as recorded in revisions and events (plain JSON).
Snapshot = Callable[[Any], dict[str, Any]]


def record_change(
    session: Session,
    entity_type: str,
    obj: Audited,
    action: str,
    principal: Principal,
    changes: dict[str, Any],
    *,
    event: str | None = None,
    payload: dict[str, Any] | None = None,
    incident_id: str | None = None,
    reason: str | None = None,
) -> None:
    """Write the revision of a change at ``obj``'s current version and, with ``event``, the
    event that announces it (``payload``; ``incident_id`` files it under an incident)."""
    revisions.record(session, entity_type, obj.id, obj.version, action, principal, changes, reason)
    if event is not None:
        emit(session, event, entity_type, obj.id, payload or {}, incident_id)


def stage_create(
    session: Session,
    entity_type: str,
    obj: A,
    principal: Principal,
    snapshot: Snapshot,
    on_unique: Callable[[str], Exception],
    announce: bool = False,
    incident_id: str | None = None,
    flush: bool = True,
) -> A:
    """Add ``obj`` and its ``create`` revision; ``announce`` also puts ``<entity>.created`` on
    the change feed (filed under ``incident_id``, by default the entity's own id).
    ``flush=False`` stages without a round trip (a bulk import stages thousands of claims;
    a duplicate then surfaces at the caller's flush)."""
    session.add(obj)
    if flush:
        flush_or_conflict(session, on_unique)
    remember(session, type(obj), obj.id)  # type: ignore[arg-type]
    created = snapshot(obj)
    record_change(
        session,
        entity_type,
        obj,
        "create",
        principal,
        revisions.diff(None, created),
        event=f"{entity_type}.created" if announce else None,
        payload=created,
        incident_id=incident_id or obj.id,
    )
    return obj


def save_changes(
    session: Session,
    entity_type: str,
    obj: A,
    changes: dict[str, Any],
    principal: Principal,
    snapshot: Snapshot,
    on_unique: Callable[[str], Exception],
    announce: bool = False,
) -> A:
    """Apply ``changes``; if anything changed, bump the version and write the revision (and
    with ``announce`` an ``<entity>.updated`` event)."""
    before = snapshot(obj)
    if apply_changes(obj, changes):  # type: ignore[arg-type]
        flush_or_conflict(session, on_unique)
        after = snapshot(obj)
        record_change(
            session,
            entity_type,
            obj,
            "update",
            principal,
            revisions.diff(before, after),
            event=f"{entity_type}.updated" if announce else None,
            payload=after,
            incident_id=obj.id,
        )
    flush_or_conflict(session, on_unique)
    return obj


def remove(
    session: Session,
    entity_type: str,
    obj: Audited,
    principal: Principal,
    reason: str,
    *,
    announce: bool = False,
    incident_id: str | None = None,
) -> None:
    """Hard-delete ``obj``: a tombstone (id, type, time, reason) stays, the content goes from
    its history; ``announce`` also redacts its events and puts ``<entity>.deleted`` on the
    feed. The caller removes what hangs off the row (links, references) first."""
    stone = revisions.tombstone(
        session, entity_type, obj.id, obj.version, principal, reason, incident_id=incident_id
    )
    if announce:
        redact(session, entity_type, obj.id)
        emit(
            session,
            f"{entity_type}.deleted",
            entity_type,
            obj.id,
            {"id": obj.id}
            | ({"incident_id": incident_id} if incident_id else {})
            | {
                "reason": reason,
                "deleted_at": stone.deleted_at.isoformat(),
                "tombstone_id": stone.id,
            },
            incident_id,
        )
    session.delete(obj)
    session.flush()


def delete_unreferenced(
    session: Session,
    entity_type: str,
    obj: Audited,
    principal: Principal,
    reason: str,
    references: list[tuple[Any, Any]],
    refusal: str,
) -> None:
    """Hard-delete a row nothing references (409 otherwise), leaving a tombstone."""
    if referenced(session, references):
        raise Conflict(refusal)
    remove(session, entity_type, obj, principal, reason)
