"""The fast lane: the hottest reads (one incident, its ready-made views, its timeline) answered
by plain functions on one database connection, without FastAPI's dependency resolution and
its thread-pool hops, ORM objects or response models.

Only the common case takes it: a ``GET`` of a registered path, with only the query parameters
that read declares, a key that authenticates (or an anonymous read where allowed), and a read
that finds what it looks for. Anything else (no key, a bad or revoked key, over the rate limit,
an unknown or repeated parameter, a NUL, an incident that does not exist, a cold view, …) falls
through to the FastAPI route, which answers it exactly as before: the routes stay the reference
and the documentation (``/openapi.json`` does not change), and ``tests/test_fastlane.py``
checks that both give the same answer. The lane sits inside every other middleware (request
id, access log and metrics, CORS, gzip, security headers, the 503 boundary), so its answers
carry the same headers and are logged and counted under the route's template.

On SQLite a read runs on the event loop (a few indexed statements on a local file: cheaper
than a thread hop), on a connection the loop's thread keeps (:class:`_Held`); on PostgreSQL
in one worker thread, on a pooled connection (it waits for the network).
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from anyio import to_thread
from sqlalchemy import Connection, Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth import quick_principal, spend_quick
from app.config import get_settings
from app.db import get_engine
from app.lru import SizedLRU
from app.principal import Principal


@dataclass(frozen=True)
class Request:
    """What a fast read sees: the path parameters, the query parameters (each at most once),
    the ``If-None-Match`` header and the principal."""

    path: dict[str, str]
    query: dict[str, str]
    if_none_match: str | None
    principal: Principal


@dataclass
class Answer:
    body: bytes
    status: int = 200
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    media_type: bytes = b"application/json"
    #: names these exact bytes (a stored view and its versions): their gzip is kept in memory
    #: and sent again to clients that accept it, instead of compressing them on every read
    gzip_key: Hashable | None = None


class GzipCache:
    """Compressed bodies by their ``gzip_key``, least recently used out past ``max_bytes``."""

    def __init__(self, max_bytes: int = 32 * 1024 * 1024) -> None:
        self._zipped: SizedLRU[bytes] = SizedLRU(max_bytes, len)

    @property
    def size(self) -> int:
        return self._zipped.size

    def get(self, key: Hashable, body: bytes) -> bytes:
        zipped = self._zipped.get(key)
        if zipped is None:
            zipped = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
            self._zipped.put(key, zipped)
        return zipped


#: gzip level of the lane's cached bodies and of app.main's GZipMiddleware (zlib's default)
GZIP_LEVEL = 6
GZIPPED = GzipCache()


#: A fast read: the answer, or None to let the route answer.
Read = Callable[[Connection, Request], Answer | None]


@dataclass(frozen=True)
class _Route:
    path: str  # the route's template: the metrics label (app.metrics.route_label)
    pattern: re.Pattern[str]
    query: frozenset[str]
    read: Read


_ROUTES: list[_Route] = []
_PARAM = re.compile(r"\{(\w+)\}")


def register(template: str, query: Sequence[str], read: Read) -> None:
    """Answer ``GET template`` (a route's path, e.g. ``/v1/incidents/{incident_id}``) with
    ``read`` when the request has no query parameter but ``query``."""
    pattern = re.compile("^" + _PARAM.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", template) + "$")
    _ROUTES.append(_Route(template, pattern, frozenset(query), read))


def _match(path: str) -> tuple[_Route, dict[str, str]] | None:
    for route in _ROUTES:
        found = route.pattern.match(path)
        if found is not None:
            return route, found.groupdict()
    return None


def _query(raw: bytes, allowed: frozenset[str]) -> dict[str, str] | None:
    if not raw:
        return {}
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    query = dict(pairs)
    if len(query) != len(pairs) or not query.keys() <= allowed:
        return None
    return query


def _accepts_gzip(scope: Scope) -> bool:
    """As Starlette's GZip middleware decides (``gzip`` anywhere in Accept-Encoding)."""
    return any(n == b"accept-encoding" and b"gzip" in v for n, v in scope["headers"])


class _Template:
    """What ``scope["route"]`` holds for the metrics and the access log: the template."""

    def __init__(self, path: str) -> None:
        self.path = path


class FastLane:
    """The middleware (innermost: ``app.main`` adds it first)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = None
        if scope["type"] == "http" and scope["method"] == "GET":
            answer = await self._answer(scope)
        if answer is None:
            await self.app(scope, receive, send)
            return
        body = answer.body
        headers = [(b"content-type", answer.media_type), *answer.headers]
        if (
            answer.gzip_key is not None
            and len(body) >= get_settings().gzip_min_bytes
            and _accepts_gzip(scope)
        ):  # what the GZip middleware would send (it passes an encoded body through as is)
            body = GZIPPED.get(answer.gzip_key, body)
            headers += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
        headers.append((b"content-length", str(len(body)).encode()))
        if answer.status == 304:
            headers = answer.headers
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope: Scope) -> Answer | None:
        path: str = scope["path"]
        if not path.startswith("/v1/") or "\x00" in path:
            return None
        matched = _match(path)
        if matched is None:
            return None
        route, params = matched
        query = _query(scope["query_string"], route.query)
        if query is None or any("\x00" in v for v in query.values()):
            return None
        authorization = if_none_match = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                if authorization is not None:
                    return None
                authorization = value.decode("latin-1")
            elif name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        peer = scope.get("client")
        client = peer[0] if peer else "unknown"
        principal = quick_principal(authorization, client)
        if principal is None:
            return None
        request = Request(params, query, if_none_match, principal)
        engine = get_engine()
        held = _held(engine) if engine.dialect.name == "sqlite" else None
        if held is not None:
            answer = held.run(route.read, request)
        else:
            answer = await to_thread.run_sync(_run, engine, route.read, request)
        if answer is not None:
            spend_quick(principal, client)
            scope["route"] = _Template(route.path)
            scope.setdefault("state", {})["principal"] = principal
        return answer


def _run(engine: Engine, read: Read, request: Request) -> Answer | None:
    with engine.connect() as conn:
        return read(conn, request)


class _Held:
    """The SQLite connection an event loop's thread keeps for its fast reads: taken from the
    pool once, so a read on the loop never waits for the pool (whose connections may all be
    held by requests that need the loop to finish). Each read is its own transaction (ended
    after it: an idle connection holds no lock and no WAL snapshot)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.conn = engine.connect()

    def run(self, read: Read, request: Request) -> Answer | None:
        try:
            return read(self.conn, request)
        except BaseException:
            _LOCAL.held = None
            self.close()
            raise
        finally:
            if not self.conn.closed:
                self.conn.rollback()

    def close(self) -> None:
        if not self.conn.closed:
            self.conn.close()

    def __del__(self) -> None:  # the thread ended, or the engine was replaced
        self.close()


_LOCAL = threading.local()


def _held(engine: Engine) -> _Held | None:
    """This thread's connection to ``engine``, or None to read in a worker thread (when the
    pool has no connection to spare for it)."""
    held: _Held | None = getattr(_LOCAL, "held", None)
    if held is not None and held.engine is engine and not held.conn.closed:
        return held
    if held is not None:
        _LOCAL.held = None
        held.close()
    pool: Any = engine.pool
    size = getattr(pool, "size", lambda: 5)() + max(0, getattr(pool, "_max_overflow", 0))
    if getattr(pool, "checkedout", lambda: 0)() >= size - 2:
        return None
    held = _LOCAL.held = _Held(engine)
    return held
