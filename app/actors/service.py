"""Actors: who can be held responsible for an incident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.actors.models import Actor
from app.actors.schemas import ActorCreate, ActorPublic, ActorUpdate
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

REQUIRED = {"name", "kind", "aliases"}


@dataclass(frozen=True)
class ActorFilters:
    kind: str | None = None
    country: str | None = None
    name_prefix: str | None = None
    parent_id: str | None = None
    updated_since: datetime | None = None
    external_id: str | None = None


def snapshot(actor: Actor) -> dict[str, Any]:
    return ActorPublic.model_validate(actor).model_dump(mode="json")


def _duplicate(_: str) -> Conflict:
    return Conflict("an actor with this external_id already exists")


def build_actor(session: Session, data: ActorCreate, principal: Principal) -> Actor:
    """Validate and stage a new actor without committing (the import path shares it)."""
    ensure_ref(session, Actor, data.parent_id, "/parent_id")
    actor = Actor(**data.model_dump(), name_key=name_key(data.name))
    session.add(actor)
    flush_or_conflict(session, _duplicate)
    revisions.record(
        session,
        "actor",
        actor.id,
        actor.version,
        "create",
        principal,
        revisions.diff(None, snapshot(actor)),
    )
    return actor


def create_actor(session: Session, data: ActorCreate, principal: Principal) -> Actor:
    actor = build_actor(session, data, principal)
    commit_or_conflict(session, _duplicate)
    return actor


def get_actor(session: Session, actor_id: str, lock: bool = False) -> Actor:
    return get_or_404(session, Actor, actor_id, "actor", lock=lock)


def list_actors(
    session: Session, filters: ActorFilters, page: PageParams
) -> tuple[list[Actor], str | None, int | None]:
    stmt = select(Actor)
    if filters.kind:
        stmt = stmt.where(Actor.kind == filters.kind)  # type: ignore[arg-type]
    if filters.country:
        stmt = stmt.where(Actor.country == filters.country)  # type: ignore[arg-type]
    if filters.parent_id:
        stmt = stmt.where(Actor.parent_id == filters.parent_id)  # type: ignore[arg-type]
    if filters.name_prefix:
        lo, hi = prefix_range(filters.name_prefix)
        stmt = stmt.where(Actor.name_key >= lo, Actor.name_key < hi)  # type: ignore[arg-type]
    if filters.updated_since:
        stmt = stmt.where(Actor.updated_at >= filters.updated_since)  # type: ignore[arg-type]
    if filters.external_id:
        stmt = stmt.where(col(Actor.external_id) == filters.external_id)
    return paginate(
        session,
        stmt,
        [Actor.name_key, Actor.id],
        page,
        lambda a: (a.name_key, a.id),
        (str, str),
    )


def update_actor(session: Session, actor: Actor, data: ActorUpdate, principal: Principal) -> Actor:
    before = snapshot(actor)
    changes = data.model_dump(exclude_unset=True)
    reject_nulls(changes, REQUIRED)
    if "parent_id" in changes:
        ensure_ref(session, Actor, changes["parent_id"], "/parent_id")
        ensure_no_cycle(session, Actor, actor.id, changes["parent_id"], "/parent_id")
    if "name" in changes:
        changes["name_key"] = name_key(changes["name"])
    if apply_changes(actor, changes):
        revisions.record(
            session,
            "actor",
            actor.id,
            actor.version,
            "update",
            principal,
            revisions.diff(before, snapshot(actor)),
        )
    commit_or_conflict(session, _duplicate)
    return actor


def delete_actor(session: Session, actor: Actor, principal: Principal, reason: str) -> None:
    if referenced(session, [(Claim.actor_id, actor.id), (Actor.parent_id, actor.id)]):
        raise Conflict("the actor is referenced by claims or child actors; it cannot be deleted")
    revisions.tombstone(session, "actor", actor.id, actor.version, principal, reason)
    session.delete(actor)
    session.commit()


def actor_parents(session: Session) -> dict[str, str | None]:
    """The whole actor hierarchy (child id → parent id), for attribution compatibility."""
    return {row.id: row.parent_id for row in session.execute(select(Actor.id, Actor.parent_id))}  # type: ignore[call-overload]
