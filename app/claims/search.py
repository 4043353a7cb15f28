"""``q=`` on claim lists, bounded whatever the number of matches.

SQLite: ``claim_fts`` rowids follow ``said_at`` (``second * 1 000 000 + slot``, migration
0009), so FTS5 yields a word's matches in time order, and an index on the full-text table's
claim ids (migration 0012) finds one claim's row: "does claim X match?" is one seek into the
word's doclists. A page is found in a few bounded steps:

1. read the next matches in rowid (time) order, claim ids only: :data:`FIRST_CHUNK` (at least
   the page), then :data:`GROWTH` times more each step, at most :data:`CHUNK`;
2. fewer than asked: they are all the matches left; the ones passing the other filters (one
   indexed join) are sorted by ``said_at, id`` and the page is cut from them (rare words);
3. otherwise the seconds before the step's last second are complete: their matches passing
   the filters are kept, and the next step starts at the last second; a step that stayed
   inside one second is read again, larger;
4. one second holding more than :data:`CHUNK` matches (day-precision claims all at
   midnight, say), or the steps spent (:data:`ROUNDS`; :data:`INCIDENT_ROUNDS` with
   ``incident_id``, whose claims are few next to a common word's matches): walk the claims in
   ``said_at, id`` order through the ordering index (``(incident_id, said_at, id)`` with
   ``incident_id``) and test each with the seek, stopping at the page; the word being common
   there, few claims are tested.

Only the keys (``said_at``, ``id``) are read until the page is known; then its rows, as plain
rows, in one query.

PostgreSQL (:func:`postgres_search`): ``search_tsv @@ plainto_tsquery`` under the same
``ORDER BY said_at, id LIMIT``, the plan chosen here rather than by the planner's estimate of
the words' frequency (a word missing from the statistics is estimated at thousands of rows,
and the planner then walks the ordering index testing all 1M claims for a word in none):

With ``incident_id``, the planner's own plan (bounded by the incident's claims). Otherwise:

1. the next :data:`PG_WINDOW` claims in order (every filter and the cursor applied), tested:
   when the page is among them (the words are common), that is the page; when the window
   holds every claim left (an incident's timeline, say), its matches are all the matches
   left; one statement either way (the claims left are counted only when the page is not
   full);
2. otherwise the matches left, at most :data:`PG_RARE` + 1, are read with bitmap scans only,
   i.e. through the GIN index (the words' posting lists and at most that many rows), counted
   and sorted: that many or fewer, the page is cut from them;
3. more: the claims are walked through an ordering index (``(said_at, id)``, or the
   incident's) and tested, stopping at the page (bitmap scans off; the words being frequent
   among the claims left, few are tested).

The planner settings last for the statements that need them (``set_config(..., true)``,
then ``RESET``; after an error, the transaction's rollback undoes them); JIT is off for them
(a disabled plan's cost would otherwise compile the query).

Totals (``include_total``) are counted up to :data:`TOTAL_CAP` and reported as at most that.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import orjson
from sqlalchemy import and_, exists, func, literal_column, select, text, true, tuple_
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlmodel import Session, col

from app.claims.models import Claim
from app.pagination import PageParams, decode_cursor, encode_cursor
from app.repository.sql import tsvector_match as _tsv_match

TOTAL_CAP = 10_000
SLOT = 1_000_000
FIRST_CHUNK = 64  # matches read from the full-text index in the first step
GROWTH = 4  # each step reads this many times more
CHUNK = 16_384  # the most one step reads
SECOND_CAP = 100_000  # matches of one second read into a set before testing claims one by one
ROUNDS = 7  # steps in time order before walking the ordering index instead
INCIDENT_ROUNDS = 2  # with incident_id: its claims are few next to a common word's matches
PG_WINDOW = 1_000  # PostgreSQL: claims tested in order before asking the GIN index
PG_RARE = 2_000  # PostgreSQL: at most this many matches left are read through GIN and sorted

_fts = sql_table("claim_fts", sql_column("claim_id"), sql_column("rowid"))
# FTS5's own table of the indexed rows (c0 = claim_id), indexed on c0 by migration 0012.
_content = sql_table("claim_fts_content", sql_column("id"), sql_column("c0"))

Key = tuple[datetime, str]


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


def _slot() -> Any:
    """The claim's rowid in ``claim_fts`` (one seek into the index of migration 0012)."""
    return (
        select(_content.c.id)
        .where(_content.c.c0 == col(Claim.id))
        .correlate(Claim)
        .scalar_subquery()
    )


