"""the learned model the views use: per-topic domain sizes and copying source pairs, written by
``reliability recompute``

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 19:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learned_domain",
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("topic", name=op.f("pk_learned_domain")),
    )
    op.create_table(
        "learned_copy",
        sa.Column("copier_id", sa.String(length=26), nullable=False),
        sa.Column("original_id", sa.String(length=26), nullable=False),
        sa.Column("dependence", sa.Float(), nullable=False),
        sa.Column("discount", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("copier_id", "original_id", name=op.f("pk_learned_copy")),
    )


def downgrade() -> None:
    op.drop_table("learned_copy")
    op.drop_table("learned_domain")
