"""Cursor pagination: limits, cursors, totals, stability under concurrent inserts."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st

from tests.factories import Api, new_incident, stored_claim, stored_incident, stored_source


def test_pages_cover_everything_once_even_with_inserts(editor: Api) -> None:
    inc = {"id": stored_incident()}
    src = {"id": stored_source()}
    for hour in range(10, 22):
        stored_claim(inc["id"], src["id"], said_at=f"2020-03-11T{hour:02d}:00:00Z")
    seen: list[str] = []
    r = editor.get(
        f"/v1/incidents/{inc['id']}/claims", params={"limit": 5, "include_total": "true"}
    )
    assert r.json()["total"] == 12
    page = r.json()
    seen += [c["said_at"] for c in page["items"]]
    # a claim inserted *before* the cursor position must not shift the next pages
    stored_claim(inc["id"], src["id"], said_at="2020-03-11T09:00:00Z")
    while page["next_cursor"]:
        r = editor.get(
            f"/v1/incidents/{inc['id']}/claims", params={"limit": 5, "cursor": page["next_cursor"]}
        )
        assert r.status_code == 200
        page = r.json()
        assert page["total"] is None
        seen += [c["said_at"] for c in page["items"]]
    assert seen == [f"2020-03-11T{h:02d}:00:00Z" for h in range(10, 22)]


def test_ties_on_said_at_are_broken_by_id(editor: Api) -> None:
    inc = {"id": stored_incident()}
    src = stored_source()
    ids = [stored_claim(inc["id"], src) for _ in range(7)]
    got: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = editor.get(f"/v1/incidents/{inc['id']}/claims", params=params).json()
        got += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert got == sorted(ids)


@pytest.mark.parametrize("limit", ["0", "501", "-1", "ten"])
def test_limit_out_of_range(editor: Api, limit: str) -> None:
    r = editor.get("/v1/sources", params={"limit": limit})
    assert r.status_code == 422
    assert r.json()["errors"][0]["parameter"] == "limit"


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        base64.urlsafe_b64encode(b"[1,2,3]").decode(),
        base64.urlsafe_b64encode(b'{"a": 1}').decode(),
        base64.urlsafe_b64encode(b'["not-a-date", "x"]').decode(),
        "%%%",
        base64.urlsafe_b64encode(b"5").decode(),  # JSON, but not a list
        # the right kinds, one value too many
        base64.urlsafe_b64encode(b'["2020-03-11T18:00:00+00:00", "x", "y"]').decode(),
    ],
)
def test_malformed_cursor_is_400(editor: Api, cursor: str) -> None:
    inc = new_incident(editor)
    r = editor.get(f"/v1/incidents/{inc['id']}/claims", params={"cursor": cursor})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {k: v for k, v in body.items() if k not in ("instance", "request_id")} == {
        "type": "https://claimdesk.dev/problems/bad-request",
        "title": "Bad request",
        "status": 400,
        "detail": "cursor: malformed or from another list; start again without a cursor",
        "errors": [{"parameter": "cursor", "detail": "malformed cursor"}],
    }


def test_limit_500_is_allowed_and_default_is_50(editor: Api) -> None:
    for i in range(55):
        stored_source(name=f"Source {i:03d}")
    r = editor.get("/v1/sources")
    assert len(r.json()["items"]) == 50
    assert r.json()["next_cursor"]
    r = editor.get("/v1/sources", params={"limit": 500})
    assert len(r.json()["items"]) == 55
    assert r.json()["next_cursor"] is None


def test_a_page_that_ends_exactly_at_the_last_row_has_no_next_cursor(editor: Api) -> None:
    """Four rows, two per page: the second page is the last one (no empty third page)."""
    for name in ("A", "B", "C", "D"):
        stored_source(name=name)
    first = editor.get("/v1/sources", params={"limit": 2}).json()
    assert [s["name"] for s in first["items"]] == ["A", "B"] and first["next_cursor"]
    second = editor.get("/v1/sources", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [s["name"] for s in second["items"]] == ["C", "D"]
    assert second["next_cursor"] is None
    whole = editor.get("/v1/sources", params={"limit": 4}).json()
    assert len(whole["items"]) == 4 and whole["next_cursor"] is None


@hypothesis.given(
    st.lists(
        st.one_of(
            st.integers(-(2**53), 2**53),
            st.floats(allow_nan=False, allow_infinity=False),
            st.text(max_size=20),
            st.datetimes(timezones=st.just(UTC)),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_cursor_round_trip_for_every_key_kind(values: list[Any]) -> None:
    """Every kind of sort key a cursor can carry (str, int, float, datetime) comes back
    equal and of its kind; a value of the wrong kind is a 400, not a wrong page."""
    from app.errors import BadRequest
    from app.pagination import decode_cursor, encode_cursor

    kinds = [datetime if isinstance(v, datetime) else type(v) for v in values]
    decoded = decode_cursor(encode_cursor(values), kinds)
    assert decoded == values
    assert [type(v) for v in decoded] == [type(v) for v in values]
    wrong = [int if k in (str, datetime) else str for k in kinds]
    with pytest.raises(BadRequest):
        decode_cursor(encode_cursor(values), wrong)


def test_a_page_reads_one_row_more_than_it_shows(editor: Api) -> None:
    """Keyset pagination reads ``limit + 1`` rows (the extra one says whether there is a next
    page), never the rest of the list: on a list of a million claims that is the difference
    between a page and the whole table."""
    from sqlalchemy import event

    from app.db import get_engine

    for name in ("A", "B", "C", "D", "E"):
        stored_source(name=name)
    limits: list[Any] = []

    def record(conn: object, cursor: object, statement: str, parameters: Any, *a: object) -> None:
        words = statement.split()
        if words[0] == "SELECT" and "source" in words and "LIMIT" in words:
            limits.append(parameters)

    event.listen(get_engine(), "before_cursor_execute", record)
    try:
        page = editor.get("/v1/sources", params={"limit": 2}).json()
    finally:
        event.remove(get_engine(), "before_cursor_execute", record)
    assert [s["name"] for s in page["items"]] == ["A", "B"] and page["next_cursor"]
    assert limits, "no paged SELECT on source"
    assert all(3 in (p.values() if isinstance(p, dict) else p) for p in limits), limits
