"""Typed domain errors and the one handler that turns every error into problem+json.

Every error a client sees is an RFC 9457 ``application/problem+json`` document with ``type``,
``title``, ``status``, ``detail`` and, for invalid input, ``errors``: one entry per invalid
field with a JSON ``pointer`` into the request body (or the ``parameter`` name for query, path
and header parameters). Unexpected exceptions become a 500 problem carrying only the request id.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import (
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.db import BUSY, HEALTH, RETRY_AFTER, UNAVAILABLE, unavailability

log = logging.getLogger("claimdesk.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://claimdesk.dev/problems/"


class FieldError(BaseModel):
    pointer: str | None = Field(
        default=None, description="JSON pointer to the invalid member of the request body"
    )
    parameter: str | None = Field(
        default=None, description="Name of the invalid query, path or header parameter"
    )
    line: int | None = Field(default=None, description="Line of an NDJSON import (1-based)")
    detail: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(examples=[PROBLEM_BASE + "validation"])
    title: str = Field(examples=["Invalid request"])
    status: int = Field(examples=[422])
    detail: str | None = Field(default=None, examples=["confidence: must be between 0 and 1"])
    instance: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class ClaimdeskError(Exception):
    """Base of every error the service raises on purpose."""

    status: int = 500
    slug: str = "internal"
    title: str = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = headers or {}


class BadRequest(ClaimdeskError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(ClaimdeskError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(ClaimdeskError):
    status, slug, title = 403, "forbidden", "Not allowed for this API key's role"


class NotFound(ClaimdeskError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ClaimdeskError):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class PreconditionFailed(ClaimdeskError):
    status, slug, title = 412, "precondition-failed", "The resource has changed (stale If-Match)"


class ValidationFailed(ClaimdeskError):
    status, slug, title = 422, "validation", "Invalid request"


class PreconditionRequired(ClaimdeskError):
    status, slug, title = 428, "precondition-required", "If-Match is required"


HTTP_SLUGS = {413: "payload-too-large"}


class TooManyRequests(ClaimdeskError):
    status, slug, title = 429, "rate-limited", "Too many requests"


UNAVAILABLE_TITLE = "Service unavailable"
UNAVAILABLE_DETAIL = {
    BUSY: "the database is busy with other writes; retry after the Retry-After seconds",
    UNAVAILABLE: "the database cannot be reached; retry after the Retry-After seconds",
}


def problem_body(
    status: int,
    title: str,
    detail: str | None,
    instance: str,
    request_id: str | None,
    *,
    slug: str | None = None,
    errors: list[FieldError] | None = None,
) -> bytes:
    """The problem+json document, the one place it is written: ``type`` is Claimdesk's
    problem ``slug`` when it has one, else ``about:blank``."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": request_id,
    }
    if errors:
        body["errors"] = [e.model_dump(exclude_none=True) for e in errors]
    return orjson.dumps(body)


def _unavailable_body(kind: str, instance: str, request_id: str | None) -> bytes:
    return problem_body(
        503,
        UNAVAILABLE_TITLE,
        UNAVAILABLE_DETAIL[kind],
        instance,
        request_id,
        slug="database-" + kind,
    )


def field_error(pointer: str, detail: str) -> FieldError:
    return FieldError(pointer=pointer, detail=detail)


def invalid(pointer: str, detail: str) -> ValidationFailed:
    """A 422 naming one field of the request body."""
    return ValidationFailed(
        f"{pointer.lstrip('/') or 'body'}: {detail}", errors=[field_error(pointer, detail)]
    )


def problem_response(
    status: int,
    title: str,
    detail: str | None,
    request: Request,
    *,
    slug: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = problem_body(
        status,
        title,
        detail,
        request.url.path,
        getattr(request.state, "request_id", None),
        slug=slug,
        errors=errors,
    )
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _pointer(loc: Sequence[int | str]) -> tuple[str | None, str | None]:
    """Map a pydantic error location to (body pointer, parameter name)."""
    if not loc:
        return "", None
    where, rest = loc[0], list(loc[1:])
    # Discriminated unions add the tag name to the location: drop it from the pointer.
    rest = without_union_tags(rest)
    if where == "body":
        if not rest:
            return "", None  # the whole document
        return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in rest), None
    return None, ".".join(str(p) for p in rest) or str(where)


_UNION_TAGS: set[str] = set()


def register_union_tags(tags: Iterable[str]) -> None:
    """Name the tags of a discriminated union in a request body (a domain's value kinds):
    pydantic puts them in an error's location, and pointers leave them out."""
    _UNION_TAGS.update(tags)


def without_union_tags(loc: Iterable[int | str]) -> list[int | str]:
    """An error location without the union tags pydantic adds to it."""
    return [p for p in loc if not (isinstance(p, str) and p in _UNION_TAGS)]


