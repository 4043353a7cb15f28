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

:class:`AuditedService` is the create/read/list/update/delete set built on these and on the
entity's repository: sources, actors and incidents are one instance each, stating only what
is theirs (the public model, the references that forbid a delete, cross-field rules);
:class:`NamedService` adds what the registries (sources, actors) share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlmodel import Session, SQLModel

from app.errors import Conflict
from app.events.service import emit, redact
from app.fuzzy import NameMatch
from app.pagination import PageParams
from app.principal import Principal
from app.repository.base import (
    PageOf,
    Repository,
    apply_changes,
    flush_or_conflict,
    referenced,
    remember,
)
from app.repository.named import NamedRepository
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


def creation(
    entity_type: str,
    entity_id: str,
    version: int,
    principal: Principal,
    created: dict[str, Any],
    *,
    announce: bool,
    incident_id: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The columns of a new entity's ``create`` revision and, with ``announce``, of its
    ``<entity>.created`` event (filed under ``incident_id``, by default the entity's own id),
    from the entity's snapshot ``created`` (plain JSON). The one definition of both rows: the
    audited path (:func:`stage_create`) and the bulk import (``app.imports.bulk``, which adds
    the id and time and writes them as tuples) both build them here, so they cannot drift."""
    revision = {
        "entity_type": entity_type,
        "entity_id": entity_id,
        "version": version,
        "action": "create",
        "key_id": principal.key_id,
        "key_name": principal.name,
        "changes": revisions.created(created),
        "reason": None,
    }
    if not announce:
        return revision, None
    event = {
        "type": f"{entity_type}.created",
        "entity_type": entity_type,
        "entity_id": entity_id,
        "incident_id": incident_id or entity_id,
        "payload": created,
    }
    return revision, event


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
    ``flush=False`` stages without a round trip (a bulk import stages thousands of rows;
    a duplicate then surfaces at the caller's flush)."""
    session.add(obj)
    if flush:
        flush_or_conflict(session, on_unique)
    remember(session, type(obj), obj.id)  # type: ignore[arg-type]
    revision, event = creation(
        entity_type,
        obj.id,
        obj.version,
        principal,
        to_jsonable_python(snapshot(obj)),
        announce=announce,
        incident_id=incident_id,
    )
    revisions.add(session, revision)
    if event is not None:
        emit(
            session,
            event["type"],
            entity_type,
            obj.id,
            event["payload"],
            event["incident_id"],
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


M = TypeVar("M", bound=SQLModel)


class AuditedService(Generic[M]):
    """The audited CRUD set of one entity (its table audited: ``id`` and ``version``), over
    its repository: ``public`` is the snapshot kept in revisions and events; a row of any of
    the ``referenced_by`` columns naming the entity forbids deleting it (409 ``refusal``);
    ``announce`` puts every change on the change feed (``<entity>.created`` …). A subclass
    adds rules across fields (:meth:`check`)."""

    def __init__(
        self,
        repository: type[Repository[M]],
        public: type[BaseModel],
        *,
        referenced_by: Sequence[Any] = (),
        refusal: str = "the entity is referenced; it cannot be deleted",
        announce: bool = False,
    ) -> None:
        self.repository = repository
        self.public = public
        self.referenced_by = tuple(referenced_by)
        self.refusal = refusal
        self.announce = announce

    def references(self, obj: M) -> list[tuple[Any, Any]]:
        """``(column, value)`` pairs: a row matching any of them forbids deleting ``obj``."""
        ident = getattr(obj, "id")  # noqa: B009  (M is a table, not the Audited protocol)
        return [(column, ident) for column in self.referenced_by]

    def check(self, obj: M | None, values: dict[str, Any]) -> None:
        """Rules across fields of create ``values`` (``obj`` None) or of a PATCH of ``obj``."""

    def snapshot(self, obj: M) -> dict[str, Any]:
        return self.public.model_validate(obj).model_dump(mode="json")

    def build(
        self, session: Session, data: BaseModel, principal: Principal, flush: bool = True
    ) -> M:
        """Validate and stage a new entity and its revision (the import path shares it, with
        ``flush=False``: its rows then go out with the import's next batch)."""
        repo = self.repository(session)
        values = data.model_dump()
        self.check(None, values)
        obj: Any = repo.new(values)
        staged: M = stage_create(
            session,
            repo.noun,
            obj,
            principal,
            self.snapshot,
            repo.conflict,
            self.announce,
            flush=flush,
        )
        return staged

    def create(self, session: Session, data: BaseModel, principal: Principal) -> M:
        obj = self.build(session, data, principal)
        self.repository(session).flush()
        return obj

    def get(self, session: Session, ident: str, lock: bool = False) -> M:
        """The entity, or a 404; ``lock`` for read-modify-write."""
        return self.repository(session).get_or_404(ident, lock=lock)

    def list(self, session: Session, filters: Any, page: PageParams) -> PageOf[M]:
        return self.repository(session).find(filters, page)

    def update(self, session: Session, obj: M, data: BaseModel, principal: Principal) -> M:
        """Apply the fields sent (a PATCH); a new version and revision if anything changed."""
        repo = self.repository(session)
        changes = data.model_dump(exclude_unset=True)
        self.check(obj, changes)
        entity: Any = obj
        repo.prepare_changes(entity.id, changes)
        saved: M = save_changes(
            session,
            repo.noun,
            entity,
            changes,
            principal,
            self.snapshot,
            repo.conflict,
            self.announce,
        )
        return saved

    def delete(self, session: Session, obj: M, principal: Principal, reason: str) -> None:
        """Hard-delete an entity nothing references (409 otherwise), leaving a tombstone."""
        entity: Any = obj
        noun = self.repository.noun
        refs = self.references(obj)
        delete_unreferenced(session, noun, entity, principal, reason, refs, self.refusal)


N = TypeVar("N", bound=SQLModel)


class NamedService(AuditedService[N]):
    """A registry (sources, actors): audited, found by name, hierarchical (a child entry
    forbids deleting its parent, as the rows of ``referenced_by`` do)."""

    repository: type[NamedRepository[N]]

    def __init__(
        self, repository: type[NamedRepository[N]], public: type[BaseModel], referenced_by: Any
    ) -> None:
        noun, parent = repository.noun, getattr(repository.model, "parent_id")  # noqa: B009
        super().__init__(
            repository,
            public,
            referenced_by=(*referenced_by, parent),
            refusal=f"the {noun} is referenced by claims or child {noun}s; it cannot be deleted",
        )

    def similar(self, session: Session, name: str, aliases: list[str]) -> list[NameMatch]:
        """Registered entries closely matching a new one's name or aliases (ask before adding)."""
        return self.repository(session).possible_duplicates(name, aliases)

    def search(self, session: Session, name: str, limit: int) -> list[N]:
        """Entries whose name or an alias is like ``name`` (typos, word order), best first."""
        return self.repository(session).search(name, limit)
