from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from app.auth import admin
from app.db import WriteSession
from app.errors import problem_responses
from app.principal import Principal
from app.reliability import service
from app.reliability.schemas import ReliabilityReport

router = APIRouter(prefix="/v1/reliability", tags=["sources"])


@router.post("/recompute", responses=problem_responses(401, 403, 500))
def recompute_reliability(
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
) -> ReliabilityReport:
    """Learn every source's reliability from the whole corpus (truth discovery blended with
    each source's prior) and store it on the sources (admin). Same as
    `claimdesk reliability recompute`."""
    return service.recompute(session)