def _validation_errors(exc: RequestValidationError) -> tuple[int, str, str, list[FieldError]]:
    errors: list[FieldError] = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            return (
                400,
                "malformed-json",
                "Malformed JSON",
                [
                    FieldError(
                        pointer="",
                        detail=f"request body is not valid JSON: {ctx.get('error', 'parse error')}",
                    )
                ],
            )
        pointer, parameter = _pointer(err.get("loc", ()))
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "union_tag_invalid" and pointer is not None:
            pointer += "/kind"  # every union in the API is tagged by its "kind" member
            msg = "must be one of " + str((err.get("ctx") or {}).get("expected_tags", ""))
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        errors.append(FieldError(pointer=pointer, parameter=parameter, detail=msg))
    return 422, "validation", "Invalid request", errors


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method the API serves on ``path`` (routers answer a 405 with only their own)."""
    methods: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        pattern = re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            methods.update(m.upper() for m in operations)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


async def _domain_problem(request: Request, exc: ClaimdeskError) -> Response:
    return problem_response(
        exc.status,
        exc.title,
        exc.detail,
        request,
        slug=exc.slug,
        errors=exc.errors,
        headers=exc.headers,
    )


async def _validation_problem(request: Request, exc: RequestValidationError) -> Response:
    status, slug, title, errors = _validation_errors(exc)
    names = ", ".join(
        (e.pointer.lstrip("/") or "body") if e.pointer is not None else (e.parameter or "?")
        for e in errors
    )
    detail = errors[0].detail if len(errors) == 1 and status == 400 else f"invalid: {names}"
    return problem_response(status, title, detail, request, slug=slug, errors=errors)


async def _http_problem(request: Request, exc: StarletteHTTPException) -> Response:
    title = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != title else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
    return problem_response(
        exc.status_code,
        title,
        detail,
        request,
        slug=HTTP_SLUGS.get(exc.status_code),
        headers=headers,
    )


async def _integrity_problem(request: Request, exc: IntegrityError) -> Response:
    # Services turn the constraint violations they expect into precise problems; one that
    # surfaces elsewhere (a flush inside a query) is still the client's conflict, not a 500.
    log.info("integrity error", extra={"error": str(exc.orig)[:300]})
    return problem_response(
        409,
        Conflict.title,
        "the change conflicts with existing data (a duplicate external_id, or a reference "
        "to something that no longer exists)",
        request,
        slug=Conflict.slug,
    )


async def _database_problem(request: Request, exc: Exception) -> Response:
    kind = unavailability(exc)
    if kind is None:
        return await _unexpected_problem(request, exc)
    HEALTH.report(kind, exc)
    return Response(
        _unavailable_body(kind, request.url.path, getattr(request.state, "request_id", None)),
        status_code=503,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"Retry-After": str(RETRY_AFTER[kind])},
    )


async def _unexpected_problem(request: Request, exc: Exception) -> Response:
    log.exception(
        "unhandled error", extra={"request_id": getattr(request.state, "request_id", None)}
    )
    return problem_response(
        500,
        "Internal server error",
        "An unexpected error occurred; quote the request id when reporting it.",
        request,
        slug="internal",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers. They are module-level functions, not closures, so each request
    calls them afresh (mutation testing can change them after the app is built)."""
    app.exception_handler(ClaimdeskError)(_domain_problem)
    app.exception_handler(RequestValidationError)(_validation_problem)
    app.exception_handler(StarletteHTTPException)(_http_problem)
    app.exception_handler(IntegrityError)(_integrity_problem)
    for cls in (OperationalError, InterfaceError, DisconnectionError, SATimeoutError):
        app.exception_handler(cls)(_database_problem)
    app.exception_handler(Exception)(_unexpected_problem)


class ErrorBoundary:
    """Answers every exception that escapes the application (or its middleware, such as the
    Idempotency-Key store) itself, without re-raising it to the server: a database that is
    busy or down is a 503 problem with ``Retry-After``, anything else a 500 problem; the
    connection stays open for the client's next request. Failures after the response was
    complete (a clean-up write) are logged, not raised."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = finished = False

        async def tracking_send(message: Message) -> None:
            nonlocal started, finished
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finished = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            kind = unavailability(exc)
            if kind is not None:
                HEALTH.report(kind, exc)
            if finished:  # the client has its answer; a clean-up failed (one line, no trace)
                if kind is None:
                    log.warning(
                        "error after the response was sent",
                        extra={"error": f"{type(exc).__name__}: {exc}"[:300]},
                    )
                return
            if started:
                raise
            request_id = scope.get("state", {}).get("request_id")
            headers: list[tuple[bytes, bytes]] = []
            if isinstance(exc, StarletteHTTPException):  # a middleware's refusal (413)
                status = exc.status_code
                body = problem_body(
                    status,
                    HTTPStatus(status).phrase,
                    exc.detail,
                    scope["path"],
                    request_id,
                    slug=HTTP_SLUGS.get(status),
                )
            elif kind is not None:
                status, body = 503, _unavailable_body(kind, scope["path"], request_id)
                headers = [(b"retry-after", str(RETRY_AFTER[kind]).encode())]
            else:
                log.exception("unhandled error", extra={"request_id": request_id})
                status = 500
                body = problem_body(
                    500,
                    "Internal server error",
                    "An unexpected error occurred; quote the request id when reporting it.",
                    scope["path"],
                    request_id,
                    slug="internal",
                )
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()), *headers],
                }
            )
            await send({"type": "http.response.body", "body": body})


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {
        "model": Problem,
        "description": HTTPStatus(code).phrase,
        "content": {PROBLEM_MEDIA_TYPE: {}},
    }
    for code in (400, 401, 403, 404, 409, 412, 413, 422, 428, 429, 500, 503)
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given problem status codes."""
    return {c: PROBLEM_RESPONSES[c] for c in codes}
