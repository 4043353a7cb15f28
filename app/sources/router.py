"""/v1/sources: who makes statements. A registry, as /v1/actors is (app.routing makes the
routes of both: create, list or search by name, read, change, delete)."""

from __future__ import annotations

from fastapi import APIRouter

from app.enums import SourceKind
from app.routing import RegistryRoutes
from app.sources.schemas import SourceCreate, SourceCreated, SourcePublic, SourceUpdate
from app.sources.service import sources

router = APIRouter(prefix="/v1/sources", tags=["sources"])
models = (SourceCreate, SourceCreated, SourceUpdate, SourcePublic)
valid_source, writable_source = RegistryRoutes(router, "source", sources, SourceKind, models).add(
    create="Record a new source (an outlet, official, agency, organisation or person).",
    read="One source, with its learned reliability. Sends an ETag; honours If-None-Match.",
)
