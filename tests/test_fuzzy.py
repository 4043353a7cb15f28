"""Name search forgives typos and knows aliases (pg_trgm on PostgreSQL, rapidfuzz on SQLite);
creating a source or actor that closely matches a registered one lists the candidates."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import is_postgres
from tests.factories import Api, new_actor, new_source


@pytest.fixture
def registry(editor: Api) -> dict[str, dict[str, object]]:
    return {
        "stripes": new_source(
            editor, name="Stars and Stripes", country="US", aliases=["Stripes", "S&S"]
        ),
        "presstv": new_source(editor, name="Press TV", aliases=["PressTV"]),
        "reuters": new_source(editor, name="Reuters", country="GB"),
        "kh": new_actor(
            editor, name="Kata'ib Hezbollah", kind="armed_group", aliases=["Kataib Hizballah", "KH"]
        ),
        "iran": new_actor(editor),
    }


def names(r: httpx.Response) -> list[str]:
    return [i["name"] for i in r.json()["items"]]


def test_search_finds_typos_case_and_aliases(viewer: Api, registry: dict[str, object]) -> None:
    if is_postgres():
        from app.db import session_scope
        from app.fuzzy import has_trigram

        with session_scope(write=False) as session:
            assert has_trigram(session)  # the migration installed pg_trgm
    for query in ("stars and stripes", "Stars and Strpes", "stripes and stars", "stripes"):
        r = viewer.get("/v1/sources", params={"name": query})
        assert r.status_code == 200, r.text
        assert names(r)[:1] == ["Stars and Stripes"], (query, names(r))
    assert names(viewer.get("/v1/sources", params={"name": "presstv"}))[:1] == ["Press TV"]
    assert names(viewer.get("/v1/sources", params={"name": "Al Jazeera"})) == []
    hits = names(viewer.get("/v1/actors", params={"name": "kataib hizbollah"}))
    assert hits[:1] == ["Kata'ib Hezbollah"]


def test_creating_a_near_duplicate_lists_candidates(
    editor: Api, registry: dict[str, dict[str, object]]
) -> None:
    r = editor.post("/v1/sources", json={"name": "Stars & Stripes", "kind": "outlet"})
    assert r.status_code == 201
    dupes = r.json()["possible_duplicates"]
    assert [d["id"] for d in dupes] == [registry["stripes"]["id"]]
    assert 0 < dupes[0]["score"] <= 1
    r = editor.post("/v1/sources", json={"name": "Presstv", "kind": "outlet"})
    assert [d["name"] for d in r.json()["possible_duplicates"]] == ["Press TV"]
    fresh = editor.post("/v1/sources", json={"name": "Al Jazeera", "kind": "outlet"})
    assert fresh.json()["possible_duplicates"] == []
    actor = editor.post(
        "/v1/actors", json={"name": "Kataib Hezbollah", "kind": "armed_group"}
    ).json()
    assert [d["name"] for d in actor["possible_duplicates"]] == ["Kata'ib Hezbollah"]
    # the stored source is the plain public shape
    again = editor.get(f"/v1/sources/{fresh.json()['id']}").json()
    assert "possible_duplicates" not in again
