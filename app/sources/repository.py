from __future__ import annotations

from app.repository.base import Repository
from app.repository.named import NamedMixin
from app.sources.models import Source


class SourceRepository(NamedMixin[Source], Repository[Source]):
    model = Source
    noun = "source"
    duplicate = "a source with this external_id already exists"
