"""API keys: created with a role, stored only as a hash, and checked on every request.

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
import time
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import event, func, select, update
from sqlmodel import Session, col

from app.config import get_settings
from app.db import get_engine, session_scope
from app.enums import Role
from app.errors import Conflict, Unauthorized
from app.keys.models import ApiKey
from app.pagination import PageParams, paginate
from app.principal import Principal
from app.repository.base import get_or_404
from app.types import utcnow

log = logging.getLogger("claimdesk.auth")

KEY_PREFIX = "cdk_"
LAST_USED_RESOLUTION = timedelta(seconds=60)
#: The name (prefix) of the thread that writes keys' last use.
USAGE_THREAD = "last-used"


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[:12]


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
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix=USAGE_THREAD)
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


def unauthorized(detail: str) -> Unauthorized:
    return Unauthorized(detail, headers={"WWW-Authenticate": 'Bearer realm="claimdesk"'})


class KeyCache:
    """Principals of recently authenticated keys, by the hash of the presented key, for
    ``CLAIMDESK_AUTH_CACHE_SECONDS`` (a request then reads no ``api_key`` row). Revoking or
    rotating a key in this process forgets its hash at once (and again when that transaction
    commits); another process's cache forgets it at most ``ttl`` seconds later. Unknown and
    revoked keys are never cached. A lookup that began before a forget is not stored (the
    generation moved), so a read racing with a revocation cannot store the old row."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Principal, datetime | None]] = {}
        self.generation = 0

    def get(self, digest: str) -> tuple[Principal, datetime | None] | None:
        entry = self._entries.get(digest)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1], entry[2]

    def put(
        self, digest: str, principal: Principal, last_used: datetime | None, generation: int
    ) -> None:
        ttl = get_settings().auth_cache_seconds
        if ttl <= 0:
            return
        with self._lock:
            if generation != self.generation:
                return
            if len(self._entries) >= 10_000:
                self._entries.clear()  # bounded memory; forgetting only costs a query
            self._entries[digest] = (time.monotonic() + ttl, principal, last_used)

    def forget(self, digest: str) -> None:
        with self._lock:
            self.generation += 1
            self._entries.pop(digest, None)

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()


KEYS = KeyCache()


def authenticate(key: str) -> Principal:
    digest = hash_key(key)
    cached = KEYS.get(digest)
    if cached is not None:
        principal, last_used = cached
        USAGE.seen(principal.key_id or "", last_used)
        return principal
    generation = KEYS.generation
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
            raise unauthorized("unknown API key")
        if row.revoked_at is not None:
            raise unauthorized("this API key has been revoked")
        USAGE.seen(row.id, row.last_used_at)
        principal = Principal(key_id=row.id, name=row.name, role=Role(row.role))
    KEYS.put(digest, principal, row.last_used_at, generation)
    return principal


def _forget_key(session: Session, digest: str) -> None:
    """The key stops authenticating from the cache now, and again once the change commits
    (a request that read the old row in between cannot have stored it: see KeyCache)."""
    KEYS.forget(digest)
    event.listen(session, "after_commit", lambda _: KEYS.forget(digest), once=True)


def create_key(session: Session, name: str, role: Role) -> tuple[ApiKey, str]:
    """A new key; the secret is returned once and never stored."""
    secret = generate_key()
    key = ApiKey(
        name=name, role=role.value, key_hash=hash_key(secret), prefix=display_prefix(secret)
    )
    session.add(key)
    session.flush()
    return key, secret


def bootstrap_admin(session: Session, secret: str) -> bool:
    """Ensure the operator's CLAIMDESK_ADMIN_KEY exists as an admin key. True if created."""
    digest = hash_key(secret)
    existing = session.execute(select(col(ApiKey.id)).where(col(ApiKey.key_hash) == digest))
    if existing.first() is not None:
        return False
    session.add(
        ApiKey(
            name="bootstrap admin (CLAIMDESK_ADMIN_KEY)",
            role=Role.admin.value,
            key_hash=digest,
            prefix=display_prefix(secret),
        )
    )
    session.flush()
    return True


def get_key(session: Session, key_id: str, lock: bool = False) -> ApiKey:
    return get_or_404(session, ApiKey, key_id, "API key", lock=lock)


def list_keys(
    session: Session, include_revoked: bool, page: PageParams
) -> tuple[list[ApiKey], str | None, int | None]:
    stmt = select(ApiKey)
    if not include_revoked:
        stmt = stmt.where(col(ApiKey.revoked_at).is_(None))
    return paginate(session, stmt, [col(ApiKey.id)], page, lambda k: (k.id,), (str,))


def _active_admins(session: Session) -> int:
    count: int = session.execute(
        select(func.count())
        .select_from(ApiKey)
        .where(col(ApiKey.role) == Role.admin.value, col(ApiKey.revoked_at).is_(None))
    ).scalar_one()
    return count


def revoke_key(session: Session, key: ApiKey) -> ApiKey:
    """Revoked keys stop working on their next request (in this process at once: the key
    cache forgets them; see KeyCache for other processes)."""
    if key.revoked_at is not None:
        return key
    if key.role == Role.admin.value and _active_admins(session) <= 1:
        raise Conflict("this is the last active admin key; create another admin key first")
    _forget_key(session, key.key_hash)
    key.revoked_at = utcnow()
    session.flush()
    return key


def rotate_key(session: Session, key: ApiKey) -> tuple[ApiKey, str]:
    """A new secret for the same key id and role; the old secret stops working at once."""
    if key.revoked_at is not None:
        raise Conflict("a revoked key cannot be rotated; create a new key")
    _forget_key(session, key.key_hash)
    secret = generate_key()
    key.key_hash = hash_key(secret)
    key.prefix = display_prefix(secret)
    session.flush()
    return key, secret
