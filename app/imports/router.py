from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth import Principal, editor
from app.db import get_write_session
from app.errors import BadRequest, problem_responses
from app.imports.service import ImportReport, import_records

router = APIRouter(prefix="/v1/import", tags=["import"])

MAX_BYTES = 50 * 1024 * 1024


@router.post(
    "",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {
                    "schema": {"type": "string"},
                    "example": '{"type": "source", "external_id": "src-presstv", "name": '
                    '"Press TV", "kind": "outlet", "country": "IR"}\n',
                }
            },
        }
    },
    responses=problem_responses(400, 401, 403, 409, 422, 500),
)
async def import_ndjson(
    request: Request,
    principal: Annotated[Principal, Depends(editor)],
    session: Annotated[Session, Depends(get_write_session)],
) -> ImportReport:
    """Import NDJSON records (`{"type": "source"|"actor"|"incident"|"claim", "external_id":
    …}` referencing each other by `<field>_external_id`): all-or-nothing, idempotent on re-run
    (existing external ids are left as they are), errors reported with their line number."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BYTES:
            raise BadRequest(f"the import is larger than {MAX_BYTES // (1024 * 1024)} MB; split it")
    try:
        lines = body.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise BadRequest("the body must be UTF-8 NDJSON") from exc
    return await run_in_threadpool(import_records, session, lines, principal)
