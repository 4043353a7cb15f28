"""Incidents: the events claims are about."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, bindparam, select

from app.audit import AuditedService
from app.claims.models import Claim
from app.errors import invalid
from app.incidents.models import Incident
from app.incidents.repository import IncidentFilters, IncidentRepository
from app.incidents.schemas import IncidentPublic, IncidentUpdate

__all__ = ["IncidentFilters", "IncidentService", "build_incident", "incident_row", "incidents"]


def check_incident(values: dict[str, Any]) -> None:
    """Rules across fields, each a 422 naming the field."""
    early, late = values.get("occurred_earliest"), values.get("occurred_latest")
    if early is not None and late is not None and early > late:
        raise invalid("/occurred_latest", "must not be before occurred_earliest")
    if (values.get("latitude") is None) != (values.get("longitude") is None):
        missing = "longitude" if values.get("longitude") is None else "latitude"
        raise invalid("/" + missing, "latitude and longitude must be given together")


class IncidentService(AuditedService[Incident]):
    """Incidents have a rule across fields (:func:`check_incident`)."""

    def check(self, incident: Incident | None, values: dict[str, Any]) -> None:
        if incident is not None:  # a PATCH: the rules hold for the fields as they will be
            values = {f: getattr(incident, f) for f in IncidentUpdate.model_fields} | values
        check_incident(values)


# Every change to an incident goes on the change feed (incident.created …).
incidents = IncidentService(
    IncidentRepository,
    IncidentPublic,
    referenced_by=(Claim.incident_id,),
    refusal="the incident has claims; it cannot be deleted",
    announce=True,
)
build_incident = incidents.build  # the import path stages incidents with the others


_BY_ID = select(Incident.__table__).where(  # type: ignore[attr-defined]
    Incident.__table__.c.id == bindparam("id")  # type: ignore[attr-defined]
)


def incident_row(conn: Connection, incident_id: str) -> Row[Any] | None:
    """The incident's columns as a plain row (what ``IncidentPublic`` is made from), or None."""
    return conn.execute(_BY_ID, {"id": incident_id}).first()
