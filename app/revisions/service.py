"""The audit trail: a revision for every change, a tombstone for every hard delete."""

from __future__ import annotations

from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import exists, select, update
from sqlmodel import Session, SQLModel, col

from app.errors import NotFound
from app.pagination import PageParams, paginate
from app.principal import Principal
from app.revisions.models import Revision, Tombstone

IGNORED = {"updated_at", "version", "recorded_at", "created_at", "reliability_updated_at"}


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """{field: {"before", "after"}} for every field whose JSON value changed."""
    b = to_jsonable_python(before or {})
    a = to_jsonable_python(after or {})
    out: dict[str, Any] = {}
    for field in sorted(set(a) | set(b)):
        if field in IGNORED or field == "id":
            continue
        if b.get(field) != a.get(field):
            out[field] = {"before": b.get(field), "after": a.get(field)}
    return out


#: A snapshot's members (in its order) -> the members a ``create`` revision lists, sorted; a
#: snapshot of one entity type always has the same members, so this stays small (bounded).
_CREATED_ORDER: dict[tuple[str, ...], tuple[str, ...]] = {}
_CREATED_ORDERS_KEPT = 256


def created(after: dict[str, Any]) -> dict[str, Any]:
    """The changes of a ``create`` revision: every field set, from nothing (what
    ``diff(None, after)`` gives, for a snapshot that is already plain JSON, without walking it
    again: the bulk import builds one per claim, so the sorted member order is kept per
    snapshot shape instead of sorted each time)."""
    members = tuple(after)
    order = _CREATED_ORDER.get(members)
    if order is None:
        order = tuple(sorted(f for f in members if f != "id" and f not in IGNORED))
        if len(_CREATED_ORDER) < _CREATED_ORDERS_KEPT:
            _CREATED_ORDER[members] = order
    return {
        field: {"before": None, "after": value}
        for field in order
        if (value := after[field]) is not None
    }


def add(session: Session, columns: dict[str, Any]) -> Revision:
    """Stage a revision from its columns (as :func:`app.audit.creation` builds them)."""
    revision = Revision(**columns)
    session.add(revision)
    return revision


def record(
    session: Session,
    entity_type: str,
    entity_id: str,
    version: int,
    action: str,
    principal: Principal,
    changes: dict[str, Any],
    reason: str | None = None,
) -> Revision:
    revision = Revision(
        entity_type=entity_type,
        entity_id=entity_id,
        version=version,
        action=action,
        key_id=principal.key_id,
        key_name=principal.name,
        changes=changes,
        reason=reason,
    )
    session.add(revision)
    return revision


def tombstone(
    session: Session,
    entity_type: str,
    entity_id: str,
    version: int,
    principal: Principal,
    reason: str,
    incident_id: str | None = None,
) -> Tombstone:
    """Leave a tombstone, redact the content from the history, and record the delete."""
    session.execute(
        update(Revision)
        .where(col(Revision.entity_type) == entity_type, col(Revision.entity_id) == entity_id)
        .values(changes={"redacted": True})
    )
    record(session, entity_type, entity_id, version + 1, "delete", principal, {}, reason)
    stone = Tombstone(
        entity_type=entity_type,
        entity_id=entity_id,
        incident_id=incident_id,
        key_id=principal.key_id,
        key_name=principal.name,
        reason=reason,
    )
    session.add(stone)
    return stone


def find_tombstone(session: Session, entity_type: str, entity_id: str) -> Tombstone | None:
    return session.execute(
        select(Tombstone).where(
            col(Tombstone.entity_type) == entity_type, col(Tombstone.entity_id) == entity_id
        )
    ).scalar_one_or_none()


def list_revisions(
    session: Session, entity_type: str, entity_id: str, page: PageParams
) -> tuple[list[Revision], str | None, int | None]:
    stmt = select(Revision).where(
        col(Revision.entity_type) == entity_type, col(Revision.entity_id) == entity_id
    )
    return paginate(session, stmt, [col(Revision.id)], page, lambda r: (r.id,), (str,))


def entity_exists(session: Session, entity_type: str, entity_id: str) -> bool:
    """Whether the audited entity is there. An audited entity type is the name of its table
    (``source``, ``actor``, ``incident``, ``claim``): the trail sits below every domain and
    finds any entity without importing the domain's model."""
    table = SQLModel.metadata.tables[entity_type]
    return bool(session.scalar(select(exists().where(table.c.id == entity_id))))


def history(
    session: Session, entity_type: str, entity_id: str, page: PageParams
) -> tuple[list[Revision], str | None, int | None]:
    """The entity's revisions, oldest first: a 404 unless it exists or was hard-deleted (its
    history, redacted, outlives it)."""
    if not entity_exists(session, entity_type, entity_id) and not find_tombstone(
        session, entity_type, entity_id
    ):
        raise NotFound(f"no {entity_type} with id {entity_id!r}")
    return list_revisions(session, entity_type, entity_id, page)


def list_tombstones(
    session: Session, entity_type: str | None, incident_id: str | None, page: PageParams
) -> tuple[list[Tombstone], str | None, int | None]:
    stmt = select(Tombstone)
    if entity_type:
        stmt = stmt.where(col(Tombstone.entity_type) == entity_type)
    if incident_id:
        stmt = stmt.where(col(Tombstone.incident_id) == incident_id)
    return paginate(session, stmt, [col(Tombstone.id)], page, lambda t: (t.id,), (str,))
