"""full-text search in time order: claim_fts rowids follow said_at

SQLite only. Each claim's row in ``claim_fts`` gets rowid ``second(said_at) * 1 000 000 +
slot`` (slot: the next free one in that second), so FTS5, which walks a match's doclist in
rowid order, yields matches in ``said_at`` order and ``q=`` stops at the page instead of
fetching and sorting every match; a claim's row is found again through its second (a rowid
range) instead of a scan of the whole index. PostgreSQL is unchanged.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 13:50:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _sec(row: str) -> str:
    return f"(CAST(strftime('%s', {row}.said_at) AS INTEGER) * 1000000)"


def _insert(row: str) -> str:
    base = _sec(row)
    return (
        "INSERT INTO claim_fts(rowid, claim_id, quote, translation) VALUES (coalesce(("
        f"SELECT rowid + 1 FROM claim_fts WHERE rowid >= {base} AND rowid < {base} + 1000000 "
        f"ORDER BY rowid DESC LIMIT 1), {base}), {row}.id, {row}.quote, "
        f"coalesce({row}.translation, ''));"
    )


def _delete(row: str) -> str:
    base = _sec(row)
    return (
        f"DELETE FROM claim_fts WHERE rowid >= {base} AND rowid < {base} + 1000000 "
        f"AND claim_id = {row}.id;"
    )


DROP = [
    "DROP TRIGGER IF EXISTS claim_fts_ai",
    "DROP TRIGGER IF EXISTS claim_fts_au",
    "DROP TRIGGER IF EXISTS claim_fts_ad",
    "DROP TABLE IF EXISTS claim_fts",
    "CREATE VIRTUAL TABLE claim_fts USING fts5("
    "claim_id UNINDEXED, quote, translation, tokenize='unicode61 remove_diacritics 2')",
]
UP = [
    *DROP,
    "INSERT INTO claim_fts(rowid, claim_id, quote, translation) "
    "SELECT CAST(strftime('%s', said_at) AS INTEGER) * 1000000 + row_number() OVER "
    "(PARTITION BY strftime('%s', said_at) ORDER BY said_at, id) - 1, "
    "id, quote, coalesce(translation, '') FROM claim",
    f"CREATE TRIGGER claim_fts_ai AFTER INSERT ON claim BEGIN {_insert('new')} END",
    "CREATE TRIGGER claim_fts_au AFTER UPDATE OF quote, translation, said_at ON claim BEGIN "
    f"{_delete('old')} {_insert('new')} END",
    f"CREATE TRIGGER claim_fts_ad AFTER DELETE ON claim BEGIN {_delete('old')} END",
]
DOWN = [
    *DROP,
    "INSERT INTO claim_fts(claim_id, quote, translation) "
    "SELECT id, quote, coalesce(translation, '') FROM claim",
    "CREATE TRIGGER claim_fts_ai AFTER INSERT ON claim BEGIN "
    "INSERT INTO claim_fts(claim_id, quote, translation) "
    "VALUES (new.id, new.quote, coalesce(new.translation, '')); END",
    "CREATE TRIGGER claim_fts_au AFTER UPDATE OF quote, translation ON claim BEGIN "
    "DELETE FROM claim_fts WHERE claim_id = old.id; "
    "INSERT INTO claim_fts(claim_id, quote, translation) "
    "VALUES (new.id, new.quote, coalesce(new.translation, '')); END",
    "CREATE TRIGGER claim_fts_ad AFTER DELETE ON claim BEGIN "
    "DELETE FROM claim_fts WHERE claim_id = old.id; END",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in DOWN:
            op.execute(statement)
