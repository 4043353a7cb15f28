from __future__ import annotations

from app.actors.models import Actor
from app.repository.base import Repository
from app.repository.named import NamedMixin


class ActorRepository(NamedMixin[Actor], Repository[Actor]):
    model = Actor
    noun = "actor"
    duplicate = "an actor with this external_id already exists"
