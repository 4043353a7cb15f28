"""API keys: created with a role, stored only as a hash."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.auth import display_prefix, generate_key, hash_key
from app.crud import get_or_404
from app.enums import Role
from app.errors import Conflict
from app.keys.models import ApiKey
from app.pagination import PageParams, paginate
from app.types import utcnow


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
    """Revoked keys stop working on their next request (nothing is cached)."""
    if key.revoked_at is not None:
        return key
    if key.role == Role.admin.value and _active_admins(session) <= 1:
        raise Conflict("this is the last active admin key; create another admin key first")
    key.revoked_at = utcnow()
    session.flush()
    return key


def rotate_key(session: Session, key: ApiKey) -> tuple[ApiKey, str]:
    """A new secret for the same key id and role; the old secret stops working at once."""
    if key.revoked_at is not None:
        raise Conflict("a revoked key cannot be rotated; create a new key")
    secret = generate_key()
    key.key_hash = hash_key(secret)
    key.prefix = display_prefix(secret)
    session.flush()
    return key, secret
