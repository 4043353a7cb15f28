"""full-text search over claim quotes and incident titles and summaries

SQLite: FTS5 tables kept in step by triggers. PostgreSQL: generated tsvector columns with GIN
indexes. Both use a language-neutral tokenizer (quotes come in many languages).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 20:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE claim_fts USING fts5("
    "claim_id UNINDEXED, quote, translation, tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER claim_fts_ai AFTER INSERT ON claim BEGIN "
    "INSERT INTO claim_fts(claim_id, quote, translation) "
    "VALUES (new.id, new.quote, coalesce(new.translation, '')); END",
    "CREATE TRIGGER claim_fts_au AFTER UPDATE OF quote, translation ON claim BEGIN "
    "DELETE FROM claim_fts WHERE claim_id = old.id; "
    "INSERT INTO claim_fts(claim_id, quote, translation) "
    "VALUES (new.id, new.quote, coalesce(new.translation, '')); END",
    "CREATE TRIGGER claim_fts_ad AFTER DELETE ON claim BEGIN "
    "DELETE FROM claim_fts WHERE claim_id = old.id; END",
    "INSERT INTO claim_fts(claim_id, quote, translation) "
    "SELECT id, quote, coalesce(translation, '') FROM claim",
    "CREATE VIRTUAL TABLE incident_fts USING fts5("
    "incident_id UNINDEXED, title, summary, tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER incident_fts_ai AFTER INSERT ON incident BEGIN "
    "INSERT INTO incident_fts(incident_id, title, summary) "
    "VALUES (new.id, new.title, coalesce(new.summary, '')); END",
    "CREATE TRIGGER incident_fts_au AFTER UPDATE OF title, summary ON incident BEGIN "
    "DELETE FROM incident_fts WHERE incident_id = old.id; "
    "INSERT INTO incident_fts(incident_id, title, summary) "
    "VALUES (new.id, new.title, coalesce(new.summary, '')); END",
    "CREATE TRIGGER incident_fts_ad AFTER DELETE ON incident BEGIN "
    "DELETE FROM incident_fts WHERE incident_id = old.id; END",
    "INSERT INTO incident_fts(incident_id, title, summary) "
    "SELECT id, title, coalesce(summary, '') FROM incident",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS claim_fts_ai",
    "DROP TRIGGER IF EXISTS claim_fts_au",
    "DROP TRIGGER IF EXISTS claim_fts_ad",
    "DROP TABLE IF EXISTS claim_fts",
    "DROP TRIGGER IF EXISTS incident_fts_ai",
    "DROP TRIGGER IF EXISTS incident_fts_au",
    "DROP TRIGGER IF EXISTS incident_fts_ad",
    "DROP TABLE IF EXISTS incident_fts",
]
POSTGRES_UP = [
    "ALTER TABLE claim ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple', quote || ' ' || coalesce(translation, ''))) STORED",
    "CREATE INDEX ix_claim_search_gin ON claim USING gin (search_tsv)",
    "ALTER TABLE incident ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple', title || ' ' || coalesce(summary, ''))) STORED",
    "CREATE INDEX ix_incident_search_gin ON incident USING gin (search_tsv)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_claim_search_gin",
    "ALTER TABLE claim DROP COLUMN IF EXISTS search_tsv",
    "DROP INDEX IF EXISTS ix_incident_search_gin",
    "ALTER TABLE incident DROP COLUMN IF EXISTS search_tsv",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run(POSTGRES_UP)
    else:
        _run(SQLITE_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _run(POSTGRES_DOWN)
    else:
        _run(SQLITE_DOWN)
