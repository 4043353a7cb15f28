"""The in-process cache of sources and actors (with their ancestors) used by views: rows are
read once per epoch, and any committed write, from any process, is seen at the next read."""

from __future__ import annotations

from sqlalchemy import text

from app.db import get_engine, session_scope
from app.sources.models import Source
from app.views import ancestry
from tests.factories import Api, new_source


def _names(ids: list[str]) -> dict[str, str]:
    with session_scope() as session:
        return {k: v.name for k, v in ancestry.with_ancestors(session, Source, ids).items()}


def test_rows_come_from_memory_until_the_epoch_moves(editor: Api) -> None:
    ancestry.clear()
    parent = new_source(editor, name="Wire group")
    child = new_source(editor, name="Wire Baghdad", parent_id=parent["id"])
    assert _names([child["id"]]) == {child["id"]: "Wire Baghdad", parent["id"]: "Wire group"}
    misses = ancestry.stats["misses"]
    assert _names([child["id"]])[parent["id"]] == "Wire group"
    assert ancestry.stats["misses"] == misses, "the second read is served from memory"

    # Through the API: the write bumps the epoch in its own transaction.
    r = editor.patch(f"/v1/sources/{parent['id']}", json={"name": "Wire holding"})
    assert r.status_code == 200, r.text
    assert _names([child["id"]])[parent["id"]] == "Wire holding"

    # Another process (here: a bare connection) changes a row and bumps the epoch: seen too.
    with get_engine().begin() as conn:
        conn.execute(
            text("UPDATE source SET name = 'Wire intl' WHERE id = :i"), {"i": parent["id"]}
        )
        conn.execute(text("UPDATE view_version SET n = n + 1 WHERE scope = '*'"))
    assert _names([child["id"]])[parent["id"]] == "Wire intl"


def test_a_session_that_wrote_sources_bypasses_the_cache(editor: Api) -> None:
    ancestry.clear()
    source = new_source(editor, name="Agency")
    assert _names([source["id"]]) == {source["id"]: "Agency"}
    with session_scope() as session:
        row = session.get(Source, source["id"])
        assert row is not None
        row.name = "Agency (renamed, not committed)"
        seen = ancestry.with_ancestors(session, Source, [source["id"]])
        assert seen[source["id"]].name == "Agency (renamed, not committed)"
        session.rollback()
    assert _names([source["id"]]) == {source["id"]: "Agency"}, "nothing uncommitted was kept"
