"""change feed events and the leading attribution

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 20:50:51.259155+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entity_type', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.String(length=26), nullable=False),
    sa.Column('incident_id', sa.String(length=26), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.CheckConstraint("type IN ('claim.created', 'claim.updated', 'claim.retracted', 'claim.deleted', 'incident.created', 'incident.updated', 'incident.contested', 'attribution.changed')", name=op.f('ck_event_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event'))
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_entity_id'), ['entity_id'], unique=False)
        batch_op.create_index('ix_event_incident_id', ['incident_id', 'id'], unique=False)
        batch_op.create_index('ix_event_type', ['type', 'id'], unique=False)

    op.add_column('incident', sa.Column('leading_actor_id', sa.String(length=26), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE (SQLite >= 3.35): a batch "move and copy" would drop the FTS triggers
    op.drop_column('incident', 'leading_actor_id')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_type')
        batch_op.drop_index('ix_event_incident_id')
        batch_op.drop_index(batch_op.f('ix_event_entity_id'))

    op.drop_table('event')
