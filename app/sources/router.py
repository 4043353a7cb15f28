from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import Session

from app.auth import admin, editor, viewer
from app.db import WriteSession, get_session
from app.enums import SourceKind
from app.errors import problem_responses
from app.fuzzy import FuzzyName, possible_duplicates, search
from app.http import IfMatch, for_write, not_modified, set_etag
from app.pagination import Page, PageParams, page_params
from app.principal import Principal
from app.sources import service
from app.sources.models import Source
from app.sources.schemas import SourceCreate, SourceCreated, SourcePublic, SourceUpdate
from app.validation import CountryCode, QueryInstant

router = APIRouter(prefix="/v1/sources", tags=["sources"])

READ = problem_responses(400, 401, 403, 404, 422, 500)
WRITE = problem_responses(400, 401, 403, 404, 409, 412, 422, 428, 500)


@router.post("", status_code=201, responses=WRITE)
def create_source(
    data: SourceCreate,
    response: Response,
    principal: Annotated[Principal, Depends(editor)],
    session: WriteSession,
) -> SourceCreated:
    """Record a new source (an outlet, official, agency, organisation or person)."""
    similar = possible_duplicates(session, Source, data.name, data.aliases)
    source = service.sources.create(session, data, principal)
    response.headers["Location"] = f"/v1/sources/{source.id}"
    set_etag(response, source)
    public = SourcePublic.model_validate(source).model_dump()
    return SourceCreated.model_validate({**public, "possible_duplicates": similar})


@router.get("", responses=READ)
def list_sources(
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    page: Annotated[PageParams, Depends(page_params)],
    kind: SourceKind | None = None,
    country: CountryCode | None = None,
    name_prefix: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
    name: FuzzyName = None,
    parent_id: str | None = None,
    updated_since: QueryInstant | None = None,
    external_id: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[SourcePublic]:
    """Sources in name order, filtered by kind, country, name prefix, parent or update time."""
    filters = service.SourceFilters(
        kind, country, name_prefix, parent_id, updated_since, external_id
    )
    if name is not None:
        found = [SourcePublic.model_validate(r) for r in search(session, Source, name, page.limit)]
        return Page[SourcePublic](items=found, next_cursor=None, total=len(found))
    items, next_cursor, total = service.sources.list(session, filters, page)
    return Page[SourcePublic](
        items=[SourcePublic.model_validate(s) for s in items], next_cursor=next_cursor, total=total
    )


@router.get("/{source_id}", responses={304: {"description": "Not modified"}, **READ})
def get_source(
    source_id: str,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
) -> SourcePublic:
    """One source, with its learned reliability. Sends an ETag; honours If-None-Match."""
    source = service.sources.get(session, source_id)
    if (cached := not_modified(request, source)) is not None:
        return cached  # type: ignore[return-value]
    set_etag(response, source)
    return SourcePublic.model_validate(source)


@router.patch("/{source_id}", responses=WRITE)
def update_source(
    source_id: str,
    data: SourceUpdate,
    response: Response,
    principal: Annotated[Principal, Depends(editor)],
    session: WriteSession,
    if_match: IfMatch = None,
) -> SourcePublic:
    """Change some fields of a source (only those sent). Honours If-Match."""
    source = for_write(service.sources.get, session, source_id, if_match)
    source = service.sources.update(session, source, data, principal)
    set_etag(response, source)
    return SourcePublic.model_validate(source)


@router.delete("/{source_id}", status_code=204, responses=WRITE)
def delete_source(
    source_id: str,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
    if_match: IfMatch = None,
    reason: Annotated[
        str, Query(min_length=1, max_length=2000, description="Why (kept in the tombstone)")
    ] = "deleted by an admin",
) -> None:
    """Delete a source that nothing references (409 otherwise). Admin only."""
    source = for_write(service.sources.get, session, source_id, if_match)
    service.sources.delete(session, source, principal, reason)
