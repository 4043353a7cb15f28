"""API keys: created with a role, stored only as a hash."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth import display_prefix, generate_key, hash_key
from app.enums import Role
from app.keys.models import ApiKey


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
