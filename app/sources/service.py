"""Sources: who makes statements. A registry (named, hierarchical, searched fuzzily), as
actors are: the service is app.audit's NamedService over SourceRepository."""

from __future__ import annotations

from app.audit import NamedService
from app.claims.models import Claim
from app.sources.repository import SourceRepository
from app.sources.schemas import SourcePublic

# A source cannot be deleted while it said, or carried, a claim (or has child sources).
sources = NamedService(SourceRepository, SourcePublic, (Claim.source_id, Claim.via_source_id))
build_source = sources.build  # the import path stages sources with the others
