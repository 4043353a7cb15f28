"""Sources: who makes statements (a registry: named, hierarchical, searched fuzzily)."""

from __future__ import annotations

from typing import Any

from app.audit import AuditedService
from app.claims.models import Claim
from app.repository.named import NamedFilters
from app.sources.models import Source
from app.sources.repository import SourceRepository
from app.sources.schemas import SourcePublic

SourceFilters = NamedFilters


class SourceService(AuditedService[Source]):
    repository = SourceRepository
    public = SourcePublic
    refusal = "the source is referenced by claims or child sources; it cannot be deleted"

    def references(self, source: Source) -> list[tuple[Any, Any]]:
        said = [(Claim.source_id, source.id), (Claim.via_source_id, source.id)]
        return [*said, (Source.parent_id, source.id)]


sources = SourceService()
build_source = sources.build  # the import path stages sources with the others
