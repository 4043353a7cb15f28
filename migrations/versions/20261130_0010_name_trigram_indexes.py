"""pg_trgm trigram indexes for fuzzy name search on sources and actors (PostgreSQL)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite: rapidfuzz in Python, nothing to create
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).scalar()
    if available is None:
        return  # the server lacks contrib: search falls back to rapidfuzz (app/fuzzy.py)
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in ("source", "actor"):
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {table}_name_trgm_gin ON {table} "
            "USING gin (name_key gin_trgm_ops)"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in ("source", "actor"):
        op.execute(f"DROP INDEX IF EXISTS {table}_name_trgm_gin")
