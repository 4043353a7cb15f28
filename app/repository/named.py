"""What the source and actor registries share: a name (looked up by prefix, or fuzzily with its
aliases), a kind, a country and a parent in a hierarchy (a spokesperson in an organisation, a
militia in a coalition) that must not loop back on itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select
from sqlmodel import Session, SQLModel, col

from app.errors import invalid
from app.fuzzy import NameMatch, name_key, possible_duplicates, search
from app.repository.base import Filters, Repository, ensure_ref

N = TypeVar("N", bound=SQLModel)


@dataclass(frozen=True, kw_only=True)
class NamedFilters(Filters):
    kind: str | None = None
    country: str | None = None
    name_prefix: str | None = None
    parent_id: str | None = None


def prefix_range(prefix: str) -> tuple[str, str]:
    """[lo, hi) bounds so ``lo <= name_key < hi`` is an index range scan for a prefix."""
    p = name_key(prefix)
    return p, p + "\U0010ffff"


class NamedMixin(Generic[N]):
    """For a :class:`~app.repository.base.Repository` whose table has ``name``, ``name_key``
    (the name folded for lookups and ordering), ``aliases``, ``kind``, ``country``,
    ``parent_id`` (same table), ``external_id`` and ``updated_at``."""

    session: Session
    model: type[N]
    order_by: ClassVar[tuple[str, ...]] = ("name_key", "id")  # name order
    cursor_kinds: ClassVar[tuple[type, ...]] = (str, str)

    def new(self, values: dict[str, Any]) -> N:
        """A row from create ``values`` (its parent must exist), with its ``name_key``."""
        self.ensure_parent(values.get("parent_id"))
        return self.model(**values, name_key=name_key(values["name"]))

    def prepare_changes(self, ident: str, changes: dict[str, Any]) -> None:
        """Check a new parent (exists, no cycle) and keep ``name_key`` in step with ``name``."""
        if "parent_id" in changes:
            self.ensure_parent(changes["parent_id"])
            self.ensure_no_cycle(ident, changes["parent_id"])
        if "name" in changes:
            changes["name_key"] = name_key(changes["name"])

    def ensure_parent(self, parent_id: str | None, pointer: str = "/parent_id") -> None:
        """422 naming ``pointer`` if the parent does not exist."""
        ensure_ref(self.session, self.model, parent_id, pointer)

    def ensure_no_cycle(
        self, ident: str, parent_id: str | None, pointer: str = "/parent_id"
    ) -> None:
        """422: walking up the parent chain from ``parent_id`` must not meet the row itself
        (nor any row twice)."""
        seen = {ident}
        current = parent_id
        while current is not None:
            if current in seen:
                raise invalid(pointer, "parent chain would form a cycle")
            seen.add(current)
            row = self.session.get(self.model, current)
            current = getattr(row, "parent_id", None) if row is not None else None

    def filtered(self, filters: NamedFilters) -> Select[Any]:
        m: Any = self.model
        # the Repository this is mixed into filters on what every list does
        stmt: Select[Any] = super().filtered(filters)  # type: ignore[misc]
        if filters.kind:
            stmt = stmt.where(col(m.kind) == filters.kind)
        if filters.country:
            stmt = stmt.where(col(m.country) == filters.country)
        if filters.parent_id:
            stmt = stmt.where(col(m.parent_id) == filters.parent_id)
        if filters.name_prefix:
            lo, hi = prefix_range(filters.name_prefix)
            stmt = stmt.where(col(m.name_key) >= lo, col(m.name_key) < hi)
        return stmt

    def search(self, query: str, limit: int) -> list[N]:
        """Rows whose name or an alias is like ``query`` (typos, word order), best first."""
        return search(self.session, self.model, query, limit)

    def possible_duplicates(self, name: str, aliases: list[str]) -> list[NameMatch]:
        """Registered rows closely matching a new row's name or aliases (ask before adding)."""
        return possible_duplicates(self.session, self.model, name, aliases)


class NamedRepository(NamedMixin[N], Repository[N]):
    """A repository of a named registry (the type its service names)."""
