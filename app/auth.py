"""API keys: ``Authorization: Bearer <key>``; roles viewer < editor < admin.

Keys are high-entropy random strings; only their SHA-256 is stored, so a database leak does
not leak credentials. A presented key is hashed and looked up by its hash (an index hit), and
the stored hash is compared again in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update
from sqlmodel import Session, col

from app.config import get_settings
from app.db import get_engine
from app.enums import Role
from app.errors import Forbidden, Unauthorized
from app.keys.models import ApiKey
from app.types import utcnow

KEY_PREFIX = "cdk_"
LAST_USED_RESOLUTION = timedelta(seconds=60)


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
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
            session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
            session.commit()
        return Principal(key_id=row.id, name=row.name, role=Role(row.role))


def require(role: Role) -> Callable[..., Principal]:
    """A dependency that admits keys of ``role`` or higher."""

    def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> Principal:
        if credentials is None:
            if request.headers.get("authorization"):
                raise _unauthorized("Authorization must be 'Bearer <key>'")
            if role is Role.viewer and get_settings().anonymous_read:
                principal = ANONYMOUS
            else:
                raise _unauthorized("an API key is required: Authorization: Bearer <key>")
        else:
            principal = authenticate(credentials.credentials)
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
