"""Request ids, access logs and Prometheus-style request metrics (pure ASGI, no buffering)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections import defaultdict
from threading import Lock

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("claimdesk.access")

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class Metrics:
    """Counters and a latency histogram kept in-process (one per worker)."""

    BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

    def __init__(self) -> None:
        self.lock = Lock()
        self.requests: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(self.BUCKETS) + 1))
        self.sums: dict[str, float] = defaultdict(float)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self.lock:
            self.requests[(method, route, status)] += 1
            counts = self.buckets[route]
            for i, bound in enumerate(self.BUCKETS):
                if seconds <= bound:
                    counts[i] += 1
            counts[-1] += 1
            self.sums[route] += seconds

    def render(self) -> str:
        lines = [
            "# HELP claimdesk_requests_total HTTP requests by method, route and status.",
            "# TYPE claimdesk_requests_total counter",
        ]
        with self.lock:
            for (method, route, status), n in sorted(self.requests.items()):
                lines.append(
                    f'claimdesk_requests_total{{method="{method}",route="{route}",'
                    f'status="{status}"}} {n}'
                )
            lines += [
                "# HELP claimdesk_request_seconds Request latency by route.",
                "# TYPE claimdesk_request_seconds histogram",
            ]
            for route, counts in sorted(self.buckets.items()):
                for bound, n in zip(self.BUCKETS, counts, strict=False):
                    lines.append(
                        f'claimdesk_request_seconds_bucket{{route="{route}",le="{bound}"}} {n}'
                    )
                lines.append(
                    f'claimdesk_request_seconds_bucket{{route="{route}",le="+Inf"}} {counts[-1]}'
                )
                lines.append(
                    f'claimdesk_request_seconds_sum{{route="{route}"}} {self.sums[route]:.6f}'
                )
                lines.append(f'claimdesk_request_seconds_count{{route="{route}"}} {counts[-1]}')
        return "\n".join(lines) + "\n"


METRICS = Metrics()


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-ID``, echoed or generated) and logs it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            METRICS.observe(scope["method"], path, status, elapsed)
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": scope["path"],
                    "route": path,
                    "status": status,
                    "ms": round(elapsed * 1000, 2),
                },
            )
