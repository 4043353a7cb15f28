from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import Connection
from sqlmodel import Session

from app import fastlane
from app.auth import editor, viewer
from app.claims import service, timeline
from app.claims.models import Claim
from app.claims.schemas import (
    ClaimCreate,
    ClaimPublic,
    ClaimReplacement,
    ClaimUpdate,
    RetractRequest,
)
from app.db import WriteSession, get_session
from app.enums import ClaimStatus, Stance
from app.errors import BadRequest, FieldError, ValidationFailed
from app.incidents.service import incidents
from app.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, PageParams, page_params
from app.principal import Principal
from app.routing import (
    READ,
    REQUIRED,
    WRITE,
    EntityRoutes,
    Writable,
    entity_headers,
    full_text,
    valid,
    writable,
)
from app.validation import LanguageTag, QueryInstant

router = APIRouter(tags=["claims"])
valid_claim = valid(service.claims.get, "claim_id")
writable_claim = writable(service.claims.get, "claim_id")
WritableClaim = Annotated[Writable[Claim], Depends(writable_claim)]


def present(session: Session, claim: Claim) -> ClaimPublic:
    return service.publish(session, [claim])[0]


one = EntityRoutes(router, "claim", "claim_id", service.claims, ClaimPublic, present, "/v1/claims")
one.create(ClaimCreate, "Record who said what, and when, about an incident (links embedded).")

AsOf = Annotated[
    QueryInstant | None,
    Query(description="Only what had been said and recorded by this instant"),
]


class ClaimQuery:
    """Filters shared by the claim lists."""

    def __init__(
        self,
        source_id: Annotated[
            str | None, Query(description="Said by this source or carried via it")
        ] = None,
        topic: str | None = None,
        status: ClaimStatus | None = None,
        stance: Stance | None = None,
        language: LanguageTag | None = None,
        tag: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
        said_after: QueryInstant | None = None,
        said_before: QueryInstant | None = None,
        updated_since: QueryInstant | None = None,
        as_of: AsOf = None,
        external_id: Annotated[str | None, Query(max_length=200)] = None,
        q: Annotated[
            str | None,
            full_text(
                "Words that must all appear in the quote or its translation "
                "(full-text, any language)"
            ),
        ] = None,
    ) -> None:
        self.filters = service.ClaimFilters(
            source_id=source_id,
            topic=topic,
            status=status,
            stance=stance,
            language=language,
            tag=tag,
            said_after=said_after,
            said_before=said_before,
            updated_since=updated_since,
            as_of=as_of,
            external_id=external_id,
            q=q,
        )


def expand_param(
    expand: Annotated[
        str | None,
        Query(
            max_length=50,
            description="Embed named objects in each claim: `source` (source and via source), "
            "`actor` (the actor an attribution holds responsible), or `source,actor`",
            examples=["source,actor"],
        ),
    ] = None,
) -> set[str]:
    wanted = {w.strip() for w in (expand or "").split(",") if w.strip()}
    unknown = sorted(wanted - set(service.EXPANDABLE))
    if unknown:
        detail = f"unknown {', '.join(unknown)}; use {' or '.join(service.EXPANDABLE)}"
        raise ValidationFailed(
            f"expand: {detail}", errors=[FieldError(parameter="expand", detail=detail)]
        )
    return wanted


Expand = Annotated[set[str], Depends(expand_param)]


def _page(
    session: Session, filters: service.ClaimFilters, page: PageParams, expand: set[str]
) -> Response:
    """The page as JSON straight from plain dicts (the route declares ``Page[ClaimPublic]``)."""
    items, next_cursor, total = service.list_claims(session, filters, page)
    dicts = service.public_dicts(session, items)
    for d in dicts:  # the shape of a single claim: expansions are null unless asked for
        d.update(dict.fromkeys(service.EXPANSIONS))
    if expand:
        dicts = service.expand(session, dicts, expand)
    body = {"items": dicts, "next_cursor": next_cursor, "total": total}
    return Response(orjson.dumps(body), media_type="application/json")


