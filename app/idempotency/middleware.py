"""``Idempotency-Key`` on POST: a retry with the same key and body gets the first response
(status, body, ``Idempotent-Replayed: true``); the same key with another body is a 422; keys
are scoped per API key (the hash of the presented credential) and expire after
``CLAIMDESK_IDEMPOTENCY_TTL_HOURS``. Two concurrent requests with one key create one row: the
second waits for the first and replays its response.

A route whose response carries a secret (a new API key) names the secret's members in
``request.state.idempotency_redact``: the stored copy has them set to ``null``, so the secret
is never written to the database and a replay says that it was shown once."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time

import orjson
from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_BASE, PROBLEM_MEDIA_TYPE, Unauthorized
from app.idempotency import service
from app.keys.service import authenticate

HEADER = b"idempotency-key"
MAX_KEY_LENGTH = 255
IDEMPOTENCY_KEY_PATTERN = "^[!-~]([ -~]*[!-~])?$"  # printable ASCII, no outer spaces
_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
WAIT_SECONDS = 10.0
KEPT_HEADERS = {"content-type", "location", "etag"}
# Responses that say nothing about the request's effect are not remembered.
NOT_STORED = {401, 403, 429}
REDACT_STATE = "idempotency_redact"


def _redact(body: bytes, members: object) -> bytes:
    """The body with the named top-level JSON members set to null (secrets are never stored)."""
    if not members:
        return body
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return b""
    if not isinstance(document, dict):
        return b""
    for name in members if isinstance(members, (list, tuple)) else ():
        if name in document:
            document[name] = None
    return orjson.dumps(document)


async def _problem(send: Send, status: int, title: str, detail: str, slug: str) -> None:
    body = orjson.dumps(
        {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _authenticated(authorization: bytes | None) -> bool:
    """Whether the request carries a valid API key (checked before its body is read)."""
    if authorization is None:
        return False
    scheme, _, credential = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return False
    try:
        await to_thread.run_sync(authenticate, credential.strip())
    except Unauthorized:
        return False
    return True


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if len(key) > MAX_KEY_LENGTH or not _KEY.match(key):
            await _problem(
                send,
                400,
                "Bad request",
                f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
                "bad-request",
            )
            return
        authorization = headers.get(b"authorization")
        if not await _authenticated(authorization):
            # Nothing is buffered or stored for a request that will be refused: the app
            # answers the 401 (or 429) as the body streams past.
            await self.app(scope, receive, send)
            return
        owner = hashlib.sha256(authorization or b"").hexdigest()
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        path = scope["path"] + (
            "?" + scope["query_string"].decode() if scope["query_string"] else ""
        )
        digest = hashlib.sha256(b"POST " + path.encode() + b"\n" + body).hexdigest()

        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            outcome, stored = await to_thread.run_sync(
                service.begin, owner, key, digest, "POST", path
            )
            if outcome != "in_progress" or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        if outcome == "mismatch":
            await _problem(
                send,
                422,
                "Idempotency-Key reused",
                "this Idempotency-Key was used with a different request; use a new key",
                "idempotency-key-reused",
            )
            return
        if outcome == "in_progress":
            await _problem(
                send,
                409,
                "Request in progress",
                "a request with this Idempotency-Key is still being processed; retry later",
                "idempotency-in-progress",
            )
            return
        if outcome == "replay" and stored is not None:
            await send(
                {
                    "type": "http.response.start",
                    "status": stored.status_code,
                    "headers": [(k.encode(), v.encode()) for k, v in stored.headers]
                    + [(b"idempotent-replayed", b"true")],
                }
            )
            await send({"type": "http.response.body", "body": stored.body})
            return

        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 500
        kept: list[list[str]] = []
        out: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.decode("latin-1").lower() in KEPT_HEADERS:
                        kept.append([name.decode("latin-1"), value.decode("latin-1")])
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await to_thread.run_sync(service.release, owner, key)
            raise
        if status >= 500 or status in NOT_STORED:
            await to_thread.run_sync(service.release, owner, key)
        else:
            stored_body = _redact(b"".join(out), scope.get("state", {}).get(REDACT_STATE))
            await to_thread.run_sync(service.finish, owner, key, status, kept, stored_body)
