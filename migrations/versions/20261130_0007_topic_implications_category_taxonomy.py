"""topic implications, category taxonomies and the built-in casualties total

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 13:35:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.add_column(sa.Column('implications', JSON, nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('categories', JSON, nullable=False, server_default='{}'))
    topic = sa.table(
        "topic",
        sa.column("key", sa.String),
        sa.column("kind", sa.String),
        sa.column("unit", sa.String),
        sa.column("description", sa.Text),
        sa.column("builtin", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("implications", JSON),
        sa.column("categories", JSON),
    )
    op.bulk_insert(
        topic,
        [
            {
                "key": "casualties",
                "kind": "quantity",
                "unit": "people",
                "description": "People killed or wounded (casualties of any kind)",
                "builtin": True,
                "created_at": datetime.now(UTC),
                "implications": [
                    {"kind": "at_least_sum_of", "topics": ["casualties.killed", "casualties.wounded"]}
                ],
                "categories": {},
            }
        ],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM topic WHERE key = 'casualties' AND builtin"))
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.drop_column('categories')
        batch_op.drop_column('implications')
