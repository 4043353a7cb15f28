"""What sources and actors share: a name (searched by prefix), a kind, a country and a parent
in a hierarchy (a spokesperson in an organisation, a militia in a coalition)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlmodel import Session, col

from app.crud import ensure_no_cycle, ensure_ref, name_key, prefix_range
from app.sources.models import Source


@dataclass(frozen=True)
class NamedFilters:
    kind: str | None = None
    country: str | None = None
    name_prefix: str | None = None
    parent_id: str | None = None
    updated_since: datetime | None = None
    external_id: str | None = None


def filter_named(stmt: Select[Any], model: Any, filters: NamedFilters) -> Select[Any]:
    if filters.kind:
        stmt = stmt.where(col(model.kind) == filters.kind)
    if filters.country:
        stmt = stmt.where(col(model.country) == filters.country)
    if filters.parent_id:
        stmt = stmt.where(col(model.parent_id) == filters.parent_id)
    if filters.name_prefix:
        lo, hi = prefix_range(filters.name_prefix)
        stmt = stmt.where(col(model.name_key) >= lo, col(model.name_key) < hi)
    if filters.updated_since:
        stmt = stmt.where(col(model.updated_at) >= filters.updated_since)
    if filters.external_id:
        stmt = stmt.where(col(model.external_id) == filters.external_id)
    return stmt


def check_named_changes(
    session: Session, model: type[Source] | Any, ident: str, changes: dict[str, Any]
) -> None:
    """Validate a new parent (exists, no cycle) and keep ``name_key`` in step with ``name``."""
    if "parent_id" in changes:
        ensure_ref(session, model, changes["parent_id"], "/parent_id")
        ensure_no_cycle(session, model, ident, changes["parent_id"], "/parent_id")
    if "name" in changes:
        changes["name_key"] = name_key(changes["name"])
