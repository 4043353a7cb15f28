"""The FastAPI application: ``uvicorn app.main:app`` or ``claimdesk serve``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.actors.router import router as actors_router
from app.assessment.router import router as assessment_router
from app.board.router import mount_board
from app.claims.router import router as claims_router
from app.config import ConfigError, Settings, get_settings
from app.db import SchemaOutOfDate, check_schema, get_engine, session_scope
from app.errors import PROBLEM_MEDIA_TYPE, ErrorBoundary, Problem, install_error_handlers
from app.events.router import router as events_router
from app.exports.router import router as exports_router
from app.extract.router import router as extract_router
from app.fastlane import GZIP_LEVEL, FastLane
from app.headers import SecurityHeadersMiddleware
from app.http import reject_nul_bytes
from app.idempotency.middleware import IDEMPOTENCY_KEY_PATTERN, IdempotencyMiddleware
from app.imports.router import router as imports_router
from app.incidents.router import router as incidents_router
from app.keys.router import router as keys_router
from app.keys.service import USAGE, bootstrap_admin
from app.limits import BodyLimitMiddleware
from app.links.router import router as links_router
from app.logging import configure_logging
from app.middleware import RequestContextMiddleware
from app.ops.docs import install_docs
from app.ops.router import router as ops_router
from app.quantities.router import router as quantities_router
from app.reliability.router import router as reliability_router
from app.revisions.router import router as revisions_router
from app.sources.router import router as sources_router
from app.topics.router import router as topics_router
from app.validation import without_null
from app.webhooks.router import router as webhooks_router
from app.webhooks.service import DeliveryLoop

log = logging.getLogger("claimdesk")

DESCRIPTION = """
Claimdesk records **who said what, and when** about news incidents, keeps competing claims and
competing attributions of responsibility side by side with their source links, and computes an
explainable confidence for each competing version.

Authenticate with `Authorization: Bearer <key>` (create one with
`claimdesk keys create --name NAME --role viewer|editor|admin`). Errors are RFC 9457
`application/problem+json`. Lists use cursor pagination (`limit`, `cursor` → `items`,
`next_cursor`).
"""


class SchemaGuard:
    """Refuses the ASGI start-up on a stale schema with one clear line (uvicorn prints it and
    exits) instead of a traceback: ``run `claimdesk db upgrade```."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                check_schema(get_engine())
            except (SchemaOutOfDate, ConfigError) as exc:
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                raise  # as Starlette does: servers stop quietly once startup has failed
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return message
            return await receive()

        await self.app(scope, replay, send)


def startup_checks() -> None:
    """Bootstrap the operator's admin key (the schema was checked by SchemaGuard)."""
    settings = get_settings()
    if settings.admin_key is not None:
        with session_scope() as session:
            if bootstrap_admin(session, settings.admin_key.get_secret_value()):
                log.info("bootstrapped the admin key from CLAIMDESK_ADMIN_KEY")


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    configure_logging(settings.log_level)
    startup_checks()
    loop = DeliveryLoop() if settings.deliver_webhooks else None
    if loop is not None:
        loop.start()
    try:
        yield
    finally:
        if loop is not None:
            loop.stop()
        USAGE.drain()  # the keys' last use queued by the last requests is written


def operation_id(route: APIRoute) -> str:
    return route.name


