"""/v1/actors: who can be held responsible for an incident; a registry whose routes are made
as those of /v1/sources are (app.routing)."""

from __future__ import annotations

from fastapi import APIRouter

from app.actors.schemas import ActorCreate, ActorCreated, ActorPublic, ActorUpdate
from app.actors.service import actors
from app.enums import ActorKind
from app.routing import RegistryRoutes

router = APIRouter(prefix="/v1/actors", tags=["actors"])
models = (ActorCreate, ActorCreated, ActorUpdate, ActorPublic)
valid_actor, writable_actor = RegistryRoutes(router, "actor", actors, ActorKind, models).add(
    create="Record a new actor (a state, armed group, organisation or person).",
    read="One actor. Sends an ETag; honours If-None-Match.",
)