def matches(query: str) -> Any:
    """A WHERE clause on the claim: it matches ``query`` (one seek into the word's doclists)."""
    return exists(
        select(literal_column("1")).select_from(_fts).where(_match(query), _fts.c.rowid == _slot())
    )


def capped_total(session: Session, stmt: Any) -> int:
    inner = stmt.order_by(None).limit(TOTAL_CAP).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


def sqlite_search(
    session: Session, base: Any, incident_scoped: bool, q: str, page: PageParams
) -> tuple[list[Any], str | None, int | None]:
    """``base``: the claim query with every filter but ``q``; the page as plain rows."""
    query = words_query(q)
    if query is None:
        return [], None, 0 if page.include_total else None
    total = None
    if page.include_total:
        joined = base.join(_fts, _fts.c.claim_id == col(Claim.id)).where(_match(query))
        total = capped_total(session, joined)
    keys = base.with_only_columns(col(Claim.said_at), col(Claim.id))
    after: Key | None = None
    if page.cursor:
        said_at, claim_id = decode_cursor(page.cursor, (datetime, str))
        after = (said_at, claim_id)
        keys = keys.where(tuple_(col(Claim.said_at), col(Claim.id)) > tuple_(said_at, claim_id))
    want = page.limit + 1
    found = _find(session, keys, query, after, want, INCIDENT_ROUNDS if incident_scoped else ROUNDS)
    ids = [k[1] for k in found[:want]]
    by_id = {
        r.id: r
        for r in session.execute(
            select(*Claim.__table__.c).where(col(Claim.id).in_(ids))  # type: ignore[attr-defined]
        )
    }
    return _cut([by_id[i] for i in ids if i in by_id], page.limit, total)


#: PostgreSQL planner settings of each strategy (the rest as configured)
_GIN_ONLY = {"enable_seqscan": "off", "enable_indexscan": "off", "jit": "off"}
_ORDERED = {"enable_seqscan": "off", "enable_bitmapscan": "off", "jit": "off"}
# the settings as configured again (after an error the rollback puts them back)
_RESET = text("RESET enable_seqscan; RESET enable_indexscan; RESET enable_bitmapscan; RESET jit")


def _plan(session: Session, settings: dict[str, str]) -> None:
    """Set these planner settings until :data:`_RESET` (transaction-local)."""
    calls = ", ".join(f"set_config('{name}', '{value}', true)" for name, value in settings.items())
    session.execute(text(f"SELECT {calls}"))


