"""Sources: who makes statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth import Principal
from app.claims.models import Claim
from app.crud import (
    apply_changes,
    commit_or_conflict,
    ensure_no_cycle,
    ensure_ref,
    flush_or_conflict,
    get_or_404,
    name_key,
    prefix_range,
    referenced,
    reject_nulls,
)
from app.errors import Conflict
from app.pagination import PageParams, paginate
from app.revisions import service as revisions
from app.sources.models import Source
from app.sources.schemas import SourceCreate, SourcePublic, SourceUpdate

REQUIRED = {"name", "kind", "aliases", "reliability_prior"}


@dataclass(frozen=True)
class SourceFilters:
    kind: str | None = None
    country: str | None = None
    name_prefix: str | None = None
    parent_id: str | None = None
    updated_since: datetime | None = None
    external_id: str | None = None


def snapshot(source: Source) -> dict[str, Any]:
    return SourcePublic.model_validate(source).model_dump(mode="json")


def _duplicate(_: str) -> Conflict:
    return Conflict("a source with this external_id already exists")


def build_source(session: Session, data: SourceCreate, principal: Principal) -> Source:
    """Validate and stage a new source without committing (the import path shares it)."""
    ensure_ref(session, Source, data.parent_id, "/parent_id")
    source = Source(**data.model_dump(), name_key=name_key(data.name))
    session.add(source)
    flush_or_conflict(session, _duplicate)
    revisions.record(
        session,
        "source",
        source.id,
        source.version,
        "create",
        principal,
        revisions.diff(None, snapshot(source)),
    )
    return source


def create_source(session: Session, data: SourceCreate, principal: Principal) -> Source:
    source = build_source(session, data, principal)
    commit_or_conflict(session, _duplicate)
    return source


def get_source(session: Session, source_id: str, lock: bool = False) -> Source:
    return get_or_404(session, Source, source_id, "source", lock=lock)


def list_sources(
    session: Session, filters: SourceFilters, page: PageParams
) -> tuple[list[Source], str | None, int | None]:
    stmt = select(Source)
    if filters.kind:
        stmt = stmt.where(Source.kind == filters.kind)  # type: ignore[arg-type]
    if filters.country:
        stmt = stmt.where(Source.country == filters.country)  # type: ignore[arg-type]
    if filters.parent_id:
        stmt = stmt.where(Source.parent_id == filters.parent_id)  # type: ignore[arg-type]
    if filters.name_prefix:
        lo, hi = prefix_range(filters.name_prefix)
        stmt = stmt.where(Source.name_key >= lo, Source.name_key < hi)  # type: ignore[arg-type]
    if filters.updated_since:
        stmt = stmt.where(Source.updated_at >= filters.updated_since)  # type: ignore[arg-type]
    if filters.external_id:
        stmt = stmt.where(col(Source.external_id) == filters.external_id)
    return paginate(
        session,
        stmt,
        [Source.name_key, Source.id],
        page,
        lambda s: (s.name_key, s.id),
        (str, str),
    )


def update_source(
    session: Session, source: Source, data: SourceUpdate, principal: Principal
) -> Source:
    before = snapshot(source)
    changes = data.model_dump(exclude_unset=True)
    reject_nulls(changes, REQUIRED)
    if "parent_id" in changes:
        ensure_ref(session, Source, changes["parent_id"], "/parent_id")
        ensure_no_cycle(session, Source, source.id, changes["parent_id"], "/parent_id")
    if "name" in changes:
        changes["name_key"] = name_key(changes["name"])
    if apply_changes(source, changes):
        revisions.record(
            session,
            "source",
            source.id,
            source.version,
            "update",
            principal,
            revisions.diff(before, snapshot(source)),
        )
    commit_or_conflict(session, _duplicate)
    return source


def delete_source(session: Session, source: Source, principal: Principal, reason: str) -> None:
    if referenced(
        session,
        [
            (Claim.source_id, source.id),
            (Claim.via_source_id, source.id),
            (Source.parent_id, source.id),
        ],
    ):
        raise Conflict("the source is referenced by claims or child sources; it cannot be deleted")
    revisions.tombstone(session, "source", source.id, source.version, principal, reason)
    session.delete(source)
    session.commit()
