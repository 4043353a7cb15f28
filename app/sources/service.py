"""Sources: who makes statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.audit import delete_unreferenced, save_changes, stage_create
from app.claims.models import Claim
from app.crud import ensure_ref, flush_or_conflict, get_or_404, name_key
from app.errors import Conflict
from app.named import NamedFilters, check_named_changes, filter_named
from app.pagination import PageParams, paginate
from app.principal import Principal
from app.sources.models import Source
from app.sources.schemas import SourceCreate, SourcePublic, SourceUpdate

SourceFilters = NamedFilters


def snapshot(source: Source) -> dict[str, Any]:
    return SourcePublic.model_validate(source).model_dump(mode="json")


def _duplicate(_: str) -> Conflict:
    return Conflict("a source with this external_id already exists")


def build_source(session: Session, data: SourceCreate, principal: Principal) -> Source:
    """Validate and stage a new source without committing (the import path shares it)."""
    ensure_ref(session, Source, data.parent_id, "/parent_id")
    source = Source(**data.model_dump(), name_key=name_key(data.name))
    return stage_create(session, "source", source, principal, snapshot, _duplicate)


def create_source(session: Session, data: SourceCreate, principal: Principal) -> Source:
    source = build_source(session, data, principal)
    flush_or_conflict(session, _duplicate)
    return source


def get_source(session: Session, source_id: str, lock: bool = False) -> Source:
    return get_or_404(session, Source, source_id, "source", lock=lock)


def list_sources(
    session: Session, filters: NamedFilters, page: PageParams
) -> tuple[list[Source], str | None, int | None]:
    stmt = filter_named(select(Source), Source, filters)
    order = [col(Source.name_key), col(Source.id)]
    return paginate(session, stmt, order, page, lambda s: (s.name_key, s.id), (str, str))


def update_source(
    session: Session, source: Source, data: SourceUpdate, principal: Principal
) -> Source:
    changes = data.model_dump(exclude_unset=True)
    check_named_changes(session, Source, source.id, changes)
    return save_changes(session, "source", source, changes, principal, snapshot, _duplicate)


def delete_source(session: Session, source: Source, principal: Principal, reason: str) -> None:
    references = [
        (Claim.source_id, source.id),
        (Claim.via_source_id, source.id),
        (Source.parent_id, source.id),
    ]
    refusal = "the source is referenced by claims or child sources; it cannot be deleted"
    delete_unreferenced(session, "source", source, principal, reason, references, refusal)