def postgres_search(
    session: Session, base: Any, incident_scoped: bool, q: str, page: PageParams
) -> tuple[list[Any], str | None, int | None]:
    """``base``: the claim query with every filter but ``q``; the page as plain rows. With
    ``incident_id`` the planner's own plan: any plan it has is bounded by the incident's
    claims (its ``(incident_id, said_at, id)`` index), and its estimate of an incident's
    size is from an ordinary column's statistics."""
    columns = Claim.__table__.c  # type: ignore[attr-defined]
    stmt = base.with_only_columns(*columns)
    if page.include_total:
        total = capped_total(session, stmt.where(_tsv_match(literal_column("claim.search_tsv"), q)))
    else:
        total = None
    if page.cursor:
        said_at, claim_id = decode_cursor(page.cursor, (datetime, str))
        stmt = stmt.where(tuple_(col(Claim.said_at), col(Claim.id)) > tuple_(said_at, claim_id))
    want = page.limit + 1
    order = (col(Claim.said_at), col(Claim.id))
    tsv: Any = literal_column("claim.search_tsv")
    if incident_scoped:
        plain = stmt.where(_tsv_match(tsv, q)).order_by(*order).limit(want)
        return _cut(list(session.execute(plain).all()), page.limit, total)
    # 1. the next PG_WINDOW claims in order, tested: the page if the words are common there;
    # every match left if the window holds every claim left (counted only when the page is
    # not full: AND evaluates its subqueries lazily, left to right)
    keys = (col(Claim.said_at), col(Claim.id))
    window = (
        stmt.with_only_columns(*keys, tsv.label("search_tsv"))
        .order_by(*order)
        .limit(PG_WINDOW)
        .subquery("w")
    )
    near = (
        select(window.c.said_at, window.c.id)
        .where(_tsv_match(window.c.search_tsv, q))
        .order_by(window.c.said_at, window.c.id)
        .limit(want)
        .cte("p")
    )
    found = select(func.count()).select_from(near).scalar_subquery()
    claims_left = stmt.with_only_columns(col(Claim.id)).order_by(*order).limit(PG_WINDOW)
    seen = select(func.count()).select_from(claims_left.subquery("c")).scalar_subquery()
    one = select(literal_column("1").label("one")).subquery("one")
    table = Claim.__table__  # type: ignore[attr-defined]
    first = (
        select(*columns, and_(found < want, seen < PG_WINDOW))
        .select_from(one.outerjoin(near.join(table, table.c.id == near.c.id), true()))
        .order_by(near.c.said_at, near.c.id)
    )
    got = session.execute(first).all()
    rows = [r for r in got if r.id is not None]
    if len(rows) < want and not got[0][-1]:
        # 2. the matches left, at most PG_RARE + 1, through the GIN index (bitmap scans only),
        # counted and sorted: when that many or fewer, the page is theirs
        matching = stmt.where(_tsv_match(tsv, q))
        _plan(session, _GIN_ONLY)
        rare = matching.with_only_columns(*keys).limit(PG_RARE + 1).cte("m")
        left = select(func.count()).select_from(rare).scalar_subquery()
        top = (
            select(rare.c.said_at, rare.c.id)
            .order_by(rare.c.said_at, rare.c.id)
            .limit(want)
            .subquery("k")
        )
        sorted_ = (
            select(*columns, left)
            .select_from(top.join(table, table.c.id == top.c.id))
            .order_by(top.c.said_at, top.c.id)
        )
        rows = list(session.execute(sorted_).all())
        if rows and rows[0][-1] > PG_RARE:
            # 3. more: walk an ordering index, testing each claim (bitmap scans off)
            _plan(session, _ORDERED)
            rows = list(session.execute(matching.order_by(*order).limit(want)).all())
        session.execute(_RESET)
    return _cut(rows, page.limit, total)


