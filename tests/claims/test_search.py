"""``q=`` pages through every match in (said_at, id) order, exactly as a full scan would,
while stopping at the page (ties in one second, cursors, incident scope, edits, totals)."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from app.claims import search
from app.claims.search import TOTAL_CAP
from app.db import session_scope
from app.imports.service import import_records
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
