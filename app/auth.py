"""API keys: ``Authorization: Bearer <key>``; roles viewer < editor < admin.

Keys are high-entropy random strings; only their SHA-256 is stored, so a database leak does
not leak credentials. A presented key is hashed and looked up by its hash (an index hit), and
the stored hash is compared again in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update
from sqlmodel import Session, col

from app.config import get_settings
from app.db import get_engine, session_scope
from app.enums import Role
from app.errors import Forbidden, Unauthorized
from app.keys.models import ApiKey
from app.limits import check_failed_auth, record_failed_auth, spend_request
from app.types import utcnow

log = logging.getLogger("claimdesk.auth")

KEY_PREFIX = "cdk_"
LAST_USED_RESOLUTION = timedelta(seconds=60)


class UsageRecorder:
    """Writes ``api_key.last_used_at`` at most once per ``LAST_USED_RESOLUTION`` per key, from
    one background thread in its own short transaction: authenticating a request never writes
    and so never waits for (or takes) the write lock. A write that fails (the database is busy
    or down) is dropped and tried again on the key's next use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._written: dict[str, datetime] = {}
        self._pending: dict[str, datetime] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._future: Future[None] | None = None
        self._running = False

    def seen(self, key_id: str, stored: datetime | None) -> None:
        now = utcnow()
        with self._lock:
            last = self._written.get(key_id)
            if stored is not None and (last is None or stored > last):
                last = stored
            if key_id in self._pending or (last is not None and now - last <= LAST_USED_RESOLUTION):
                return
            self._pending[key_id] = now
            self._written[key_id] = now
            if not self._running:
                self._running = True
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix="last-used")
                self._future = self._executor.submit(self._flush)

    def _flush(self) -> None:
        while True:
            with self._lock:
                pending, self._pending = self._pending, {}
                if not pending:
                    self._running = False
                    return
            self._write(pending)

    def _write(self, pending: dict[str, datetime]) -> None:
        try:
            with session_scope() as session:  # its own unit of work, not the request's
                for key_id, when in pending.items():
                    session.execute(
                        update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=when)
                    )
        except Exception as exc:  # busy or down: forget, the next use tries again
            log.debug("last_used_at not written: %s", exc)
            with self._lock:
                for key_id in pending:
                    self._written.pop(key_id, None)

    def drain(self) -> None:
        """Wait for the writes already queued (tests, shutdown)."""
        with self._lock:
            future = self._future
        if future is not None:
            future.result()


USAGE = UsageRecorder()


@dataclass(frozen=True)
class Principal:
    key_id: str | None
    name: str
    role: Role


ANONYMOUS = Principal(key_id=None, name="anonymous", role=Role.viewer)
OPERATOR = Principal(key_id=None, name="operator (claimdesk command)", role=Role.admin)


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[:12]


bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer cdk_…`")


def _unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": 'Bearer realm="claimdesk"'})


def authenticate(key: str) -> Principal:
    digest = hash_key(key)
    with Session(get_engine()) as session:
        row = session.execute(
            select(
                col(ApiKey.id),
                col(ApiKey.name),
                col(ApiKey.role),
                col(ApiKey.key_hash),
                col(ApiKey.revoked_at),
                col(ApiKey.last_used_at),
            ).where(col(ApiKey.key_hash) == digest)
        ).first()
        if row is None or not hmac.compare_digest(row.key_hash, digest):
            raise _unauthorized("unknown API key")
        if row.revoked_at is not None:
            raise _unauthorized("this API key has been revoked")
        USAGE.seen(row.id, row.last_used_at)
        return Principal(key_id=row.id, name=row.name, role=Role(row.role))


def require(role: Role) -> Callable[..., Principal]:
    """A dependency that admits keys of ``role`` or higher."""

    def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> Principal:
        client = request.client.host if request.client else "unknown"
        if credentials is None:
            if request.headers.get("authorization"):
                check_failed_auth(client)
                record_failed_auth(client)
                raise _unauthorized("Authorization must be 'Bearer <key>'")
            if role is Role.viewer and get_settings().anonymous_read:
                principal = ANONYMOUS
            else:
                raise _unauthorized("an API key is required: Authorization: Bearer <key>")
        else:
            check_failed_auth(client)
            try:
                principal = authenticate(credentials.credentials)
            except Unauthorized:
                record_failed_auth(client)
                raise
        spend_request(principal.key_id or "anonymous:" + client)
        if principal.role.rank < role.rank:
            raise Forbidden(
                f"this route needs the {role.value} role; the key has {principal.role.value}"
            )
        request.state.principal = principal
        return principal

    return dependency


viewer = require(Role.viewer)
editor = require(Role.editor)
admin = require(Role.admin)
