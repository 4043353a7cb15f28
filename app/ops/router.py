"""Operations: liveness, readiness and metrics (no authentication, no secrets)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlalchemy import text

from app import metrics
from app.config import get_settings
from app.db import get_engine, schema_status
from app.enums import Role
from app.errors import Forbidden, NotFound, Unauthorized, problem_responses
from app.keys.service import authenticate
from app.ops.schemas import Health, Readiness

router = APIRouter(tags=["ops"])


@router.get("/healthz")
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready"}},
)
def readyz() -> JSONResponse:
    """The database is reachable and its schema is at the migrations' head."""
    try:
        engine = get_engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current, head = schema_status(engine)
    except Exception:  # any failure means not ready
        body = Readiness(
            status="unavailable", database="unreachable", schema_revision=None, schema_head=None
        )
        return JSONResponse(body.model_dump(), status_code=503)
    ready = current == head
    body = Readiness(
        status="ok" if ready else "unavailable",
        database="ok",
        schema_revision=current,
        schema_head=head,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


def metrics_access(request: Request) -> None:
    """CLAIMDESK_METRICS: ``open`` (default), ``key`` (an admin API key), ``off`` (404)."""
    setting = get_settings().metrics
    if setting == "off":
        raise NotFound("metrics are off (CLAIMDESK_METRICS=off)")
    if setting == "key":
        credentials = request.headers.get("authorization", "")
        scheme, _, key = credentials.partition(" ")
        if scheme.lower() != "bearer" or not key:
            raise Unauthorized("metrics need an admin key: Authorization: Bearer <key>")
        principal = authenticate(key.strip())
        if principal.role.rank < Role.admin.rank:
            raise Forbidden("metrics need the admin role")


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **problem_responses(401, 403, 404, 500),
    },
    dependencies=[Depends(metrics_access)],
)
def get_metrics() -> Response:
    """Prometheus exposition of request counts and latencies by route template, summed over
    every worker process. Access: CLAIMDESK_METRICS (open, key = admin key, off)."""
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
