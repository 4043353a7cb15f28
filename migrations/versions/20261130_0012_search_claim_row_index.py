"""full-text search: find one claim's row in claim_fts by its id (SQLite)

SQLite only. An index on ``claim_fts_content(c0)`` (FTS5's own table of the indexed rows; c0
is ``claim_id``) turns "does claim X match these words?" into one seek into the words'
doclists (``rowid = <X's row>``), so ``q=`` can walk the ordering index and test each claim
whatever the number of claims sharing a second (``app/claims/search.py``). The update and
delete triggers find the claim's row the same way instead of scanning its second's rowid
range. The index lives and dies with the FTS table (dropping ``claim_fts`` drops it); the
bulk import's own ``INSERT ... SELECT`` into ``claim_fts`` maintains it like the triggers'.

Revises 0011.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 19:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_claim_fts_content_claim_id"


def _sec(row: str) -> str:
    return f"(CAST(strftime('%s', {row}.said_at) AS INTEGER) * 1000000)"


def _insert(row: str) -> str:  # migration 0009's rule, unchanged
    base = _sec(row)
    return (
        "INSERT INTO claim_fts(rowid, claim_id, quote, translation) VALUES (coalesce(("
        f"SELECT rowid + 1 FROM claim_fts WHERE rowid >= {base} AND rowid < {base} + 1000000 "
        f"ORDER BY rowid DESC LIMIT 1), {base}), {row}.id, {row}.quote, "
        f"coalesce({row}.translation, ''));"
    )


def _delete_by_range(row: str) -> str:  # migration 0009's
    base = _sec(row)
    return (
        f"DELETE FROM claim_fts WHERE rowid >= {base} AND rowid < {base} + 1000000 "
        f"AND claim_id = {row}.id;"
    )


def _delete_by_id(row: str) -> str:
    return (
        "DELETE FROM claim_fts WHERE rowid = "
        f"(SELECT id FROM claim_fts_content WHERE c0 = {row}.id);"
    )


def _triggers(delete: str) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS claim_fts_au",
        "DROP TRIGGER IF EXISTS claim_fts_ad",
        "CREATE TRIGGER claim_fts_au AFTER UPDATE OF quote, translation, said_at ON claim "
        f"BEGIN {delete} {_insert('new')} END",
        f"CREATE TRIGGER claim_fts_ad AFTER DELETE ON claim BEGIN {delete} END",
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON claim_fts_content (c0)")
        for statement in _triggers(_delete_by_id("old")):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _triggers(_delete_by_range("old")):
            op.execute(statement)
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
