"""Incidents as rows: lookups and the list's filters (tags, full text, time, place)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlmodel import col

from app.incidents.models import Incident
from app.repository.base import Filters, Repository
from app.repository.sql import full_text_match, json_array_contains

KM_PER_DEGREE = 111.32


@dataclass(frozen=True, kw_only=True)
class IncidentFilters(Filters):
    country: str | None = None
    tag: str | None = None
    #: may have happened at or after / at or before
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None
    contested: bool | None = None
    q: str | None = None  # full text
    near: tuple[float, float, float] | None = None  # latitude, longitude, km


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


class IncidentRepository(Repository[Incident]):
    """Listed in the order they were recorded (ids are time-ordered)."""

    model = Incident
    noun = "incident"
    duplicate = "an incident with this external_id already exists"

    def filtered(self, filters: IncidentFilters) -> Select[Any]:
        f, session = filters, self.session
        stmt = super().filtered(filters)
        if f.country:
            stmt = stmt.where(col(Incident.country) == f.country)
        if f.tag:
            stmt = stmt.where(json_array_contains(session, Incident.tags, f.tag.casefold()))
        if f.occurred_after:
            # overlaps [after, ...): the incident may have happened at or after the instant
            stmt = stmt.where(col(Incident.occurred_latest) >= f.occurred_after)
        if f.occurred_before:
            stmt = stmt.where(col(Incident.occurred_earliest) <= f.occurred_before)
        if f.contested is not None:
            stmt = stmt.where(col(Incident.contested) == f.contested)
        if f.q:
            stmt = stmt.where(full_text_match(session, "incident", col(Incident.id), f.q))
        if f.near:
            stmt = stmt.where(*near_clauses(*f.near))
        return stmt
