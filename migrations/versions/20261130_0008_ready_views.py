"""ready-made views: the per-incident JSON of /conflicts, /assessment, /attributions and the
version counters that say when it is stale

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 13:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "view_version",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_view_version")),
    )
    op.create_table(
        "ready_view",
        sa.Column("incident_id", sa.String(length=26), nullable=False),
        sa.Column("view", sa.String(length=40), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "view", name=op.f("pk_ready_view")),
    )


def downgrade() -> None:
    op.drop_table("ready_view")
    op.drop_table("view_version")
