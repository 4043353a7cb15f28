"""independent voices, tag and time indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 20:21:17.902365+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_occurred_latest', ['occurred_latest'], unique=False)

    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.add_column(sa.Column('independent_voice', sa.Boolean(), server_default=sa.false(), nullable=False))

    # PostgreSQL: GIN indexes serve the ?tag= filters (JSONB `?`). SQLite has no equivalent
    # (tags are read with json_each there); env.py keeps autogenerate from dropping these.
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_claim_tags_gin", "claim", ["tags"], postgresql_using="gin")
        op.create_index("ix_incident_tags_gin", "incident", ["tags"], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_incident_tags_gin", table_name="incident")
        op.drop_index("ix_claim_tags_gin", table_name="claim")
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.drop_column('independent_voice')

    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_occurred_latest')

