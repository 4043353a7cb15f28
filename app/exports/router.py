from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from app.auth import viewer
from app.errors import problem_responses
from app.exports.service import stream
from app.principal import Principal

router = APIRouter(prefix="/v1/export", tags=["export"])

MEDIA = {"ndjson": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


@router.get(
    "",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "NDJSON in the import format, or CSV of claims",
            "content": {"application/x-ndjson": {}, "text/csv": {}},
        },
        **problem_responses(401, 403, 422, 500),
    },
)
def export_all(
    principal: Annotated[Principal, Depends(viewer)],
    format: Annotated[Literal["ndjson", "csv"], Query()] = "ndjson",
) -> StreamingResponse:
    """Stream everything: `ndjson` is the import format (sources, actors, incidents, claims
    referencing each other by external id: re-importable into an empty database); `csv` is
    one row per claim with source, incident and actor names."""
    filename = f"claimdesk-export.{format}"
    return StreamingResponse(
        stream(format),
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