def _find(
    session: Session, keys: Any, query: str, after: Key | None, want: int, rounds: int
) -> list[Key]:
    """The first ``want`` keys (``said_at``, ``id``) of matching claims, in order."""
    got: list[Key] = []
    lo = _second(after[0]) * SLOT if after else None
    size = max(want, FIRST_CHUNK)
    for _ in range(rounds):
        rowids = _rowids(session, query, lo, None, size + 1)
        if len(rowids) <= size:  # every match left
            return got + _keys_of(session, keys, rowids)
        last = rowids[-1] // SLOT
        complete = [r for r in rowids if r // SLOT < last]
        if complete:
            got += _complete_seconds(session, keys, complete, want - len(got))
            lo = last * SLOT
        else:  # the step stayed inside one second: read that second whole, in order
            got += _second_in_order(session, keys, query, last, want - len(got))
            lo = (last + 1) * SLOT
        if len(got) >= want:
            return got
        size = min(size * GROWTH, CHUNK)
    start = None if lo is None else lo // SLOT
    return got + _walk(session, keys, query, start, None, want - len(got))


def _rowids(session: Session, query: str, lo: int | None, hi: int | None, n: int) -> list[int]:
    """The rowids of the next ``n`` matches from ``lo`` (to ``hi``, excluded), in order: the
    full-text index alone, no row read (about 20 times cheaper a match than the claim id)."""
    stmt = select(_fts.c.rowid).where(_match(query))
    if lo is not None:
        stmt = stmt.where(_fts.c.rowid >= lo)
    if hi is not None:
        stmt = stmt.where(_fts.c.rowid < hi)
    return list(session.scalars(stmt.order_by(_fts.c.rowid).limit(n)))


def _listed(values: Sequence[Any]) -> Any:
    each = func.json_each(orjson.dumps(list(values)).decode()).table_valued("value")
    return select(each.c.value)


def _complete_seconds(session: Session, keys: Any, rowids: list[int], want: int) -> list[Key]:
    """The first ``want`` keys of these matches (every match of their seconds): a second with
    more matches than the page is read in order through the ordering index (only the page's
    claims are read), the others by their claims (one indexed join for several seconds)."""
    got: list[Key] = []
    pending: list[int] = []
    for second, group in groupby(rowids, key=lambda r: r // SLOT):
        matched = list(group)
        if len(matched) > want:
            got += _keys_of(session, keys, pending)
            pending = []
            if len(got) < want:
                got += _second_in_order(session, keys, None, second, want - len(got), matched)
        else:
            pending += matched
            if len(got) + len(pending) >= want:
                got += _keys_of(session, keys, pending)
                pending = []
        if len(got) >= want:
            return got
    return got + _keys_of(session, keys, pending)


def _keys_of(session: Session, keys: Any, rowids: Sequence[int]) -> list[Key]:
    """The keys of the claims of these full-text rows that pass the other filters, in order."""
    if not rowids:
        return []
    claim_ids = select(_content.c.c0).where(_content.c.id.in_(_listed(rowids)))
    rows = session.execute(keys.where(col(Claim.id).in_(claim_ids))).all()
    return sorted((r[0], r[1]) for r in rows)


def _second_in_order(
    session: Session,
    keys: Any,
    query: str | None,
    second: int,
    want: int,
    rowids: list[int] | None = None,
) -> list[Key]:
    """The first ``want`` matches of one crowded second: the second's matching rowids (the
    full-text index alone; or ``rowids``, already read), then its claims in ``said_at, id``
    order through the ordering index, each looked up in that set by its own full-text rowid
    (the index of migration 0012), stopping at ``want``. Over :data:`SECOND_CAP` matches in
    the second, each claim is tested with the seek instead."""
    if rowids is None:
        assert query is not None
        lo = second * SLOT
        rowids = _rowids(session, query, lo, lo + SLOT, SECOND_CAP + 1)
        if len(rowids) > SECOND_CAP:
            return _walk(session, keys, query, second, second + 1, want)
    stmt = keys.where(
        _slot().in_(_listed(rowids)),
        col(Claim.said_at) >= datetime.fromtimestamp(second, UTC),
        col(Claim.said_at) < datetime.fromtimestamp(second + 1, UTC),
    )
    rows = session.execute(stmt.order_by(col(Claim.said_at), col(Claim.id)).limit(want)).all()
    return [(r[0], r[1]) for r in rows]


def _walk(
    session: Session, keys: Any, query: str, first: int | None, end: int | None, want: int
) -> list[Key]:
    """Walk the claims from second ``first`` (to ``end``, excluded) in ``said_at, id`` order
    through the ordering index, testing each, up to ``want`` matches."""
    stmt = keys.where(matches(query))
    if first is not None:
        stmt = stmt.where(col(Claim.said_at) >= datetime.fromtimestamp(first, UTC))
    if end is not None:
        stmt = stmt.where(col(Claim.said_at) < datetime.fromtimestamp(end, UTC))
    rows = session.execute(stmt.order_by(col(Claim.said_at), col(Claim.id)).limit(want)).all()
    return [(r[0], r[1]) for r in rows]


def _cut(
    rows: list[Any], limit: int, total: int | None
) -> tuple[list[Any], str | None, int | None]:
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor((rows[-1].said_at, rows[-1].id)), total
    return rows, None, total
