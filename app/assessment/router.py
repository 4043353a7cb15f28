from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import Session

from app.assessment import service
from app.assessment.schemas import AssessmentView, AttributionsView, ConflictsView
from app.auth import Principal, viewer
from app.db import get_session
from app.errors import problem_responses
from app.incidents.service import get_incident

router = APIRouter(prefix="/v1/incidents/{incident_id}", tags=["assessment"])
READ = problem_responses(400, 401, 403, 404, 422, 500)

AsOf = Annotated[
    datetime | None,
    Query(
        description="Only what had been said and recorded by this instant ('what did we "
        "know at 8 p.m.?')"
    ),
]


@router.get("/conflicts", responses=READ)
def get_incident_conflicts(
    incident_id: str,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    as_of: AsOf = None,
) -> ConflictsView:
    """For each topic and qualifiers: the groups of mutually compatible claims (each a
    candidate value, with its claims and sources) and whether the topic is contested."""
    corpus = service.load(session, get_incident(session, incident_id), as_of)
    return service.conflicts(corpus, as_of)


@router.get("/attributions", responses=READ)
def get_incident_attributions(
    incident_id: str,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    as_of: AsOf = None,
) -> AttributionsView:
    """Competing attributions of responsibility, ranked, each with its probability, the
    claims that support and deny it, and who said so."""
    corpus = service.load(session, get_incident(session, incident_id), as_of)
    return service.attributions(corpus, as_of)


@router.get("/assessment", responses=READ)
def get_incident_assessment(
    incident_id: str,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    as_of: AsOf = None,
) -> AssessmentView:
    """For each topic and qualifiers: candidate values with probabilities (the rest is
    'none of these'), the number of independent sources, and each claim's contribution."""
    corpus = service.load(session, get_incident(session, incident_id), as_of)
    return service.assessment(corpus, as_of)
