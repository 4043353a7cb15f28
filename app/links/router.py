from __future__ import annotations

from contextlib import nullcontext
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.auth import admin
from app.config import get_settings
from app.db import WriteSession
from app.errors import FieldError, ValidationFailed, problem_responses
from app.links import service
from app.links.schemas import LinkCheckReport
from app.principal import Principal

router = APIRouter(prefix="/v1/links", tags=["links"])


@router.post("/check", responses=problem_responses(400, 401, 403, 422, 500))
def check_links(
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
    older_than: Annotated[
        str | None,
        Query(description="Also re-check links checked before this long ago: 7d, 12h, 30m"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    archive: Annotated[bool, Query(description="Ask the archive for a snapshot")] = False,
) -> LinkCheckReport:
    """Check claim links (admin): HTTP status, final URL after redirects, page title and the
    SHA-256 of the content, stored on each link. Same as `claimdesk links check`."""
    try:
        age = service.parse_age(older_than)
    except ValueError as exc:
        raise ValidationFailed(
            f"older_than: {exc}", errors=[FieldError(parameter="older_than", detail=str(exc))]
        ) from exc
    if archive and not get_settings().archive_url:
        raise ValidationFailed(
            "archive: the operator has not set CLAIMDESK_ARCHIVE_URL",
            errors=[FieldError(parameter="archive", detail="CLAIMDESK_ARCHIVE_URL is not set")],
        )
    with service.client() as client:
        return service.check_links(lambda: nullcontext(session), client, age, limit, archive)
