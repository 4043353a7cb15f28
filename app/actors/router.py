from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import Session

from app.actors import service
from app.actors.models import Actor
from app.actors.schemas import ActorCreate, ActorCreated, ActorPublic, ActorUpdate
from app.auth import admin, editor, viewer
from app.db import WriteSession, get_session
from app.enums import ActorKind
from app.errors import problem_responses
from app.fuzzy import FuzzyName, possible_duplicates, search
from app.http import IfMatch, for_write, not_modified, set_etag
from app.pagination import Page, PageParams, page_params
from app.principal import Principal
from app.validation import CountryCode, QueryInstant

router = APIRouter(prefix="/v1/actors", tags=["actors"])

READ = problem_responses(400, 401, 403, 404, 422, 500)
WRITE = problem_responses(400, 401, 403, 404, 409, 412, 422, 428, 500)


@router.post("", status_code=201, responses=WRITE)
def create_actor(
    data: ActorCreate,
    response: Response,
    principal: Annotated[Principal, Depends(editor)],
    session: WriteSession,
) -> ActorCreated:
    """Record a new actor (a state, armed group, organisation or person)."""
    similar = possible_duplicates(session, Actor, data.name, data.aliases)
    actor = service.actors.create(session, data, principal)
    response.headers["Location"] = f"/v1/actors/{actor.id}"
    set_etag(response, actor)
    public = ActorPublic.model_validate(actor).model_dump()
    return ActorCreated.model_validate({**public, "possible_duplicates": similar})


@router.get("", responses=READ)
def list_actors(
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    page: Annotated[PageParams, Depends(page_params)],
    kind: ActorKind | None = None,
    country: CountryCode | None = None,
    name_prefix: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
    name: FuzzyName = None,
    parent_id: str | None = None,
    updated_since: QueryInstant | None = None,
    external_id: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[ActorPublic]:
    """Actors in name order, filtered by kind, country, name prefix, parent or update time."""
    filters = service.ActorFilters(
        kind, country, name_prefix, parent_id, updated_since, external_id
    )
    if name is not None:
        found = [ActorPublic.model_validate(r) for r in search(session, Actor, name, page.limit)]
        return Page[ActorPublic](items=found, next_cursor=None, total=len(found))
    items, next_cursor, total = service.actors.list(session, filters, page)
    return Page[ActorPublic](
        items=[ActorPublic.model_validate(s) for s in items], next_cursor=next_cursor, total=total
    )


@router.get("/{actor_id}", responses={304: {"description": "Not modified"}, **READ})
def get_actor(
    actor_id: str,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
) -> ActorPublic:
    """One actor. Sends an ETag; honours If-None-Match."""
    actor = service.actors.get(session, actor_id)
    if (cached := not_modified(request, actor)) is not None:
        return cached  # type: ignore[return-value]
    set_etag(response, actor)
    return ActorPublic.model_validate(actor)


@router.patch("/{actor_id}", responses=WRITE)
def update_actor(
    actor_id: str,
    data: ActorUpdate,
    response: Response,
    principal: Annotated[Principal, Depends(editor)],
    session: WriteSession,
    if_match: IfMatch = None,
) -> ActorPublic:
    """Change some fields of an actor (only those sent). Honours If-Match."""
    actor = for_write(service.actors.get, session, actor_id, if_match)
    actor = service.actors.update(session, actor, data, principal)
    set_etag(response, actor)
    return ActorPublic.model_validate(actor)


@router.delete("/{actor_id}", status_code=204, responses=WRITE)
def delete_actor(
    actor_id: str,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
    if_match: IfMatch = None,
    reason: Annotated[
        str, Query(min_length=1, max_length=2000, description="Why (kept in the tombstone)")
    ] = "deleted by an admin",
) -> None:
    """Delete an actor that nothing references (409 otherwise). Admin only."""
    actor = for_write(service.actors.get, session, actor_id, if_match)
    service.actors.delete(session, actor, principal, reason)
