"""initial schema: sources, actors, topics, incidents, claims, links, api keys

Revision ID: 0001
Revises:
Create Date: 2026-11-25 19:53:45.057698+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('actor',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('name_key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('aliases', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('parent_id', sa.String(length=26), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("kind IN ('state', 'armed_group', 'organisation', 'person')", name=op.f('ck_actor_kind')),
    sa.ForeignKeyConstraint(['parent_id'], ['actor.id'], name=op.f('fk_actor_parent_id_actor')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_actor')),
    sa.UniqueConstraint('external_id', name=op.f('uq_actor_external_id'))
    )
    with op.batch_alter_table('actor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_actor_country'), ['country'], unique=False)
        batch_op.create_index('ix_actor_name_key', ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_actor_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_actor_updated_at'), ['updated_at'], unique=False)

    op.create_table('api_key',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('viewer', 'editor', 'admin')", name=op.f('ck_api_key_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    op.create_table('incident',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('occurred_earliest', sa.DateTime(timezone=True), nullable=True),
    sa.Column('occurred_latest', sa.DateTime(timezone=True), nullable=True),
    sa.Column('time_precision', sa.String(length=16), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('local_time_text', sa.String(length=200), nullable=True),
    sa.Column('place_name', sa.String(length=300), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('location_precision', sa.String(length=16), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('contested', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('claim_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('source_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("location_precision IN ('exact', 'site', 'locality', 'region', 'country')", name=op.f('ck_incident_location_precision')),
    sa.CheckConstraint("time_precision IN ('minute', 'hour', 'time_of_day', 'day', 'week', 'month', 'year')", name=op.f('ck_incident_time_precision')),
    sa.CheckConstraint('(latitude IS NULL) = (longitude IS NULL)', name=op.f('ck_incident_lat_lon_pair')),
    sa.CheckConstraint('latitude IS NULL OR (latitude >= -90 AND latitude <= 90)', name=op.f('ck_incident_latitude')),
    sa.CheckConstraint('longitude IS NULL OR (longitude >= -180 AND longitude <= 180)', name=op.f('ck_incident_longitude')),
    sa.CheckConstraint('occurred_earliest IS NULL OR occurred_latest IS NULL OR occurred_earliest <= occurred_latest', name=op.f('ck_incident_occurred_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident')),
    sa.UniqueConstraint('external_id', name=op.f('uq_incident_external_id'))
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_contested', ['contested'], unique=False)
        batch_op.create_index('ix_incident_country', ['country'], unique=False)
        batch_op.create_index('ix_incident_lat_lon', ['latitude', 'longitude'], unique=False)
        batch_op.create_index('ix_incident_occurred_earliest', ['occurred_earliest', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incident_updated_at'), ['updated_at'], unique=False)

    op.create_table('source',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('name_key', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('homepage_url', sa.String(length=2048), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('affiliation', sa.Text(), nullable=True),
    sa.Column('parent_id', sa.String(length=26), nullable=True),
    sa.Column('aliases', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reliability_prior', sa.Float(), nullable=False),
    sa.Column('reliability', sa.Float(), nullable=True),
    sa.Column('reliability_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("kind IN ('outlet', 'official', 'agency', 'organisation', 'person', 'social_account')", name=op.f('ck_source_kind')),
    sa.CheckConstraint('reliability IS NULL OR (reliability >= 0 AND reliability <= 1)', name=op.f('ck_source_reliability')),
    sa.CheckConstraint('reliability_prior >= 0 AND reliability_prior <= 1', name=op.f('ck_source_reliability_prior')),
    sa.ForeignKeyConstraint(['parent_id'], ['source.id'], name=op.f('fk_source_parent_id_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source')),
    sa.UniqueConstraint('external_id', name=op.f('uq_source_external_id'))
    )
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.create_index('ix_source_country', ['country'], unique=False)
        batch_op.create_index('ix_source_kind', ['kind'], unique=False)
        batch_op.create_index('ix_source_name_key', ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_updated_at'), ['updated_at'], unique=False)

    op.create_table('topic',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('unit', sa.String(length=50), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('quantity', 'category', 'actor', 'statement')", name=op.f('ck_topic_kind')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_topic'))
    )
    op.create_table('claim',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('incident_id', sa.String(length=26), nullable=False),
    sa.Column('source_id', sa.String(length=26), nullable=False),
    sa.Column('via_source_id', sa.String(length=26), nullable=True),
    sa.Column('speaker', sa.String(length=300), nullable=True),
    sa.Column('said_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('said_at_precision', sa.String(length=16), nullable=False),
    sa.Column('quote', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('translation', sa.Text(), nullable=True),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('qualifiers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('qualifiers_key', sa.String(length=500), nullable=False),
    sa.Column('value_kind', sa.String(length=16), nullable=False),
    sa.Column('q_bound', sa.String(length=16), nullable=True),
    sa.Column('q_low', sa.Float(), nullable=True),
    sa.Column('q_best', sa.Float(), nullable=True),
    sa.Column('q_high', sa.Float(), nullable=True),
    sa.Column('category', sa.String(length=300), nullable=True),
    sa.Column('actor_id', sa.String(length=26), nullable=True),
    sa.Column('statement', sa.Text(), nullable=True),
    sa.Column('stance', sa.String(length=8), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('supersedes_id', sa.String(length=26), nullable=True),
    sa.Column('cites_claim_id', sa.String(length=26), nullable=True),
    sa.Column('external_id', sa.String(length=200), nullable=True),
    sa.Column('tags', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("(value_kind = 'quantity') = (q_bound IS NOT NULL)", name=op.f('ck_claim_quantity_has_bound')),
    sa.CheckConstraint("q_bound IN ('exact', 'at_least', 'more_than', 'at_most', 'fewer_than', 'approximately', 'range', 'none_reported', 'unknown')", name=op.f('ck_claim_q_bound')),
    sa.CheckConstraint("said_at_precision IN ('minute', 'hour', 'time_of_day', 'day', 'week', 'month', 'year')", name=op.f('ck_claim_said_at_precision')),
    sa.CheckConstraint("stance IN ('asserts', 'denies')", name=op.f('ck_claim_stance')),
    sa.CheckConstraint("status IN ('active', 'retracted', 'superseded')", name=op.f('ck_claim_status')),
    sa.CheckConstraint("value_kind <> 'actor' OR actor_id IS NOT NULL", name=op.f('ck_claim_actor_has_value')),
    sa.CheckConstraint("value_kind <> 'category' OR category IS NOT NULL", name=op.f('ck_claim_category_has_value')),
    sa.CheckConstraint("value_kind IN ('quantity', 'category', 'actor', 'statement')", name=op.f('ck_claim_value_kind')),
    sa.CheckConstraint('confidence >= 0 AND confidence <= 1', name=op.f('ck_claim_confidence')),
    sa.CheckConstraint('q_best IS NULL OR q_high IS NULL OR q_best <= q_high', name=op.f('ck_claim_best_high')),
    sa.CheckConstraint('q_low IS NULL OR q_best IS NULL OR q_low <= q_best', name=op.f('ck_claim_low_best')),
    sa.CheckConstraint('q_low IS NULL OR q_high IS NULL OR q_low <= q_high', name=op.f('ck_claim_low_high')),
    sa.ForeignKeyConstraint(['actor_id'], ['actor.id'], name=op.f('fk_claim_actor_id_actor')),
    sa.ForeignKeyConstraint(['cites_claim_id'], ['claim.id'], name=op.f('fk_claim_cites_claim_id_claim')),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_claim_incident_id_incident')),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_claim_source_id_source')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['claim.id'], name=op.f('fk_claim_supersedes_id_claim')),
    sa.ForeignKeyConstraint(['topic'], ['topic.key'], name=op.f('fk_claim_topic_topic')),
    sa.ForeignKeyConstraint(['via_source_id'], ['source.id'], name=op.f('fk_claim_via_source_id_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim')),
    sa.UniqueConstraint('external_id', name=op.f('uq_claim_external_id'))
    )
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.create_index('ix_claim_actor_id', ['actor_id'], unique=False)
        batch_op.create_index('ix_claim_cites_claim_id', ['cites_claim_id'], unique=False)
        batch_op.create_index('ix_claim_incident_said_at', ['incident_id', 'said_at', 'id'], unique=False)
        batch_op.create_index('ix_claim_incident_topic', ['incident_id', 'topic', 'qualifiers_key'], unique=False)
        batch_op.create_index('ix_claim_language', ['language'], unique=False)
        batch_op.create_index('ix_claim_said_at', ['said_at', 'id'], unique=False)
        batch_op.create_index('ix_claim_source_id', ['source_id'], unique=False)
        batch_op.create_index('ix_claim_status', ['status'], unique=False)
        batch_op.create_index('ix_claim_supersedes_id', ['supersedes_id'], unique=False)
        batch_op.create_index('ix_claim_topic', ['topic'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index('ix_claim_via_source_id', ['via_source_id'], unique=False)

    op.create_table('claim_link',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('claim_id', sa.String(length=26), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=True),
    sa.Column('accessed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('final_url', sa.String(length=2048), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.CheckConstraint("kind IN ('original', 'archive', 'screenshot', 'mirror', 'related')", name=op.f('ck_claim_link_kind')),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], name=op.f('fk_claim_link_claim_id_claim'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_link'))
    )
    with op.batch_alter_table('claim_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_link_claim_id'), ['claim_id'], unique=False)


    topic = sa.table(
        "topic",
        sa.column("key", sa.String),
        sa.column("kind", sa.String),
        sa.column("unit", sa.String),
        sa.column("description", sa.Text),
        sa.column("builtin", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        topic,
        [
            {**t, "builtin": True, "created_at": now}
            for t in [
                {"key": "casualties.killed", "kind": "quantity", "unit": "people",
                 "description": "People killed"},
                {"key": "casualties.wounded", "kind": "quantity", "unit": "people",
                 "description": "People wounded"},
                {"key": "munitions.count", "kind": "quantity", "unit": "munitions",
                 "description": "Number of rockets, missiles, shells or other munitions"},
                {"key": "munitions.type", "kind": "category", "unit": None,
                 "description": "Type of munition (e.g. katyusha rocket)"},
                {"key": "responsibility", "kind": "actor", "unit": None,
                 "description": "Who is responsible for the incident"},
                {"key": "damage", "kind": "category", "unit": None,
                 "description": "Damage caused"},
                {"key": "occurred", "kind": "statement", "unit": None,
                 "description": "Whether the incident happened at all"},
            ]
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table('claim_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_link_claim_id'))

    op.drop_table('claim_link')
    with op.batch_alter_table('claim', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_via_source_id')
        batch_op.drop_index(batch_op.f('ix_claim_updated_at'))
        batch_op.drop_index('ix_claim_topic')
        batch_op.drop_index('ix_claim_supersedes_id')
        batch_op.drop_index('ix_claim_status')
        batch_op.drop_index('ix_claim_source_id')
        batch_op.drop_index('ix_claim_said_at')
        batch_op.drop_index('ix_claim_language')
        batch_op.drop_index('ix_claim_incident_topic')
        batch_op.drop_index('ix_claim_incident_said_at')
        batch_op.drop_index('ix_claim_cites_claim_id')
        batch_op.drop_index('ix_claim_actor_id')

    op.drop_table('claim')
    op.drop_table('topic')
    with op.batch_alter_table('source', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_updated_at'))
        batch_op.drop_index(batch_op.f('ix_source_parent_id'))
        batch_op.drop_index('ix_source_name_key')
        batch_op.drop_index('ix_source_kind')
        batch_op.drop_index('ix_source_country')

    op.drop_table('source')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_updated_at'))
        batch_op.drop_index('ix_incident_occurred_earliest')
        batch_op.drop_index('ix_incident_lat_lon')
        batch_op.drop_index('ix_incident_country')
        batch_op.drop_index('ix_incident_contested')

    op.drop_table('incident')
    op.drop_table('api_key')
    with op.batch_alter_table('actor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_actor_updated_at'))
        batch_op.drop_index(batch_op.f('ix_actor_parent_id'))
        batch_op.drop_index('ix_actor_name_key')
        batch_op.drop_index(batch_op.f('ix_actor_country'))

    op.drop_table('actor')
