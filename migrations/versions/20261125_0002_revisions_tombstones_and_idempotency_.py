"""revisions, tombstones and idempotency keys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:06:10.154473+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('idempotency_key',
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('path', sa.String(length=2048), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', name='pk_idempotency_key')
    )
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_key_expires_at', ['expires_at'], unique=False)

    op.create_table('revision',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('entity_type', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.String(length=26), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('key_id', sa.String(length=26), nullable=True),
    sa.Column('key_name', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.CheckConstraint("action IN ('create', 'update', 'retract', 'supersede', 'delete')", name=op.f('ck_revision_action')),
    sa.CheckConstraint("entity_type IN ('source', 'actor', 'incident', 'claim')", name=op.f('ck_revision_entity_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revision'))
    )
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.create_index('ix_revision_entity', ['entity_type', 'entity_id', 'id'], unique=False)

    op.create_table('tombstone',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('entity_type', sa.String(length=16), nullable=False),
    sa.Column('entity_id', sa.String(length=26), nullable=False),
    sa.Column('incident_id', sa.String(length=26), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=26), nullable=True),
    sa.Column('key_name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.CheckConstraint("entity_type IN ('source', 'actor', 'incident', 'claim')", name=op.f('ck_tombstone_entity_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tombstone'))
    )
    with op.batch_alter_table('tombstone', schema=None) as batch_op:
        batch_op.create_index('ix_tombstone_deleted_at', ['deleted_at', 'id'], unique=False)
        batch_op.create_index('ix_tombstone_entity', ['entity_type', 'entity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tombstone_incident_id'), ['incident_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('tombstone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tombstone_incident_id'))
        batch_op.drop_index('ix_tombstone_entity')
        batch_op.drop_index('ix_tombstone_deleted_at')

    op.drop_table('tombstone')
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_index('ix_revision_entity')

    op.drop_table('revision')
    with op.batch_alter_table('idempotency_key', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_key_expires_at')

    op.drop_table('idempotency_key')
