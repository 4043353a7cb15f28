from __future__ import annotations

from app.repository.named import NamedRepository
from app.sources.models import Source


class SourceRepository(NamedRepository[Source]):
    model = Source
    noun = "source"
    duplicate = "a source with this external_id already exists"
