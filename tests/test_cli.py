"""The claimdesk command and the Camp Taji demo data set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.conftest import row_counts, sqlite_made_elsewhere
from tests.factories import Api

runner = CliRunner()


def test_keys_create_prints_key_alone_on_last_line(app_client: object) -> None:
    result = runner.invoke(cli, ["keys", "create", "--name", "desk", "--role", "editor"])
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("cdk_") and " " not in key and len(key) > 40
    from fastapi.testclient import TestClient

    assert isinstance(app_client, TestClient)
    r = app_client.post(
        "/v1/sources",
        json={"name": "x", "kind": "outlet"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert r.status_code == 201


def test_keys_create_rejects_unknown_role() -> None:
    result = runner.invoke(cli, ["keys", "create", "--name", "desk", "--role", "owner"])
    assert result.exit_code != 0
    assert row_counts()["api_key"] == 0


def test_db_upgrade_on_a_new_sqlite_file(tmp_path: Path, settings_env: pytest.MonkeyPatch) -> None:
    """The migrations make the new file with the service's 16 KiB pages even when the process's
    engine is already built on another database (here the suite's), so that the migrations'
    own engine is the first to open the file."""
    from app.db import get_engine

    get_engine()
    url = f"sqlite:///{tmp_path / 'new.db'}"
    settings_env.setenv("CLAIMDESK_DATABASE_URL", url)
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        topics = conn.execute(text("SELECT COUNT(*) FROM topic WHERE builtin = 1")).scalar_one()
        pages = conn.execute(text("PRAGMA page_size")).scalar_one()
    engine.dispose()
    assert topics == 8  # the seven of the spec and the casualties total
    assert pages == 16384  # app.db.SQLITE_PAGE_SIZE: the file is new
    current = runner.invoke(cli, ["db", "current", "--database-url", url])
    assert current.exit_code == 0, current.output
    assert "code:" in current.output and "SQLite pages" not in current.output


def test_db_current_names_an_older_files_page_size(
    tmp_path: Path, settings_env: pytest.MonkeyPatch
) -> None:
    """A file made before 16 KiB pages keeps its 4 KiB after ``db upgrade``; ``db current``
    says so and where the conversion is documented."""
    path = tmp_path / "old.db"
    sqlite_made_elsewhere(path).close()
    url = f"sqlite:///{path}"  # --database-url: the CLI forgets the suite's cached engine
    assert runner.invoke(cli, ["db", "upgrade", "--database-url", url]).exit_code == 0
    current = runner.invoke(cli, ["db", "current", "--database-url", url])
    assert current.exit_code == 0, current.output
    assert "SQLite pages: 4096 bytes" in current.output
    assert "docs/operations.md" in current.output


def test_commands_refuse_a_stale_schema(tmp_path: Path, settings_env: pytest.MonkeyPatch) -> None:
    from app.db import reset_engine

    (tmp_path / "empty.db").touch()  # exists, but has no schema
    settings_env.setenv("CLAIMDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    reset_engine()
    try:
        result = runner.invoke(cli, ["keys", "create", "--name", "x", "--role", "viewer"])
        assert result.exit_code == 1
        assert "claimdesk db upgrade" in result.output
        result = runner.invoke(cli, ["serve", "--port", "1"])
        assert result.exit_code == 1
        assert "claimdesk db upgrade" in result.output
    finally:
        settings_env.delenv("CLAIMDESK_DATABASE_URL")
        from app.config import get_settings

        get_settings.cache_clear()
        reset_engine()


def test_import_reports_line_numbers_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_text(
        '{"type": "source", "external_id": "s1", "name": "Press TV", "kind": "outlet"}\n'
        '{"type": "source", "external_id": "s2", "name": "X", "kind": "blog"}\n'
        "not json\n"
        '{"type": "claim", "external_id": "c1", "incident_external_id": "missing"}\n'
    )
    before = row_counts()
    result = runner.invoke(cli, ["import", str(path)])
    assert result.exit_code == 1
    assert "line 2: /kind" in result.output
    assert "line 3" in result.output
    assert "line 4: /incident_external_id" in result.output
    assert row_counts() == before


def test_an_import_the_database_refuses_is_one_line_and_exit_code_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A conflict found while writing (here: an external id the lookup was made to miss, as
    when another writer commits it meanwhile) is one line on stderr, no traceback."""
    from app.imports import service

    path = tmp_path / "twice.ndjson"
    line = '{"type": "incident", "external_id": "i-1", "title": "Rockets"}\n'
    path.write_text(line)
    assert runner.invoke(cli, ["import", "--quiet", str(path)]).exit_code == 0
    before = row_counts()
    monkeypatch.setattr(service._Resolver, "lookup", lambda *args: None)
    result = runner.invoke(cli, ["import", "--quiet", str(path)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "nothing was imported" in result.stderr
    assert "Traceback" not in result.output
    assert row_counts() == before


def test_demo_load_is_idempotent_and_reads_right(viewer: Api) -> None:
    first = runner.invoke(cli, ["demo", "load"])
    assert first.exit_code == 0, first.output
    counts = row_counts()
    assert counts["claim"] >= 30
    second = runner.invoke(cli, ["demo", "load"])
    assert second.exit_code == 0
    assert row_counts() == counts

    incidents = viewer.get("/v1/incidents", params={"limit": 100}).json()["items"]
    taji = next(i for i in incidents if i["external_id"] == "inc-camp-taji-2020-03-11")
    assert taji["occurred_earliest"].startswith("2020-03-11T16:35")
    assert taji["timezone"] == "Asia/Baghdad"
    assert taji["local_time_text"] == "7:35 p.m. Iraq time"
    assert taji["country"] == "IQ"
    assert taji["claim_count"] >= 15

    timeline = viewer.get(f"/v1/incidents/{taji['id']}/claims", params={"limit": 500}).json()[
        "items"
    ]
    said = [c["said_at"] for c in timeline]
    assert said == sorted(said)
    sources = {s["id"]: s for s in viewer.get("/v1/sources", params={"limit": 500}).json()["items"]}
    by_name = {s["name"]: s for s in sources.values()}
    assert by_name["Press TV"]["affiliation"] == "Iranian state media"
    presstv = by_name["Press TV"]["id"]
    # Press TV: "no immediate reports about anyone wounded" -- no one hurt, not a death toll
    press_hurt = [c for c in timeline if c["source_id"] == presstv and c["topic"] == "casualties"]
    assert press_hurt and press_hurt[0]["value"]["bound"] == "none_reported"
    assert not [
        c for c in timeline if c["source_id"] == presstv and c["topic"] == "casualties.killed"
    ]
    counts_ = [c for c in timeline if c["topic"] == "munitions.count" and c["source_id"] == presstv]
    assert counts_[0]["value"] == {
        "kind": "quantity",
        "bound": "approximately",
        "low": 9,
        "best": 11,
        "high": 12,
    }
    killed = [c for c in timeline if c["topic"] == "casualties.killed" and c["via_source_id"]]
    assert {json.dumps(c["qualifiers"], sort_keys=True): c["value"]["best"] for c in killed} == {
        "{}": 3,
        '{"nationality": "US"}': 2,
        '{"nationality": "GB"}': 1,
    }
    assert all(sources[c["via_source_id"]]["name"] == "Stars and Stripes" for c in killed)
    assert all(c["speaker"] == "a security official" for c in killed)
    for claim in timeline:
        assert claim["links"][0]["url"].startswith("https://www.mideastcenter.org/post/")
        assert claim["quote"]


def test_the_demo_loads_ready_made(viewer: Api) -> None:
    """As an analyst would see it after a day's work: reliabilities learned by the engine's
    recompute, and the views (and each incident's stored flags) computed with them."""
    assert runner.invoke(cli, ["demo", "load"]).exit_code == 0
    sources = viewer.get("/v1/sources", params={"limit": 500}).json()["items"]
    assert sources and all(s["reliability"] is not None for s in sources)
    learned = {s["id"]: s["reliability"] for s in sources}
    assert len(set(learned.values())) > 1  # learned from the corpus, not one default
    taji = viewer.get("/v1/incidents", params={"external_id": "inc-camp-taji-2020-03-11"})
    base = f"/v1/incidents/{taji.json()['items'][0]['id']}"
    assessment = viewer.get(f"{base}/assessment").json()
    used = {
        x["source"]["id"]: x["reliability"] for t in assessment["topics"] for x in t["explanation"]
    }
    assert used and all(abs(r - learned[s]) < 1e-6 for s, r in used.items())
    assert not any(c["probability"] == 0.5 for t in assessment["topics"] for c in t["candidates"])
    # what the analyst sees: no source pushed below its prior by agreement alone, and every
    # source says the attack happened
    assert all(s["reliability"] >= s["reliability_prior"] for s in sources)
    occurred = next(t for t in assessment["topics"] if t["topic"] == "occurred")
    assert occurred["candidates"][0]["probability"] >= 0.8
    # the views used the model the recompute learned (each topic's domain size), and a second
    # recompute learns the same
    again = runner.invoke(cli, ["reliability", "recompute", "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["topics"] >= 5
    assert viewer.get(f"{base}/assessment").json() == assessment
    # re-loading changes nothing, not even when the reliabilities were learned
    from sqlalchemy import text

    from app.db import get_engine

    def stamps() -> list[tuple[str, object]]:
        with get_engine().connect() as conn:
            rows = conn.execute(text("SELECT id, reliability_updated_at FROM source ORDER BY id"))
            return [(r[0], r[1]) for r in rows]

    before = stamps()
    assert all(at is not None for _, at in before)
    assert runner.invoke(cli, ["demo", "load"]).exit_code == 0
    assert stamps() == before


def test_import_waits_for_the_checkpoint_its_commit_left(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``claimdesk import`` ends once the WAL its commit left is in the database file
    (:class:`app.db.Checkpoints`), so the file is left as the commit's own checkpoint left it."""
    from app import db

    waited: list[bool] = []
    monkeypatch.setattr(db.CHECKPOINTS, "wait", lambda: waited.append(True))
    path = tmp_path / "one.ndjson"
    path.write_text('{"type": "source", "external_id": "s1", "name": "X", "kind": "outlet"}\n')
    result = runner.invoke(cli, ["import", str(path)])
    assert result.exit_code == 0, result.output
    assert waited == [True]
