"""Actors: who can be held responsible for an incident; a registry kept as sources are."""

from __future__ import annotations

from app.actors.repository import ActorRepository
from app.actors.schemas import ActorPublic
from app.audit import NamedService
from app.claims.models import Claim

# An actor cannot be deleted while a claim attributes an incident to it (or it has children).
actors = NamedService(ActorRepository, ActorPublic, (Claim.actor_id,))
build_actor = actors.build  # the import path stages actors with the others
