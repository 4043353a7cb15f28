from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import Connection
from sqlmodel import Session

from app import fastlane
from app.assessment import service
from app.assessment.claimreview import claim_review
from app.assessment.corpus import Corpus, load
from app.assessment.schemas import (
    AssessmentView,
    AttributionsView,
    ClaimReviewDocument,
    ConflictsView,
)
from app.auth import viewer
from app.db import get_session
from app.errors import NotFound, problem_responses
from app.incidents.service import incidents
from app.principal import Principal
from app.validation import QueryInstant
from app.views.service import current, ready

router = APIRouter(prefix="/v1/incidents/{incident_id}", tags=["assessment"])
READ = problem_responses(400, 401, 403, 404, 422, 500)

# Examples taken from the Camp Taji demo (regenerate with scripts/openapi_examples.py).
EXAMPLES = json.loads(resources.files("app.assessment").joinpath("examples.json").read_text())


def _documented(view: str) -> dict[int | str, dict[str, Any]]:
    example: dict[int | str, dict[str, Any]] = {
        200: {"content": {"application/json": {"example": EXAMPLES[view]}}}
    }
    return {**example, **READ}


MAX_VIEW_LIMIT = 1000

Limit = Annotated[
    int | None,
    Query(
        ge=1,
        le=MAX_VIEW_LIMIT,
        description="At most this many candidates per topic (`/conflicts`: groups; "
        "`/attributions`: attributions), the most probable first; `more_candidates` "
        "(`more_groups`, `more_attributions`) says how many were left out. Probabilities are "
        "those of the whole assessment. Without it, every candidate.",
    ),
]

AsOf = Annotated[
    QueryInstant | None,
    Query(
        description="Only what had been said and recorded by this instant ('what did we "
        "know at 8 p.m.?')"
    ),
]


def _view(
    session: Session,
    incident_id: str,
    name: str,
    shape: Callable[[Corpus, datetime | None], BaseModel],
    as_of: datetime | None,
    limit: int | None = None,
) -> Response:
    """Current views are served ready-made (see app/views), one stored copy per ``limit``;
    ``as_of`` ones are computed."""

    def compute() -> BaseModel:
        corpus = load(session, incidents.get(session, incident_id), as_of)
        return service.cap(shape(corpus, as_of), limit)

    if as_of is not None:
        body = compute().model_dump_json().encode()
    else:
        stored = _stored(name, limit)
        body = ready(session, incident_id, stored, compute, lambda: _missing(incident_id))
    return Response(body, media_type="application/json")


def _stored(name: str, limit: int | None) -> str:
    """The name a view is stored ready-made under: one copy per ``limit``."""
    return name if limit is None else f"{name}?limit={limit}"


def _quick(name: str) -> fastlane.Read:
    """A ready-made view in the fast lane: served as stored while it is current (a cold or
    stale view, an unknown incident, ``as_of`` or a bad ``limit`` go to the route)."""

    def read(conn: Connection, request: fastlane.Request) -> fastlane.Answer | None:
        limit = request.query.get("limit")
        if limit is not None and (not limit.isdigit() or not 1 <= int(limit) <= MAX_VIEW_LIMIT):
            return None
        stored = _stored(name, None if limit is None else int(limit))
        found = current(conn, request.path["incident_id"], stored)
        if found is None:
            return None
        body, copy = found
        return fastlane.Answer(body, gzip_key=copy)  # its gzip is kept too

    return read


for _name in ("conflicts", "assessment", "attributions"):
    fastlane.register(f"/v1/incidents/{{incident_id}}/{_name}", ("limit",), _quick(_name))


def _missing(incident_id: str) -> Exception:
    return NotFound(f"no incident with id {incident_id!r}")


@router.get("/conflicts", response_model=ConflictsView, responses=_documented("conflicts"))
def get_incident_conflicts(
    incident_id: str,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    as_of: AsOf = None,
    limit: Limit = None,
) -> Response:
    """For each topic and qualifiers: the groups of mutually compatible claims (each a
    candidate value, with its claims and sources) and whether the topic is contested."""
    return _view(session, incident_id, "conflicts", service.conflicts, as_of, limit)


@router.get("/attributions", response_model=AttributionsView, responses=_documented("attributions"))
def get_incident_attributions(
    incident_id: str,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    as_of: AsOf = None,
    limit: Limit = None,
) -> Response:
    """Competing attributions of responsibility, ranked, each with its probability, the
    claims that support and deny it, and who said so."""
    return _view(session, incident_id, "attributions", service.attributions, as_of, limit)


@router.get("/assessment", response_model=AssessmentView, responses=_documented("assessment"))
def get_incident_assessment(
    incident_id: str,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    as_of: AsOf = None,
    limit: Limit = None,
) -> Response:
    """For each topic and qualifiers: candidate values with probabilities (the rest is
    'none of these'), the number of independent sources, and each claim's contribution."""
    return _view(session, incident_id, "assessment", service.assessment, as_of, limit)


@router.get(
    "/claimreview",
    response_class=JSONResponse,
    responses={
        200: {
            "description": "schema.org ClaimReview JSON-LD (`@graph` of ClaimReview)",
            "model": ClaimReviewDocument,
            "content": {"application/ld+json": {}},
        },
        **READ,
    },
)
def get_incident_claimreview(
    incident_id: str,
    request: Request,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
) -> JSONResponse:
    """schema.org ClaimReview / Claim JSON-LD for the incident's claims, each rated 1-5 from the
    assessed probability of the version it supports (for CMS embedding and search engines)."""
    corpus = load(session, incidents.get(session, incident_id))
    base = str(request.base_url).rstrip("/")
    return JSONResponse(claim_review(session, corpus, base), media_type="application/ld+json")
