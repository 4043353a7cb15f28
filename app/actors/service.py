"""Actors: who can be held responsible for an incident (a registry, as sources are)."""

from __future__ import annotations

from typing import Any

from app.actors.models import Actor
from app.actors.repository import ActorRepository
from app.actors.schemas import ActorPublic
from app.audit import AuditedService
from app.claims.models import Claim
from app.repository.named import NamedFilters

ActorFilters = NamedFilters


class ActorService(AuditedService[Actor]):
    repository = ActorRepository
    public = ActorPublic
    refusal = "the actor is referenced by claims or child actors; it cannot be deleted"

    def references(self, actor: Actor) -> list[tuple[Any, Any]]:
        return [(Claim.actor_id, actor.id), (Actor.parent_id, actor.id)]


actors = ActorService()
build_actor = actors.build  # the import path stages actors with the others
