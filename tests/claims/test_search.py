"""``q=`` pages through every match in (said_at, id) order, exactly as a full scan would,
while stopping at the page (ties in one second, cursors, incident scope, edits, totals)."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import hypothesis
import orjson
import pytest
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlmodel import col

from app.claims import search, service
from app.claims.models import Claim
from app.claims.search import TOTAL_CAP
from app.db import get_engine, session_scope
from app.imports.service import import_records
from app.pagination import PageParams
from app.principal import OPERATOR
from tests.factories import Api

WORDS = ("alpha", "bravo", "charlie", "delta", "echo")


def _corpus(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    lines = [
        orjson.dumps({"type": "source", "external_id": "s", "name": "S", "kind": "outlet"}),
        *(
            orjson.dumps({"type": "incident", "external_id": f"i{k}", "title": f"I {k}"})
            for k in range(3)
        ),
    ]
    for c in range(n):
        second = rng.choice((0, 0, 0, 1, 2, 59))  # many claims share a second
        micro = rng.choice((0, 0, 250000))
        lines.append(
            orjson.dumps(
                {
                    "type": "claim",
                    "external_id": f"c{c}",
                    "incident_external_id": f"i{c % 3}",
                    "source_external_id": "s",
                    "said_at": f"2020-03-11T17:{rng.randrange(3):02d}:{second:02d}.{micro:06d}Z",
                    "quote": " ".join(rng.sample(WORDS, rng.randint(1, 3))),
                    "topic": "occurred",
                    "value": {"kind": "statement"},
                }
            )
        )
    return [line.decode() for line in lines]


def _all_pages(api: Api, url: str, q: str, limit: int, **extra: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        params: dict[str, Any] = {"q": q, "limit": limit, **extra}
        if cursor:
            params["cursor"] = cursor
        r = api.get(url, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        out += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return out
    raise AssertionError("did not end")


def _expected(api: Api, words: list[str], incident: str | None = None) -> list[str]:
    everything = _all_pages_plain(api, incident)
    return [
        c["id"]
        for c in sorted(everything, key=lambda c: (datetime.fromisoformat(c["said_at"]), c["id"]))
        if all(w in c["quote"].split() for w in words)
    ]


def _all_pages_plain(api: Api, incident: str | None) -> list[dict[str, Any]]:
    url = f"/v1/incidents/{incident}/claims" if incident else "/v1/claims"
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = api.get(url, params=params).json()
        out += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return out


@pytest.mark.parametrize("limit", [1, 3, 7, 50])
@pytest.mark.parametrize(
    ("first", "chunk", "rounds", "second_cap"),
    [(64, 16384, 7, 100_000), (1, 4, 3, 100_000), (1, 1, 1, 2), (2, 8, 2, 3)],
)
def test_pages_match_a_full_scan(
    editor: Api,
    limit: int,
    first: int,
    chunk: int,
    rounds: int,
    second_cap: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Small steps take every path: all matches in one step, complete seconds (small ones
    joined, crowded ones read in order), a step inside one second (that second read in
    order, or walked testing each claim over the cap), and the walk after the last step."""
    monkeypatch.setattr(search, "FIRST_CHUNK", first)
    monkeypatch.setattr(search, "CHUNK", chunk)
    monkeypatch.setattr(search, "ROUNDS", rounds)
    monkeypatch.setattr(search, "INCIDENT_ROUNDS", min(rounds, 2))
    monkeypatch.setattr(search, "SECOND_CAP", second_cap)
    # PostgreSQL: a window of `first` claims, then GIN for at most `chunk` matches left
    monkeypatch.setattr(search, "PG_WINDOW", first)
    monkeypatch.setattr(search, "PG_RARE", chunk)
    with session_scope() as session:
        import_records(session, _corpus(120), OPERATOR, batch=40)
    for q in ("alpha", "bravo charlie", "echo delta alpha", "zulu"):
        words = q.split()
        got = [c["id"] for c in _all_pages(editor, "/v1/claims", q, limit)]
        assert got == _expected(editor, words), q
    incident = editor.get("/v1/incidents", params={"limit": 1}).json()["items"][0]["id"]
    for q in ("alpha", "bravo charlie", "zulu"):
        url = f"/v1/incidents/{incident}/claims"
        got = [c["id"] for c in _all_pages(editor, url, q, limit)]
        assert got == _expected(editor, q.split(), incident), q
    after = "2020-03-11T17:01:00Z"  # another filter, which rejects some matches
    got = [c["id"] for c in _all_pages(editor, "/v1/claims", "alpha", limit, said_after=after)]
    cut = datetime.fromisoformat(after)
    plain = _all_pages_plain(editor, None)
    later = {c["id"] for c in plain if datetime.fromisoformat(c["said_at"]) >= cut}
    assert got == [i for i in _expected(editor, ["alpha"]) if i in later]


@pytest.mark.parametrize("chunk", [16384, 2])
def test_edits_and_deletes_follow(
    editor: Api, admin: Api, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "FIRST_CHUNK", min(chunk, 64))
    monkeypatch.setattr(search, "CHUNK", chunk)
    with session_scope() as session:
        import_records(session, _corpus(30), OPERATOR)
    claims = _all_pages_plain(editor, None)
    first, second = claims[0], claims[1]
    r = editor.patch(
        f"/v1/claims/{first['id']}",
        json={"quote": "foxtrot", "said_at": "2020-03-11T18:30:00Z"},
        headers={"If-Match": f'"{first["version"]}"'},
    )
    assert r.status_code == 200, r.text
    assert [c["id"] for c in _all_pages(editor, "/v1/claims", "foxtrot", 5)] == [first["id"]]
    assert first["id"] not in [
        c["id"] for c in _all_pages(editor, "/v1/claims", first["quote"].split()[0], 5)
    ]
    r = admin.delete(f"/v1/claims/{second['id']}", params={"reason": "takedown"})
    assert r.status_code == 204, r.text
    word = second["quote"].split()[0]
    assert second["id"] not in [c["id"] for c in _all_pages(editor, "/v1/claims", word, 5)]
    assert _all_pages(editor, "/v1/claims", word, 5), "the other matches are still found"


