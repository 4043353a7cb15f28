from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import Connection

from app import fastlane
from app.errors import FieldError, ValidationFailed
from app.http import names_current
from app.incidents.models import etag_token
from app.incidents.schemas import IncidentCreate, IncidentPublic, IncidentUpdate
from app.incidents.service import IncidentFilters, incident_row, incidents
from app.pagination import Page, PageParams, page_params
from app.routing import READ, EntityRoutes, ReadSession, Viewer, full_text, valid, writable
from app.validation import CountryCode, QueryInstant

router = APIRouter(prefix="/v1/incidents", tags=["incidents"])
valid_incident = valid(incidents.get, "incident_id")
writable_incident = writable(incidents.get, "incident_id")
one = EntityRoutes(router, "incident", "incident_id", incidents, IncidentPublic)
one.create(
    IncidentCreate,
    "Record a new incident: what happened, when (UTC bounds and precision) and where.",
)


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


class IncidentQuery:
    """The incident list's filters (``near`` is read when the route asks for the filters,
    after FastAPI has checked every other parameter)."""

    def __init__(
        self,
        country: CountryCode | None = None,
        tag: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
        occurred_after: Annotated[
            QueryInstant | None,
            Query(description="Incidents that may have happened at or after this"),
        ] = None,
        occurred_before: Annotated[
            QueryInstant | None,
            Query(description="Incidents that may have happened at or before this"),
        ] = None,
        contested: bool | None = None,
        updated_since: QueryInstant | None = None,
        external_id: Annotated[str | None, Query(max_length=200)] = None,
        q: Annotated[
            str | None,
            full_text("Words that must all appear in the title or summary (full-text)"),
        ] = None,
        near: Annotated[
            str | None,
            Query(
                description="`lat,lon,km`: incidents within km of the point",
                examples=["33.53,44.26,50"],
            ),
        ] = None,
    ) -> None:
        self.values = {name: value for name, value in locals().items() if name != "self"}

    def filters(self) -> IncidentFilters:
        near = self.values["near"]
        return IncidentFilters(**self.values | {"near": parse_near(near) if near else None})


@router.get("", responses=READ)
def list_incidents(
    principal: Viewer,
    session: ReadSession,
    query: Annotated[IncidentQuery, Depends()],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[IncidentPublic]:
    """Incidents in the order they were recorded, filtered by country, tag, time or state."""
    items, next_cursor, total = incidents.list(session, query.filters(), page)
    return Page[IncidentPublic](
        items=[IncidentPublic.model_validate(i) for i in items],
        next_cursor=next_cursor,
        total=total,
    )


one.read(valid_incident, "One incident with its counters. Sends an ETag; honours If-None-Match.")


def quick_incident(conn: Connection, request: fastlane.Request) -> fastlane.Answer | None:
    """``GET /v1/incidents/{incident_id}`` in the fast lane (the route answers a 404)."""
    row = incident_row(conn, request.path["incident_id"])
    if row is None:
        return None
    etag = f'"{etag_token(row)}"'.encode()
    if request.if_none_match is not None and names_current(request.if_none_match, etag.decode()):
        return fastlane.Answer(b"", status=304, headers=[(b"etag", etag)])
    body = IncidentPublic.model_validate(row._mapping).model_dump_json().encode()
    return fastlane.Answer(body, headers=[(b"etag", etag)])


fastlane.register("/v1/incidents/{incident_id}", (), quick_incident)
one.update(writable_incident, IncidentUpdate)
one.delete(writable_incident, "Delete an incident without claims (409 otherwise). Admin only.")
