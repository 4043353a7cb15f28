"""Export: NDJSON re-imports into an empty database; CSV has one row per claim."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from typer.testing import CliRunner

from app.cli import cli
from tests.conftest import row_counts, wipe
from tests.factories import Api, make_key, new_claim, new_incident, new_source

runner = CliRunner()


def conflicts_summary(api: Api) -> dict[str, list[str]]:
    inc = api.get("/v1/incidents", params={"external_id": "inc-camp-taji-2020-03-11"}).json()
    view = api.get(f"/v1/incidents/{inc['items'][0]['id']}/conflicts").json()
    return {
        t["topic"] + json.dumps(t["qualifiers"], sort_keys=True): sorted(
            g["value"]["label"] for g in t["groups"]
        )
        for t in view["topics"]
    }


def test_ndjson_export_round_trips(viewer: Api, editor: Api) -> None:
    assert runner.invoke(cli, ["demo", "load"]).exit_code == 0
    claim = viewer.get("/v1/claims", params={"limit": 1}).json()["items"][0]
    editor.post(f"/v1/claims/{claim['id']}/retract", json={"reason": "test"})
    before_counts = row_counts()
    before_view = conflicts_summary(viewer)
    r = viewer.get("/v1/export")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/x-ndjson")
    lines = r.text.splitlines()
    assert (
        len(lines)
        == 1  # the demo's munitions.type taxonomy
        + before_counts["source"]
        + before_counts["actor"]
        + before_counts["incident"]
        + before_counts["claim"]
    )
    records = [json.loads(line) for line in lines]
    assert [r["type"] for r in records] == sorted(
        (r["type"] for r in records), key=["topic", "source", "actor", "incident", "claim"].index
    )
    assert records[0]["categories"] == [
        {"value": "rocket", "parent": None},
        {"value": "small rocket", "parent": "rocket"},
        {"value": "katyusha rocket", "parent": "small rocket"},
    ]
    wipe()
    viewer.key = make_key("viewer")  # the wipe took the keys too
    from app.db import session_scope
    from app.imports.service import import_records
    from app.principal import OPERATOR

    with session_scope() as session:
        report = import_records(session, lines, OPERATOR)
    assert report.created == {
        "topic": 1,
        "source": before_counts["source"],
        "actor": before_counts["actor"],
        "incident": before_counts["incident"],
        "claim": before_counts["claim"],
    }
    assert conflicts_summary(viewer) == before_view
    statuses = [
        c["status"] for c in viewer.get("/v1/claims", params={"limit": 500}).json()["items"]
    ]
    assert statuses.count("retracted") == 1


def test_csv_export_and_cli(editor: Api) -> None:
    inc = new_incident(editor)
    src = new_source(editor, name="Press, TV")
    new_claim(
        editor,
        inc["id"],
        src["id"],
        quote='He said "nearly a dozen",\\nthen left',
        links=[{"url": "https://a.example/1"}, {"url": "https://b.example/2"}],
    )
    r = editor.get("/v1/export", params={"format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["source_name"] == "Press, TV"
    assert row["quote"] == 'He said "nearly a dozen",\\nthen left'
    assert row["bound"] == "approximately" and float(row["best"]) == 11
    assert row["links"] == "https://a.example/1 https://b.example/2"
    assert row["incident_title"] == "Rocket attack on Camp Taji"
    result = runner.invoke(cli, ["export", "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("id,external_id,incident_id")
    assert runner.invoke(cli, ["export", "--format", "xml"]).exit_code == 2  # a usage error
    assert editor.get("/v1/export", params={"format": "xml"}).status_code == 422


def test_import_endpoint(editor: Api, admin: Api, viewer: Api) -> None:
    from app.demo.service import demo_lines

    body = ("\n".join(demo_lines()) + "\n").encode()
    headers = {"Content-Type": "application/x-ndjson"}
    # the demo declares a taxonomy on munitions.type: changing a topic needs an admin
    r = editor.client.post("/v1/import", content=body, headers=editor.headers(headers))
    assert r.status_code == 403 and "line 1" in r.json()["detail"]
    assert row_counts()["claim"] == 0
    r = admin.client.post("/v1/import", content=body, headers=admin.headers(headers))
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["created"]["claim"] == row_counts()["claim"] > 30
    assert first["created"]["topic"] == 1
    # re-importing changes nothing, so an editor may
    again = editor.client.post("/v1/import", content=body, headers=editor.headers(headers)).json()
    assert again["created"] == {} and again["unchanged"] == first["created"]
    before = row_counts()
    bad = (
        b'{"type": "source", "external_id": "new-1", "name": "New", "kind": "outlet"}\n'
        b'{"type": "claim", "external_id": "c-x", "incident_external_id": "nope"}\n'
    )
    r = editor.client.post("/v1/import", content=bad, headers=editor.headers(headers))
    assert r.status_code == 422
    assert r.json()["errors"][0]["line"] == 2
    assert r.json()["errors"][0]["pointer"] == "/incident_external_id"
    assert row_counts() == before
    r = editor.client.post("/v1/import", content=b"\xff\xfe", headers=editor.headers(headers))
    assert r.status_code == 400
    r = viewer.client.post("/v1/import", content=bad, headers=viewer.headers(headers))
    assert r.status_code == 403


def test_export_puts_parents_first_after_re_parenting(editor: Api) -> None:
    child = new_source(editor, name="Spokesman", kind="official", country=None)
    parent = new_source(editor, name="Coalition", kind="organisation", country=None)
    editor.patch(f"/v1/sources/{child['id']}", json={"parent_id": parent["id"]})
    lines = editor.get("/v1/export").text.splitlines()
    names = [json.loads(line)["name"] for line in lines]
    assert names.index("Coalition") < names.index("Spokesman")
    wipe()
    from app.db import session_scope
    from app.imports.service import import_records
    from app.principal import OPERATOR

    with session_scope() as session:
        assert import_records(session, lines, OPERATOR).created == {"source": 2}


def test_imported_recorded_at_drives_as_of(editor: Api) -> None:
    """A back-filled claim says when the desk learnt it; ``as_of`` before then hides it."""
    headers = editor.headers({"Content-Type": "application/x-ndjson"})
    lines: list[dict[str, Any]] = [
        {"type": "source", "external_id": "s", "name": "Briefer", "kind": "official"},
        {
            "type": "incident",
            "external_id": "i",
            "title": "Series",
            "occurred_earliest": "2019-12-01T00:00:00Z",
            "occurred_latest": "2019-12-01T00:00:00Z",
        },
        {
            "type": "claim",
            "external_id": "c",
            "incident_external_id": "i",
            "source_external_id": "s",
            "said_at": "2019-12-05T12:00:00Z",
            "quote": "a good chance",
            "topic": "occurred",
            "value": {"kind": "statement"},
            "links": [{"url": "https://example.org/a"}],
            "recorded_at": "2020-03-11T20:45:00Z",
        },
    ]
    body = "\n".join(json.dumps(x) for x in lines).encode()
    r = editor.client.post("/v1/import", content=body, headers=headers)
    assert r.status_code == 200, r.text
    claim = editor.get("/v1/claims", params={"external_id": "c"}).json()["items"][0]
    assert (claim["said_at"], claim["recorded_at"]) == (
        "2019-12-05T12:00:00Z",
        "2020-03-11T20:45:00Z",
    )
    inc = claim["incident_id"]
    said_not_known = editor.get(
        f"/v1/incidents/{inc}/claims", params={"as_of": "2020-01-01T00:00:00Z"}
    )
    assert said_not_known.json()["items"] == []
    known = editor.get(f"/v1/incidents/{inc}/claims", params={"as_of": "2020-03-12T00:00:00Z"})
    assert [c["id"] for c in known.json()["items"]] == [claim["id"]]
    lines[2] = {**lines[2], "external_id": "c2", "recorded_at": "2019-12-01T00:00:00Z"}
    body = "\n".join(json.dumps(x) for x in lines).encode()
    r = editor.client.post("/v1/import", content=body, headers=headers)
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "line": 3,
        "pointer": "/recorded_at",
        "detail": "must not be before said_at",
    }
