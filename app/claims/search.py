"""``q=`` on claim lists, bounded whatever the number of matches.

SQLite: ``claim_fts`` rowids follow ``said_at`` (``second * 1 000 000 + slot``, migration
0008), so FTS5 yields a word's matches in time order and the query stops at the page:

- without ``incident_id``: walk the match list in rowid order, joined to the claim by id with
  the other filters, ``limit + 1`` rows; then every match in the last row's second (ties in
  the second are ordered by ``said_at, id`` in Python), and the page is cut from those;
- with ``incident_id``: walk the incident's ``(incident_id, said_at, id)`` index and test each
  claim with one seek into its second's rowid range.

PostgreSQL: ``search_tsv @@ plainto_tsquery`` under the same ``ORDER BY said_at, id LIMIT``;
its planner walks the ordering index for common words and the GIN index for rare ones.

Totals (``include_total``) are counted up to :data:`TOTAL_CAP` and reported as at most that.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, and_, cast, column, exists, func, literal_column, select, tuple_
from sqlalchemy import table as sql_table
from sqlmodel import Session, col

from app.claims.models import Claim
from app.pagination import PageParams, decode_cursor, encode_cursor

TOTAL_CAP = 10_000
SLOT = 1_000_000

_fts = sql_table("claim_fts", column("claim_id"), column("rowid"))


def words_query(text: str) -> str | None:
    """The FTS5 query for "every word, in any order" (each word a quoted phrase)."""
    words = [w for w in "".join(ch if ch.isalnum() else " " for ch in text).split() if w]
    if not words:
        return None
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def _second(value: datetime) -> int:
    return int(value.astimezone(UTC).timestamp())


def _match(query: str) -> Any:
    return literal_column("claim_fts").op("MATCH")(query)


def capped_total(session: Session, stmt: Any) -> int:
    inner = stmt.order_by(None).limit(TOTAL_CAP).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def sqlite_search(
    session: Session, base: Any, incident_scoped: bool, q: str, page: PageParams
) -> tuple[list[Claim], str | None, int | None]:
    """``base``: the claim query with every filter but ``q``."""
    query = words_query(q)
    if query is None:
        return [], None, 0 if page.include_total else None
    last = decode_cursor(page.cursor, (datetime, str)) if page.cursor else None
    if incident_scoped:
        sec = cast(func.strftime("%s", col(Claim.said_at)), Integer) * SLOT
        hit = exists(
            select(literal_column("1"))
            .select_from(_fts)
            .where(
                _match(query),
                _fts.c.rowid >= sec,
                _fts.c.rowid < sec + SLOT,
                _fts.c.claim_id == col(Claim.id),
            )
        )
        stmt = base.where(hit)
        total = capped_total(session, stmt) if page.include_total else None
        if last is not None:
            stmt = stmt.where(tuple_(col(Claim.said_at), col(Claim.id)) > tuple_(*last))
        rows = list(
            session.scalars(stmt.order_by(col(Claim.said_at), col(Claim.id)).limit(page.limit + 1))
        )
        return _cut(rows, page.limit, total)
    stmt = base.join(_fts, _fts.c.claim_id == col(Claim.id)).where(_match(query))
    total = capped_total(session, stmt) if page.include_total else None
    if last is not None:
        stmt = stmt.where(
            _fts.c.rowid >= _second(last[0]) * SLOT,
            tuple_(col(Claim.said_at), col(Claim.id)) > tuple_(*last),
        )
    rows = list(session.scalars(stmt.order_by(_fts.c.rowid).limit(page.limit + 1)))
    if len(rows) > page.limit:
        boundary = _second(rows[-1].said_at) * SLOT
        seen = {r.id for r in rows}
        rows += [
            r
            for r in session.scalars(
                stmt.where(and_(_fts.c.rowid >= boundary, _fts.c.rowid < boundary + SLOT))
            )
            if r.id not in seen
        ]
    rows.sort(key=lambda c: (c.said_at, c.id))
    return _cut(rows, page.limit, total)


def _cut(
    rows: list[Claim], limit: int, total: int | None
) -> tuple[list[Claim], str | None, int | None]:
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor((rows[-1].said_at, rows[-1].id)), total
    return rows, None, total
