"""Prometheus metrics with ``prometheus-client``.

With several worker processes (``claimdesk serve --workers N``) each process writes its samples
to files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape of any worker aggregates all of them, so
the numbers are the service's, not one process's. ``claimdesk serve`` creates a fresh directory
when the operator has not set one (app/cli.py). Without the variable (tests, a plain
``uvicorn``), the process's own registry is served."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.routing import Match
from starlette.types import Scope

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "claimdesk_requests",
    "HTTP requests by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "claimdesk_request_seconds",
    "Request latency by route template.",
    ["route"],
    buckets=BUCKETS,
)


def observe(method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def route_label(scope: Scope, before: Scope | None = None) -> str:
    """The route template (``/v1/claims/{claim_id}``), never the raw path: bounded label values.
    Routes that FastAPI does not tag (``/openapi.json``, ``/docs-assets/…``) are found by
    matching the app's routes against ``before`` (the scope as it came in: a mount rewrites
    the paths in it); only a path no route serves is ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    original = before if before is not None else scope
    app = original.get("app") or scope.get("app")
    for candidate in getattr(getattr(app, "router", None), "routes", []):
        try:
            match, _ = candidate.matches(original)
        except Exception:  # a route that cannot judge this scope
            continue
        if match is Match.FULL:
            template = str(getattr(candidate, "path", "") or "")
            if candidate.__class__.__name__ == "Mount":
                return template + "/{path}"
            return template or "unmatched"
    return "unmatched"


def render() -> tuple[bytes, str]:
    """The exposition text of every process (multiprocess mode) or of this one."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE
    return generate_latest(REGISTRY), CONTENT_TYPE
