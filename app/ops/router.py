"""Operations: liveness, readiness and metrics (no authentication, no secrets)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel
from sqlalchemy import text

from app.db import get_engine, schema_status
from app.errors import problem_responses
from app.middleware import METRICS

router = APIRouter(tags=["ops"])


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]
    schema_revision: str | None
    schema_head: str | None


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


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses=problem_responses(500),
)
def metrics() -> str:
    """Prometheus text exposition of request counts and latencies."""
    return METRICS.render()