def create_app() -> FastAPI:
    app = FastAPI(
        title="Claimdesk",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(reject_nul_bytes)],
        docs_url=None,  # served from packaged assets by install_docs, never a CDN
        redoc_url=None,
        generate_unique_id_function=operation_id,
        openapi_tags=[
            {"name": "incidents", "description": "Events that claims are about"},
            {"name": "claims", "description": "Who said what, and when"},
            {
                "name": "assessment",
                "description": "Conflicts, attributions and calibrated confidence per incident",
            },
            {"name": "sources", "description": "Who makes statements"},
            {"name": "actors", "description": "Who can be held responsible"},
            {"name": "topics", "description": "What claims are about"},
            {"name": "quantities", "description": "Reading counts written in words"},
            {"name": "history", "description": "Revisions and tombstones: who changed what"},
            {"name": "events", "description": "The change feed for polling clients"},
            {"name": "extract", "description": "Suggested claims read from an article"},
            {"name": "import", "description": "Bulk NDJSON import"},
            {"name": "export", "description": "Everything, as NDJSON or CSV"},
            {"name": "links", "description": "Checking and archiving source links (admin)"},
            {"name": "keys", "description": "API keys (admin)"},
            {"name": "webhooks", "description": "Signed push delivery of the change feed (admin)"},
            {"name": "ops", "description": "Health, readiness and metrics"},
        ],
    )
    install_error_handlers(app)
    try:
        settings = get_settings()
    except ConfigError:  # reported in one line when the server starts (SchemaGuard)
        settings = Settings.model_construct()
    app.add_middleware(FastLane)  # innermost: the hottest reads without FastAPI (app/fastlane)
    app.add_middleware(IdempotencyMiddleware)  # authenticates before it buffers a body
    app.add_middleware(BodyLimitMiddleware)  # 413 before anything is buffered
    app.add_middleware(ErrorBoundary)  # 503/500/413 problems for what escapes the app
    app.add_middleware(SecurityHeadersMiddleware)  # nosniff, Cache-Control
    # gzip outside the idempotency store (replays are stored uncompressed) and inside the
    # request-context middleware (the access log sees the real status)
    # the fast lane's level (zlib's default): a 56 KB view in 1.0 ms instead of 2.4 ms at 9
    app.add_middleware(
        GZipMiddleware, minimum_size=settings.gzip_min_bytes, compresslevel=GZIP_LEVEL
    )
    if settings.cors_origin_list:
        origins = settings.cors_origin_list
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_credentials="*" not in origins,
            allow_methods=["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "Idempotency-Key",
                "X-Request-ID",
            ],
            expose_headers=[
                "ETag",
                "Location",
                "X-Request-ID",
                "Idempotent-Replayed",
                "Retry-After",
            ],
            max_age=600,
        )
    app.add_middleware(RequestContextMiddleware)  # every response has a request id
    app.add_middleware(SchemaGuard)  # outermost: refuses to start on a stale schema
    for router in (
        incidents_router,
        claims_router,
        assessment_router,
        sources_router,
        actors_router,
        topics_router,
        quantities_router,
        reliability_router,
        revisions_router,
        events_router,
        imports_router,
        exports_router,
        extract_router,
        webhooks_router,
        links_router,
        keys_router,
        ops_router,
    ):
        app.include_router(router)
    mount_board(app)  # the incident board at /board (static files, after the API routes)
    install_docs(app)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    return app


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": IDEMPOTENCY_KEY_PATTERN,
        "examples": ["create-presstv-2020-03-11"],
    },
    "description": "Makes the POST safe to retry: a retry with the same key and body returns "
    "the first response (with `Idempotent-Replayed: true`); the same key with another body is "
    "a 422. Scoped per API key; remembered for CLAIMDESK_IDEMPOTENCY_TTL_HOURS (24 h).",
}
ETAG_HEADER = {
    "description": "The resource's version as a strong entity tag; send it back in If-Match",
    "schema": {"type": "string", "examples": ['"3"']},
}


def _problem_response(spec: dict[str, Any], code: str) -> dict[str, Any]:
    spec["components"]["schemas"].setdefault("Problem", Problem.model_json_schema())
    return {
        "description": HTTPStatus(int(code)).phrase,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


_ERROR_SCHEMAS = [
    {"$ref": "#/components/schemas/Problem"},
    {"$ref": "#/components/schemas/HTTPValidationError"},
]


def _schema_under_declared_media_types(spec: dict[str, Any], code: str, response: Any) -> None:
    """Errors are ``application/problem+json`` and ClaimReview is ``application/ld+json``:
    FastAPI files a response model's schema under ``application/json`` even when the route
    declares another media type, so generated clients parsed those bodies to nothing. Move the
    schema to the declared type; every 4xx/5xx is described by the Problem schema (FastAPI's
    default HTTPValidationError is never what the API sends)."""
    content = response.get("content")
    if not content:
        return
    schema = content.get("application/json", {}).get("schema")
    if (code[0] in "45" or code == "default") and (schema is None or schema in _ERROR_SCHEMAS):
        spec["components"]["schemas"].setdefault("Problem", Problem.model_json_schema())
        response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _ERROR_SCHEMAS[0]}}
        return
    declared = [m for m, v in content.items() if m != "application/json" and not v.get("schema")]
    if declared and schema is not None:
        response["content"] = {m: {**content[m], "schema": schema} for m in declared}


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus what middleware adds: Idempotency-Key and ETag headers; error
    responses as problem+json."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )

    for methods in spec["paths"].values():
        for op in methods.values():
            for code, response in op["responses"].items():
                _schema_under_declared_media_types(spec, code, response)
    for name in ("HTTPValidationError", "ValidationError"):
        spec["components"]["schemas"].pop(name, None)
    for name, schema in spec["components"]["schemas"].items():
        if "__" in name:  # two models share a class name: titles must differ for generators
            parts = name.split("__")
            schema["title"] = parts[-3].capitalize() + parts[-1] if len(parts) >= 3 else name
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            for parameter in op.get("parameters", []):
                # a parameter is absent or a value, never null
                without_null(parameter.get("schema", {}))
            if path.startswith("/v1/"):
                # what any route may answer: rate limits and a busy or unreachable database
                for code in ("429", "503"):
                    op["responses"].setdefault(code, _problem_response(spec, code))
                if method in ("post", "put", "patch"):
                    op["responses"].setdefault("413", _problem_response(spec, "413"))
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                # a body that is not JSON at all is a 400 (malformed-json) on every route
                op["responses"].setdefault("400", _problem_response(spec, "400"))
            if method == "post":
                op.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
                # what the Idempotency-Key middleware may answer (bad key, in progress, reused)
                for code in ("400", "409", "422"):
                    op["responses"].setdefault(code, _problem_response(spec, code))
            names = {p["name"] for p in op.get("parameters", [])}
            versioned = "If-Match" in names or (method == "get" and path.endswith("_id}"))
            if versioned and not path.startswith("/v1/keys"):
                for code, response in op["responses"].items():
                    if code.startswith("2") and code != "204":
                        response.setdefault("headers", {})["ETag"] = ETAG_HEADER
    app.openapi_schema = spec
    return spec


app = create_app()
