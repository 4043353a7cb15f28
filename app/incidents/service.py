"""Incidents: the events claims are about."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.audit import delete_unreferenced, save_changes, stage_create
from app.claims.models import Claim
from app.crud import (
    flush_or_conflict,
    get_or_404,
)
from app.db import full_text_match, json_array_contains
from app.errors import Conflict, invalid
from app.incidents.models import Incident
from app.incidents.schemas import IncidentCreate, IncidentPublic, IncidentUpdate
from app.pagination import PageParams, paginate
from app.principal import Principal


@dataclass(frozen=True)
class IncidentFilters:
    country: str | None = None
    tag: str | None = None
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None
    contested: bool | None = None
    updated_since: datetime | None = None
    external_id: str | None = None
    q: str | None = None
    near: tuple[float, float, float] | None = None


def snapshot(incident: Incident) -> dict[str, Any]:
    return IncidentPublic.model_validate(incident).model_dump(mode="json")


def _duplicate(_: str) -> Conflict:
    return Conflict("an incident with this external_id already exists")


KM_PER_DEGREE = 111.32


def near_clauses(lat: float, lon: float, km: float) -> list[Any]:
    """Incidents within ``km`` of a point: a bounding box on the (latitude, longitude) index,
    then the equirectangular distance (plain arithmetic, so the same SQL on SQLite and
    PostgreSQL; within 0.5 % of the great-circle distance up to a few hundred km)."""
    dlat = km / KM_PER_DEGREE
    coslat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, km / (KM_PER_DEGREE * coslat))
    la, lo = col(Incident.latitude), col(Incident.longitude)
    dx = (lo - lon) * coslat
    dy = la - lat
    return [
        la.between(lat - dlat, lat + dlat),
        lo.between(lon - dlon, lon + dlon),
        (dx * dx + dy * dy) <= dlat * dlat,
    ]


def check_incident(values: dict[str, Any]) -> None:
    """Rules across fields, each a 422 naming the field."""
    early, late = values.get("occurred_earliest"), values.get("occurred_latest")
    if early is not None and late is not None and early > late:
        raise invalid("/occurred_latest", "must not be before occurred_earliest")
    if (values.get("latitude") is None) != (values.get("longitude") is None):
        missing = "longitude" if values.get("longitude") is None else "latitude"
        raise invalid("/" + missing, "latitude and longitude must be given together")


def build_incident(session: Session, data: IncidentCreate, principal: Principal) -> Incident:
    """Validate and stage a new incident without committing (the import path shares it)."""
    check_incident(data.model_dump())
    incident = Incident(**data.model_dump())
    return stage_create(
        session, "incident", incident, principal, snapshot, _duplicate, announce=True
    )


def create_incident(session: Session, data: IncidentCreate, principal: Principal) -> Incident:
    incident = build_incident(session, data, principal)
    flush_or_conflict(session, _duplicate)
    return incident


def get_incident(session: Session, incident_id: str, lock: bool = False) -> Incident:
    return get_or_404(session, Incident, incident_id, "incident", lock=lock)


def list_incidents(
    session: Session, filters: IncidentFilters, page: PageParams
) -> tuple[list[Incident], str | None, int | None]:
    stmt = select(Incident)
    if filters.country:
        stmt = stmt.where(Incident.country == filters.country)  # type: ignore[arg-type]
    if filters.tag:
        stmt = stmt.where(json_array_contains(session, Incident.tags, filters.tag.casefold()))
    if filters.occurred_after:
        # overlaps [after, ...): the incident may have happened at or after the instant
        stmt = stmt.where(Incident.occurred_latest >= filters.occurred_after)  # type: ignore[arg-type, operator]
    if filters.occurred_before:
        stmt = stmt.where(Incident.occurred_earliest <= filters.occurred_before)  # type: ignore[arg-type, operator]
    if filters.contested is not None:
        stmt = stmt.where(Incident.contested == filters.contested)  # type: ignore[arg-type]
    if filters.updated_since:
        stmt = stmt.where(col(Incident.updated_at) >= filters.updated_since)
    if filters.external_id:
        stmt = stmt.where(col(Incident.external_id) == filters.external_id)
    if filters.q:
        stmt = stmt.where(full_text_match(session, "incident", col(Incident.id), filters.q))
    if filters.near:
        stmt = stmt.where(*near_clauses(*filters.near))
    return paginate(session, stmt, [Incident.id], page, lambda i: (i.id,), (str,))


def update_incident(
    session: Session, incident: Incident, data: IncidentUpdate, principal: Principal
) -> Incident:
    changes = data.model_dump(exclude_unset=True)
    merged = {f: getattr(incident, f) for f in IncidentUpdate.model_fields} | changes
    check_incident(merged)
    return save_changes(
        session, "incident", incident, changes, principal, snapshot, _duplicate, announce=True
    )


def delete_incident(
    session: Session, incident: Incident, principal: Principal, reason: str
) -> None:
    references = [(Claim.incident_id, incident.id)]
    refusal = "the incident has claims; it cannot be deleted"
    delete_unreferenced(session, "incident", incident, principal, reason, references, refusal)
