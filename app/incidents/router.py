from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlmodel import Session

from app.auth import admin, editor, viewer
from app.db import WriteSession, get_session
from app.errors import FieldError, ValidationFailed, problem_responses
from app.http import IfMatch, for_write, not_modified, set_etag
from app.incidents import service
from app.incidents.schemas import IncidentCreate, IncidentPublic, IncidentUpdate
from app.pagination import Page, PageParams, page_params
from app.principal import Principal
from app.validation import CountryCode, QueryInstant

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])

READ = problem_responses(400, 401, 403, 404, 422, 500)
WRITE = problem_responses(400, 401, 403, 404, 409, 412, 422, 428, 500)


@router.post("", status_code=201, responses=WRITE)
def create_incident(
    data: IncidentCreate,
    response: Response,
    principal: Annotated[Principal, Depends(editor)],
    session: WriteSession,
) -> IncidentPublic:
    """Record a new incident: what happened, when (UTC bounds and precision) and where."""
    incident = service.incidents.create(session, data, principal)
    response.headers["Location"] = f"/v1/incidents/{incident.id}"
    set_etag(response, incident)
    return IncidentPublic.model_validate(incident)


def parse_near(value: str) -> tuple[float, float, float]:
    """``lat,lon,km`` → numbers, or a 400 naming the parameter."""
    try:
        lat, lon, km = (float(part) for part in value.split(","))
    except ValueError as exc:
        raise _bad_near("must be lat,lon,km (three numbers)") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _bad_near("latitude must be in [-90, 90] and longitude in [-180, 180]")
    if not 0 < km <= 20_000:
        raise _bad_near("km must be in (0, 20000]")
    return lat, lon, km


def _bad_near(detail: str) -> ValidationFailed:
    return ValidationFailed(f"near: {detail}", errors=[FieldError(parameter="near", detail=detail)])


@router.get("", responses=READ)
def list_incidents(
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    page: Annotated[PageParams, Depends(page_params)],
    country: CountryCode | None = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    occurred_after: Annotated[
        QueryInstant | None, Query(description="Incidents that may have happened at or after this")
    ] = None,
    occurred_before: Annotated[
        QueryInstant | None, Query(description="Incidents that may have happened at or before this")
    ] = None,
    contested: bool | None = None,
    updated_since: QueryInstant | None = None,
    external_id: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Words that must all appear in the title or summary (full-text)",
        ),
    ] = None,
    near: Annotated[
        str | None,
        Query(
            description="`lat,lon,km`: incidents within km of the point",
            examples=["33.53,44.26,50"],
        ),
    ] = None,
) -> Page[IncidentPublic]:
    """Incidents in the order they were recorded, filtered by country, tag, time or state."""
    filters = service.IncidentFilters(
        country,
        tag,
        occurred_after,
        occurred_before,
        contested,
        updated_since,
        external_id,
        q,
        parse_near(near) if near else None,
    )
    items, next_cursor, total = service.incidents.list(session, filters, page)
    return Page[IncidentPublic](
        items=[IncidentPublic.model_validate(i) for i in items],
        next_cursor=next_cursor,
        total=total,
    )


@router.get("/{incident_id}", responses={304: {"description": "Not modified"}, **READ})
def get_incident(
    incident_id: str,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
) -> IncidentPublic:
    """One incident with its counters. Sends an ETag; honours If-None-Match."""
    incident = service.incidents.get(session, incident_id)
    if (cached := not_modified(request, incident)) is not None:
        return cached  # type: ignore[return-value]
    set_etag(response, incident)
    return IncidentPublic.model_validate(incident)


@router.patch("/{incident_id}", responses=WRITE)
def update_incident(
    incident_id: str,
    data: IncidentUpdate,
    response: Response,
    principal: Annotated[Principal, Depends(editor)],
    session: WriteSession,
    if_match: IfMatch = None,
) -> IncidentPublic:
    """Change some fields of an incident (only those sent). Honours If-Match."""
    incident = for_write(service.incidents.get, session, incident_id, if_match)
    incident = service.incidents.update(session, incident, data, principal)
    set_etag(response, incident)
    return IncidentPublic.model_validate(incident)


@router.delete("/{incident_id}", status_code=204, responses=WRITE)
def delete_incident(
    incident_id: str,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
    if_match: IfMatch = None,
    reason: Annotated[
        str, Query(min_length=1, max_length=2000, description="Why (kept in the tombstone)")
    ] = "deleted by an admin",
) -> None:
    """Delete an incident without claims (409 otherwise). Admin only."""
    incident = for_write(service.incidents.get, session, incident_id, if_match)
    service.incidents.delete(session, incident, principal, reason)