def test_totals_are_counted_up_to_the_cap(editor: Api) -> None:
    with session_scope() as session:
        import_records(session, _corpus(40), OPERATOR)
    r = editor.get("/v1/claims", params={"q": "alpha", "include_total": "true", "limit": 2})
    assert r.json()["total"] == len(_expected(editor, ["alpha"]))
    assert TOTAL_CAP >= 10_000


def test_one_claims_full_text_row_is_a_seek() -> None:
    """SQLite: "does this claim match?" finds the claim's full-text row through the index of
    migration 0012 (without it, every row of the claim's second is read)."""
    from sqlalchemy import select

    from app.claims.models import Claim
    from app.db import get_engine

    if get_engine().dialect.name != "sqlite":
        pytest.skip("the full-text table is SQLite's")
    stmt = select(Claim.id).where(search.matches('"alpha"'))  # type: ignore[call-overload]
    with session_scope() as session:
        compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " ".join(str(r[-1]) for r in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "claim_fts_content USING COVERING INDEX ix_claim_fts_content_claim_id" in plan, plan


# Each database's strategies, as the constants that choose among them: SQLite's steps (first,
# growth cap, rounds, crowded-second cap); PostgreSQL's window and the GIN bound (a window of
# 1 and a bound of 0 always walk the ordering index; a bound of 10**6 always reads via GIN).
SQLITE_STRATEGIES = [(64, 16384, 7, 100_000), (1, 4, 3, 100_000), (1, 1, 1, 2), (2, 8, 2, 3)]
PG_STRATEGIES = [(1000, 2000), (1, 0), (1, 10**6), (3, 2), (50, 5)]


def _reference(filters: service.ClaimFilters) -> list[str]:
    """Every match's id in (said_at, id) order: the plain query, the planner's own plan."""
    with session_scope() as session:
        stmt = service.claim_query(session, filters).with_only_columns(col(Claim.id))
        return list(session.scalars(stmt.order_by(col(Claim.said_at), col(Claim.id))))


def _paged(filters: service.ClaimFilters, limit: int) -> list[str]:
    ids: list[str] = []
    cursor = None
    for _ in range(500):
        with session_scope() as session:
            items, cursor, _total = service.list_claims(
                session, filters, PageParams(limit, cursor, False)
            )
        ids += [r.id for r in items]
        assert len(items) <= limit
        if cursor is None:
            return ids
    raise AssertionError("did not end")


def test_every_strategy_pages_as_the_plain_query(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the database under test, each strategy (forced by its constants) returns the plain
    query's matches in its order, page after page, with other filters and incident scope."""
    with session_scope() as session:
        import_records(session, _corpus(90, seed=11), OPERATOR)
        incidents = list(session.scalars(select(Claim.incident_id).distinct()))  # type: ignore[call-overload]
    postgres = get_engine().dialect.name == "postgresql"

    @hypothesis.settings(max_examples=40, deadline=None, database=None)
    @hypothesis.given(
        strategy=st.sampled_from(PG_STRATEGIES if postgres else SQLITE_STRATEGIES),
        words=st.lists(st.sampled_from([*WORDS, "zulu"]), min_size=1, max_size=3),
        incident=st.sampled_from([None, *incidents]),
        after=st.sampled_from([None, "2020-03-11T17:01:00Z", "2020-03-11T17:02:00.250000Z"]),
        limit=st.integers(1, 8),
    )
    def agree(
        strategy: tuple[int, ...],
        words: list[str],
        incident: str | None,
        after: str | None,
        limit: int,
    ) -> None:
        if postgres:
            monkeypatch.setattr(search, "PG_WINDOW", strategy[0])
            monkeypatch.setattr(search, "PG_RARE", strategy[1])
        else:
            for name, value in zip(
                ("FIRST_CHUNK", "CHUNK", "ROUNDS", "SECOND_CAP"), strategy, strict=True
            ):
                monkeypatch.setattr(search, name, value)
            monkeypatch.setattr(search, "INCIDENT_ROUNDS", min(strategy[2], 2))
        filters = service.ClaimFilters(
            q=" ".join(words),
            incident_id=incident,
            said_after=datetime.fromisoformat(after) if after else None,
        )
        assert _paged(filters, limit) == _reference(filters)

    agree()


def test_postgres_planner_settings_are_put_back() -> None:
    """The strategies' planner settings end with the search: later statements of the
    transaction are planned as configured."""
    if get_engine().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner settings")
    with session_scope() as session:
        import_records(session, _corpus(10), OPERATOR)
    names = ("enable_seqscan", "enable_indexscan", "enable_bitmapscan", "jit")
    with session_scope() as session:
        before = [session.scalar(text(f"SHOW {name}")) for name in names]
        for q in ("alpha", "zulu"):
            service.list_claims(session, service.ClaimFilters(q=q), PageParams(2, None, False))
            assert [session.scalar(text(f"SHOW {name}")) for name in names] == before