def quick_timeline(conn: Connection, request: fastlane.Request) -> fastlane.Answer | None:
    """``GET /v1/incidents/{incident_id}/claims`` with at most ``limit`` and ``cursor`` in the
    fast lane (:mod:`app.claims.timeline`). A page without claims goes to the route (it knows
    whether the incident exists), and so does a bad ``limit`` or ``cursor`` (its 422/400)."""
    limit = request.query.get("limit", str(DEFAULT_LIMIT))
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
        return None
    cursor = request.query.get("cursor")
    if cursor is not None and not 0 < len(cursor) <= 512:
        return None
    try:
        ready = timeline.ready_page(conn, request.path["incident_id"], int(limit), cursor)
    except BadRequest:  # a malformed cursor
        return None
    return None if ready is None else fastlane.Answer(ready[0], gzip_key=ready[1])


fastlane.register("/v1/incidents/{incident_id}/claims", ("limit", "cursor"), quick_timeline)


@router.get("/v1/claims", response_model=Page[ClaimPublic], responses=READ)
def list_claims(
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    page: Annotated[PageParams, Depends(page_params)],
    query: Annotated[ClaimQuery, Depends()],
    expand: Expand,
    incident_id: str | None = None,
) -> Response:
    """Claims in `said_at` order, filtered by incident, source, topic, status, time, tag…"""
    filters = service.ClaimFilters(**{**query.filters.__dict__, "incident_id": incident_id})
    return _page(session, filters, page, expand)


@router.get("/v1/incidents/{incident_id}/claims", response_model=Page[ClaimPublic], responses=READ)
def list_incident_claims(
    incident_id: str,
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    page: Annotated[PageParams, Depends(page_params)],
    query: Annotated[ClaimQuery, Depends()],
    expand: Expand,
) -> Response:
    """The incident's timeline: its claims in the order they were said (`expand=source,actor`
    embeds the names, so a frontend needs no second round of requests)."""
    # looked up here, not by a dependency: a bad query parameter stays a 422 (dependencies
    # run before FastAPI reports the parameters it refused)
    incidents.get(session, incident_id)
    filters = service.ClaimFilters(**{**query.filters.__dict__, "incident_id": incident_id})
    return _page(session, filters, page, expand)


@router.post("/v1/claims/{claim_id}/retract", responses=WRITE)
def retract_claim(
    data: RetractRequest,
    response: Response,
    principal: Annotated[Principal, Depends(editor)],
    session: WriteSession,
    target: WritableClaim,
) -> ClaimPublic:
    """Retract a claim: it stays readable and filterable but no longer counts. Honours If-Match."""
    claim = service.retract_claim(session, target(), data.reason, principal)
    entity_headers(response, claim)
    return present(session, claim)


@router.post("/v1/claims/{claim_id}/supersede", status_code=201, responses=WRITE)
def supersede_claim(
    data: ClaimReplacement,
    response: Response,
    principal: Annotated[Principal, Depends(editor)],
    session: WriteSession,
    target: WritableClaim,
) -> ClaimPublic:
    """Replace a claim with a corrected one (`supersedes_id` set; the old one becomes
    `superseded` in the same transaction). Returns the replacement. Honours If-Match."""
    claim = target()
    body = ClaimCreate.model_validate(
        data.model_dump() | {"incident_id": data.incident_id or claim.incident_id}
    )
    replacement = service.supersede_claim(session, claim, body, principal)
    entity_headers(response, replacement, location=f"/v1/claims/{replacement.id}")
    return present(session, replacement)


one.read(valid_claim, "One claim with its links. Sends an ETag; honours If-None-Match.")
one.update(
    writable_claim,
    ClaimUpdate,
    "Correct some fields of a claim (only those sent; `links` replaces all links).",
)
one.delete(
    writable_claim,
    "Hard delete (legal takedown, admin only): the content is removed, also from the\n"
    "history; a tombstone with id, type, time and reason stays in `/v1/tombstones`.",
    Annotated[str, Query(min_length=1, max_length=2000, description="Why (e.g. the legal order)")],
    REQUIRED,
)
