"""Request limits: body size (413) and request rates (429), both problem+json.

- ``BodyLimitMiddleware`` refuses a body larger than ``CLAIMDESK_MAX_BODY_BYTES`` (1 MiB) —
  ``POST /v1/import`` has its own ``CLAIMDESK_MAX_IMPORT_BYTES`` (50 MiB) — from its
  Content-Length before reading anything, and counts a chunked body as it streams in.
- ``RateLimiter``: token buckets per API key (``CLAIMDESK_RATE_LIMIT_PER_KEY`` requests a
  minute) and per client address for failed authentications
  (``CLAIMDESK_RATE_LIMIT_FAILED_AUTH`` a minute); over the limit is a 429 with
  ``Retry-After``. ``CLAIMDESK_RATE_LIMIT=false`` turns both off. Buckets live in the process:
  with N workers a client gets up to N times the limit.
"""

from __future__ import annotations

import math
import threading
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings
from app.errors import TooManyRequests

IMPORT_PATH = "/v1/import"


def body_limit(path: str) -> int:
    settings = get_settings()
    return settings.max_import_bytes if path.rstrip("/") == IMPORT_PATH else settings.max_body_bytes


def too_large(limit: int) -> HTTPException:
    return HTTPException(
        413,
        detail=f"the request body is larger than {limit} bytes"
        + (
            " (CLAIMDESK_MAX_IMPORT_BYTES); split the import"
            if limit == get_settings().max_import_bytes
            else " (CLAIMDESK_MAX_BODY_BYTES)"
        ),
    )


class BodyLimitMiddleware:
    """413 for bodies over the limit, before they are buffered anywhere."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large(limit)  # answered by the ErrorBoundary, nothing read
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise too_large(limit)
            return message

        await self.app(scope, counting_receive, send)


class _Bucket:
    __slots__ = ("stamp", "tokens")

    def __init__(self, tokens: float, stamp: float) -> None:
        self.tokens, self.stamp = tokens, stamp


class RateLimiter:
    """Token buckets: ``capacity`` requests, refilled at ``capacity`` per minute."""

    MAX_BUCKETS = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def _level(self, key: str, capacity: int, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.MAX_BUCKETS:
                self._buckets.clear()  # bounded memory; forgetting only forgives
            bucket = self._buckets[key] = _Bucket(float(capacity), now)
        else:
            rate = capacity / 60.0
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.stamp) * rate)
            bucket.stamp = now
        return bucket

    def _retry_after(self, bucket: _Bucket, capacity: int) -> int:
        return max(1, math.ceil((1 - bucket.tokens) / (capacity / 60.0)))

    def check(self, key: str, capacity: int) -> int | None:
        """Seconds to wait if ``key`` has no request left, else None (without spending)."""
        with self._lock:
            bucket = self._level(key, capacity, time.monotonic())
            return None if bucket.tokens >= 1 else self._retry_after(bucket, capacity)

    def spend(self, key: str, capacity: int) -> int | None:
        """Spend one request; the seconds to wait if there was none left."""
        with self._lock:
            bucket = self._level(key, capacity, time.monotonic())
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return self._retry_after(bucket, capacity)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


LIMITER = RateLimiter()


def _refuse(wait: int, what: str) -> TooManyRequests:
    return TooManyRequests(f"{what}; retry in {wait} s", headers={"Retry-After": str(wait)})


def _failed_auth_wait(client: str) -> int | None:
    settings = get_settings()
    if settings.rate_limit and settings.rate_limit_failed_auth:
        return LIMITER.check("fail:" + client, settings.rate_limit_failed_auth)
    return None


def check_failed_auth(client: str) -> None:
    """Before authenticating: 429 if this address has used up its failed attempts."""
    wait = _failed_auth_wait(client)
    if wait is not None:
        raise _refuse(wait, "too many failed authentications from this address")


def failed_auth_exhausted(client: str) -> bool:
    """:func:`check_failed_auth`'s question without the 429 (the fast lane then lets the
    route answer)."""
    return _failed_auth_wait(client) is not None


def record_failed_auth(client: str) -> None:
    settings = get_settings()
    if settings.rate_limit and settings.rate_limit_failed_auth:
        LIMITER.spend("fail:" + client, settings.rate_limit_failed_auth)


def _request_budget(principal_key: str, spend: bool) -> int | None:
    """The seconds to wait if this key's (or address's) budget is used up, else None; with
    ``spend``, one request is taken from it."""
    settings = get_settings()
    if not (settings.rate_limit and settings.rate_limit_per_key):
        return None
    take = LIMITER.spend if spend else LIMITER.check
    return take("key:" + principal_key, settings.rate_limit_per_key)


def spend_request(principal_key: str) -> None:
    """After authenticating: one request from this key's (or address's) budget."""
    wait = _request_budget(principal_key, spend=True)
    if wait is not None:
        raise _refuse(wait, "this API key is over its request rate")


def request_budget_exhausted(principal_key: str) -> bool:
    """:func:`spend_request`'s question without spending or the 429 (the fast lane)."""
    return _request_budget(principal_key, spend=False) is not None


def record_request(principal_key: str) -> None:
    """One request from the budget, after :func:`request_budget_exhausted` said there was one
    (the fast lane answers without a 429)."""
    _request_budget(principal_key, spend=True)
