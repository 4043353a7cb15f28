from __future__ import annotations

from app.actors.models import Actor
from app.repository.named import NamedRepository


class ActorRepository(NamedRepository[Actor]):
    model = Actor
    noun = "actor"
    duplicate = "an actor with this external_id already exists"
