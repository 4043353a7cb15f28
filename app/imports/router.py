from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from app.auth import editor
from app.db import WriteSession
from app.errors import BadRequest, FieldError, ValidationFailed, problem_responses
from app.http import NUL_DETAIL, json_nul_pointers
from app.imports.schemas import ImportReport
from app.imports.service import import_records
from app.principal import Principal

router = APIRouter(prefix="/v1/import", tags=["import"])

NDJSON = "application/x-ndjson"
RECORD_SCHEMA = {
    "type": "object",
    "required": ["type", "external_id"],
    "properties": {
        "type": {"type": "string", "enum": ["source", "actor", "incident", "claim"]},
        "external_id": {"type": "string", "minLength": 1, "maxLength": 200},
    },
    "additionalProperties": True,
    "description": "One record: the fields of the matching create request, plus `type`, "
    "`external_id` and references to other records as `<field>_external_id`",
}
EXAMPLE = {
    "type": "source",
    "external_id": "src-presstv",
    "name": "Press TV",
    "kind": "outlet",
    "country": "IR",
}


def _lines(body: bytes, content_type: str) -> list[bytes]:
    """The records as NDJSON lines: the body's lines, or a JSON array's elements."""
    if not body.strip():
        raise ValidationFailed(
            "body: the import is empty; send at least one record",
            errors=[FieldError(pointer="", detail="the import is empty")],
        )
    if content_type.startswith("application/json"):
        try:
            records = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(
                f"request body is not valid JSON: {exc}",
                errors=[FieldError(pointer="", detail=f"not valid JSON: {exc}")],
            ) from exc
        if not isinstance(records, list) or not records:
            raise ValidationFailed(
                "body: an application/json import is a non-empty array of records",
                errors=[FieldError(pointer="", detail="must be a non-empty array of records")],
            )
        return [orjson.dumps(record) for record in records]
    lines = body.split(b"\n")
    if not any(line.strip() for line in lines):
        raise ValidationFailed(
            "body: the import has no records",
            errors=[FieldError(pointer="", detail="the import has no records")],
        )
    return lines


def _reject_nul(lines: list[bytes]) -> None:
    errors = [
        FieldError(line=number, pointer=pointer, detail=NUL_DETAIL)
        for number, line in enumerate(lines, start=1)
        for pointer in json_nul_pointers(line)
    ]
    if errors:
        raise ValidationFailed(f"{len(errors)} invalid line(s): {NUL_DETAIL}", errors=errors)


@router.post(
    "",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                NDJSON: {
                    "schema": {"type": "string", "minLength": 1},
                    "example": orjson.dumps(EXAMPLE).decode() + "\n",
                },
                "application/json": {
                    "schema": {"type": "array", "minItems": 1, "items": RECORD_SCHEMA},
                    "example": [EXAMPLE],
                },
            },
        }
    },
    responses=problem_responses(400, 401, 403, 409, 413, 422, 429, 500, 503),
)
async def import_ndjson(
    request: Request,
    principal: Annotated[Principal, Depends(editor)],
    session: WriteSession,
) -> ImportReport:
    """Import records (`{"type": "source"|"actor"|"incident"|"claim", "external_id": …}`
    referencing each other by `<field>_external_id`) as NDJSON (`application/x-ndjson`, one
    record a line) or as a JSON array (`application/json`): all-or-nothing, idempotent on
    re-run (existing external ids are left as they are), errors reported with their line
    (for an array, the element's 1-based position). The body may be up to
    `CLAIMDESK_MAX_IMPORT_BYTES` (413 beyond) and is read as it streams in."""
    body = bytearray()
    async for chunk in request.stream():  # the size limit is enforced as it streams
        body += chunk
    lines = _lines(bytes(body), request.headers.get("content-type", NDJSON))
    del body
    try:
        for line in lines:
            line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("the body must be UTF-8 NDJSON") from exc
    _reject_nul(lines)
    return await run_in_threadpool(import_records, session, lines, principal)
