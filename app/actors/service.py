"""Actors: who can be held responsible for an incident."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.actors.models import Actor
from app.actors.schemas import ActorCreate, ActorPublic, ActorUpdate
from app.audit import delete_unreferenced, save_changes, stage_create
from app.claims.models import Claim
from app.crud import ensure_ref, flush_or_conflict, get_or_404, name_key
from app.errors import Conflict
from app.named import NamedFilters, check_named_changes, filter_named
from app.pagination import PageParams, paginate
from app.principal import Principal

ActorFilters = NamedFilters


def snapshot(actor: Actor) -> dict[str, Any]:
    return ActorPublic.model_validate(actor).model_dump(mode="json")


def _duplicate(_: str) -> Conflict:
    return Conflict("an actor with this external_id already exists")


def build_actor(session: Session, data: ActorCreate, principal: Principal) -> Actor:
    """Validate and stage a new actor without committing (the import path shares it)."""
    ensure_ref(session, Actor, data.parent_id, "/parent_id")
    actor = Actor(**data.model_dump(), name_key=name_key(data.name))
    return stage_create(session, "actor", actor, principal, snapshot, _duplicate)


def create_actor(session: Session, data: ActorCreate, principal: Principal) -> Actor:
    actor = build_actor(session, data, principal)
    flush_or_conflict(session, _duplicate)
    return actor


def get_actor(session: Session, actor_id: str, lock: bool = False) -> Actor:
    return get_or_404(session, Actor, actor_id, "actor", lock=lock)


def list_actors(
    session: Session, filters: NamedFilters, page: PageParams
) -> tuple[list[Actor], str | None, int | None]:
    stmt = filter_named(select(Actor), Actor, filters)
    order = [col(Actor.name_key), col(Actor.id)]
    return paginate(session, stmt, order, page, lambda a: (a.name_key, a.id), (str, str))


def update_actor(session: Session, actor: Actor, data: ActorUpdate, principal: Principal) -> Actor:
    changes = data.model_dump(exclude_unset=True)
    check_named_changes(session, Actor, actor.id, changes)
    return save_changes(session, "actor", actor, changes, principal, snapshot, _duplicate)


def delete_actor(session: Session, actor: Actor, principal: Principal, reason: str) -> None:
    references = [(Claim.actor_id, actor.id), (Actor.parent_id, actor.id)]
    refusal = "the actor is referenced by claims or child actors; it cannot be deleted"
    delete_unreferenced(session, "actor", actor, principal, reason, references, refusal)
