"""A typed repository per table, modelled on Polar's ``kit/repository``: lookups (a 404 for a
route's own entity, a 422 naming the field for a reference), keyset pages over
:mod:`app.pagination`, counts, staging and a flush that turns a duplicate into a 409."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from app.errors import Conflict, NotFound, invalid
from app.pagination import PageParams, paginate
from app.types import utcnow

M = TypeVar("M", bound=SQLModel)

#: A page of rows, the cursor of the next page (None on the last) and the total if asked for.
PageOf = tuple[list[M], str | None, int | None]

CONFLICT = "the change conflicts with existing data (duplicate external_id?)"


@dataclass(frozen=True, kw_only=True)
class Filters:
    """What every list filters on; a domain's filters add theirs (``NamedFilters`` …)."""

    updated_since: datetime | None = None
    external_id: str | None = None


class Repository(Generic[M]):
    """The rows of one table, seen through one session (the request's unit of work).

    A subclass names its table and how people call one of its rows::

        class SourceRepository(Repository[Source], NamedMixin[Source]):
            model = Source
            noun = "source"
            duplicate = "a source with this external_id already exists"
    """

    model: type[M]
    #: The entity as the API names it: in 404/422 details and as the audited entity type.
    noun: ClassVar[str]
    #: The 409 detail when a flush breaks a unique constraint (a duplicate external id).
    duplicate: ClassVar[str] = CONFLICT

    #: The keyset order of :meth:`find`: column names, ascending, the last one unique, and
    #: the Python type of each (how a cursor is read back).
    order_by: ClassVar[tuple[str, ...]] = ("id",)
    cursor_kinds: ClassVar[tuple[type, ...]] = (str,)

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, ident: str, *, lock: bool = False) -> M | None:
        """The row, or None. ``lock`` takes a row lock (FOR UPDATE) for read-modify-write."""
        return self.session.get(self.model, ident, with_for_update=lock)

    def get_or_404(self, ident: str, *, lock: bool = False) -> M:
        """The row, or a 404 problem naming it."""
        return get_or_404(self.session, self.model, ident, self.noun, lock=lock)

    def ensure_exists(self, ident: str | None, pointer: str) -> None:
        """A reference to a row of this table: 422 naming ``pointer`` if there is none."""
        ensure_ref(self.session, self.model, ident, pointer)

    def add(self, obj: M, *, flush: bool = True) -> M:
        """Stage a new row; ``flush`` sends it now (a duplicate is a 409 here, not later)."""
        self.session.add(obj)
        if flush:
            self.flush()
        return obj

    def flush(self) -> None:
        """Send staged changes; a broken unique constraint is a 409 saying :attr:`duplicate`."""
        flush_or_conflict(self.session, self.conflict)

    def conflict(self, _message: str = "") -> Conflict:
        return Conflict(self.duplicate)

    def new(self, values: dict[str, Any]) -> M:
        """A row made of create ``values`` (a subclass adds what is derived, checks refs)."""
        return self.model(**values)

    def prepare_changes(self, ident: str, changes: dict[str, Any]) -> None:
        """Check a PATCH's ``changes`` to row ``ident`` and add what is derived from them."""

    def filtered(self, filters: Any) -> Select[Any]:
        """The rows that ``filters`` (:class:`Filters`, a subclass's in a subclass) select,
        unordered; a subclass adds its own filters to ``super().filtered(filters)``."""
        m: Any = self.model
        stmt = select(m)
        if filters.updated_since:
            stmt = stmt.where(col(m.updated_at) >= filters.updated_since)
        if filters.external_id:
            stmt = stmt.where(col(m.external_id) == filters.external_id)
        return stmt

    def find(self, filters: Any, page: PageParams) -> PageOf[M]:
        """One keyset page of the :meth:`filtered` rows in :attr:`order_by` order."""
        order = [getattr(self.model, name) for name in self.order_by]
        return self.paginate(
            self.filtered(filters),
            order,
            page,
            lambda row: tuple(getattr(row, name) for name in self.order_by),
            self.cursor_kinds,
        )

    def count(self, stmt: Select[Any]) -> int:
        """How many rows ``stmt`` selects."""
        counted = select(func.count()).select_from(stmt.order_by(None).subquery())
        return int(self.session.scalar(counted) or 0)

    def paginate(
        self,
        stmt: Select[Any],
        order: Sequence[Any],
        page: PageParams,
        key: Callable[[M], Sequence[Any]],
        kinds: Sequence[type],
    ) -> PageOf[M]:
        """One keyset page of ``stmt`` in ``order`` (see :mod:`app.pagination`)."""
        return paginate(self.session, stmt, order, page, key, kinds)

    def referenced(self, checks: list[tuple[Any, Any]]) -> bool:
        """True when any ``column == value`` pair matches a row (of any table)."""
        return referenced(self.session, checks)


# The functions below serve the repositories and the few writers that are not one table's
# (the audited write path, webhooks, topics).


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


def referenced(session: Session, checks: list[tuple[Any, Any]]) -> bool:
    """True when any ``column == value`` pair matches a row."""
    return any(session.scalar(select(exists().where(col == val))) for col, val in checks)


def apply_changes(obj: SQLModel, changes: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set changed attributes; return {field: (before, after)} of what really changed. A row
    with a ``version`` gets the next one (and its ``updated_at`` the time) when anything did."""
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
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        message = str(exc.orig) if exc.orig is not None else str(exc)
        if on_unique is not None:
            raise on_unique(message) from exc
        raise Conflict(CONFLICT) from exc
