"""``POST /v1/extract`` (article → suggested claims, nothing written) and
``POST /v1/extract/accept`` (chosen suggestions → claims, in one request)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlmodel import Session

from app.auth import editor
from app.db import WriteSession, get_session
from app.errors import problem_responses
from app.extract import service
from app.extract.schemas import AcceptRequest, AcceptResponse, ExtractRequest, ExtractResponse
from app.principal import Principal

router = APIRouter(prefix="/v1/extract", tags=["extract"])


@router.post("", responses=problem_responses(400, 401, 403, 404, 422, 500))
def extract_suggestions(
    data: ExtractRequest,
    principal: Annotated[Principal, Depends(editor)],
    session: Annotated[Session, Depends(get_session)],
) -> ExtractResponse:
    """Read an article (`text`, or an https `url` whose main text is extracted) and suggest
    the claims in it: quote or reported content with its span, the cue, the speaker resolved
    through pronouns and descriptions, registry candidates, firmness, topic and value. Nothing
    is written; accept the chosen ones with `POST /v1/extract/accept`."""
    return service.suggest(session, data)


@router.post(
    "/accept",
    status_code=201,
    responses={
        200: {"description": "Every item had been accepted before"},
        **problem_responses(400, 401, 403, 404, 409, 422, 500),
    },
)
def accept_suggestions(
    data: AcceptRequest,
    response: Response,
    principal: Annotated[Principal, Depends(editor)],
    session: WriteSession,
) -> AcceptResponse:
    """Turn chosen (and corrected) suggestions into claims in one transaction, the article
    attached to each as its original link. Accepting the same suggestion again returns the
    claim made the first time (by its external id) instead of a duplicate."""
    out, created = service.accept(session, data, principal)
    if not created:
        response.status_code = 200
    return out
