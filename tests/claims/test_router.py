"""Claims: values, references, timeline order, filters, as_of, links, PATCH."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import row_counts
from tests.factories import Api, new_actor, new_claim, new_incident, new_source


@pytest.fixture
def world(editor: Api) -> dict[str, Any]:
    return {
        "incident": new_incident(editor),
        "presstv": new_source(editor, name="Press TV"),
        "stripes": new_source(editor, name="Stars and Stripes", country="US"),
        "official": new_source(editor, name="a security official", kind="official", country=None),
        "iran": new_actor(editor),
    }


def test_claim_round_trip(editor: Api, world: dict[str, Any]) -> None:
    body = new_claim(
        editor,
        world["incident"]["id"],
        world["official"]["id"],
        via_source_id=world["stripes"]["id"],
        speaker="a security official",
        said_at="2020-03-12T00:00:00+03:00",
        quote="Two Americans and one Briton were killed",
        topic="casualties.killed",
        qualifiers={"nationality": "US"},
        value={"kind": "quantity", "bound": "exact", "best": 2},
        language="EN-gb",
        links=[
            {"url": "https://www.stripes.com/x", "kind": "original", "title": "Stripes"},
            {"url": "https://web.archive.org/web/2020/x", "kind": "archive"},
        ],
        tags=["Taji"],
        external_id="clm-1",
    )
    assert body["said_at"] == "2020-03-11T21:00:00Z"
    assert body["value"] == {
        "kind": "quantity",
        "bound": "exact",
        "low": None,
        "best": 2,
        "high": None,
    }
    assert body["qualifiers"] == {"nationality": "US"}
    assert body["language"] == "en-GB"
    assert body["via_source_id"] == world["stripes"]["id"]
    assert [link["kind"] for link in body["links"]] == ["original", "archive"]
    assert body["links"][0]["http_status"] is None
    assert body["status"] == "active"
    assert body["stance"] == "asserts"
    assert body["tags"] == ["taji"]
    assert editor.get(f"/v1/claims/{body['id']}").json() == body


def _claim_body(world: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "incident_id": world["incident"]["id"],
        "source_id": world["presstv"]["id"],
        "said_at": "2020-03-11T18:00:00Z",
        "quote": "q",
        "topic": "munitions.count",
        "value": {"kind": "quantity", "bound": "exact", "best": 12},
    } | fields


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"value": {"kind": "quantity", "bound": "range", "low": 12, "high": 9}}, "/value"),
        (
            {
                "value": {
                    "kind": "quantity",
                    "bound": "approximately",
                    "low": 12,
                    "best": 10,
                    "high": 15,
                }
            },
            "/value",
        ),
        ({"value": {"kind": "quantity", "bound": "more_than"}}, "/value"),
        ({"value": {"kind": "quantity", "bound": "exact", "best": -1}}, "/value/best"),
        ({"value": {"kind": "quantity", "bound": "none_reported", "best": 0}}, "/value"),
        ({"value": {"kind": "quantity", "bound": "roughly", "best": 1}}, "/value/bound"),
        ({"value": {"kind": "category", "category": "rocket"}}, "/value/kind"),
        ({"value": {"kind": "colour"}}, "/value"),
        ({"confidence": 1.01}, "/confidence"),
        ({"confidence": -0.5}, "/confidence"),
        ({"said_at": "1969-12-31T23:59:59Z"}, "/said_at"),
        ({"said_at": "2020-03-11T18:00:00"}, "/said_at"),
        ({"said_at": "yesterday"}, "/said_at"),
        ({"language": "english"}, "/language"),
        ({"language": "qq"}, "/language"),
        ({"stance": "maybe"}, "/stance"),
        ({"status": "deleted"}, "/status"),
        ({"said_at_precision": "second"}, "/said_at_precision"),
        ({"topic": "weather"}, "/topic"),
        ({"incident_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "/incident_id"),
        ({"source_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "/source_id"),
        ({"via_source_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "/via_source_id"),
        ({"cites_claim_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "/cites_claim_id"),
        ({"links": [{"url": "javascript:alert(1)"}]}, "/links/0/url"),
        ({"links": [{"url": "https://x.org", "kind": "copy"}]}, "/links/0/kind"),
        ({"qualifiers": {"Nationality": "US"}}, "/qualifiers/Nationality"),
        ({"quote": ""}, "/quote"),
        ({"version": 3}, "/version"),
    ],
)
def test_invalid_claims(
    editor: Api, world: dict[str, Any], fields: dict[str, Any], pointer: str
) -> None:
    before = row_counts()
    r = editor.post("/v1/claims", json=_claim_body(world, **fields))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    pointers = [e.get("pointer") for e in r.json()["errors"]]
    assert any(p is not None and p.startswith(pointer) for p in pointers), pointers
    assert row_counts() == before


def test_actor_value_must_exist(editor: Api, world: dict[str, Any]) -> None:
    r = editor.post(
        "/v1/claims",
        json=_claim_body(
            world,
            topic="responsibility",
            value={"kind": "actor", "actor_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        ),
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/value/actor_id"
    ok = editor.post(
        "/v1/claims",
        json=_claim_body(
            world,
            topic="responsibility",
            value={"kind": "actor", "actor_id": world["iran"]["id"]},
            stance="denies",
        ),
    )
    assert ok.status_code == 201
    assert ok.json()["value"] == {"kind": "actor", "actor_id": world["iran"]["id"]}
    assert ok.json()["stance"] == "denies"


def test_category_is_normalised(editor: Api, world: dict[str, Any]) -> None:
    c = new_claim(
        editor,
        world["incident"]["id"],
        world["presstv"]["id"],
        topic="munitions.type",
        value={"kind": "category", "category": "  Katyusha   ROCKET "},
    )
    assert c["value"] == {"kind": "category", "category": "katyusha rocket"}


def test_via_must_differ_from_source(editor: Api, world: dict[str, Any]) -> None:
    r = editor.post("/v1/claims", json=_claim_body(world, via_source_id=world["presstv"]["id"]))
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/via_source_id"


def test_timeline_is_in_said_at_order(editor: Api, world: dict[str, Any]) -> None:
    inc = world["incident"]["id"]
    late = new_claim(editor, inc, world["stripes"]["id"], said_at="2020-03-11T21:00:00Z")
    early = new_claim(editor, inc, world["presstv"]["id"], said_at="2020-03-11T18:00:00Z")
    middle = new_claim(editor, inc, world["presstv"]["id"], said_at="2020-03-11T19:00:00Z")
    other = new_incident(editor, title="other")
    new_claim(editor, other["id"], world["presstv"]["id"], said_at="2020-03-11T17:00:00Z")
    r = editor.get(f"/v1/incidents/{inc}/claims")
    assert r.status_code == 200
    assert [c["id"] for c in r.json()["items"]] == [early["id"], middle["id"], late["id"]]
    assert r.json()["next_cursor"] is None
    assert editor.get("/v1/incidents/01ARZ3NDEKTSV4RRFFQ69G5FAV/claims").status_code == 404


def test_claim_filters(editor: Api, world: dict[str, Any]) -> None:
    inc = world["incident"]["id"]
    a = new_claim(
        editor, inc, world["presstv"]["id"], said_at="2020-03-11T18:00:00Z", tags=["inferred"]
    )
    b = new_claim(
        editor,
        inc,
        world["official"]["id"],
        via_source_id=world["stripes"]["id"],
        said_at="2020-03-11T21:00:00Z",
        topic="casualties.killed",
        value={"kind": "quantity", "bound": "exact", "best": 3},
        language="ar",
    )
    c = new_claim(
        editor,
        inc,
        world["stripes"]["id"],
        said_at="2020-03-11T22:00:00Z",
        topic="occurred",
        value={"kind": "statement", "text": "it happened"},
        stance="denies",
    )

    def ids(query: str) -> list[str]:
        r = editor.get(f"/v1/claims?incident_id={inc}&{query}")
        assert r.status_code == 200, r.text
        return [x["id"] for x in r.json()["items"]]

    assert ids(f"source_id={world['stripes']['id']}") == [b["id"], c["id"]]
    assert ids(f"source_id={world['presstv']['id']}") == [a["id"]]
    assert ids("topic=casualties.killed") == [b["id"]]
    assert ids("stance=denies") == [c["id"]]
    assert ids("status=active") == [a["id"], b["id"], c["id"]]
    assert ids("status=retracted") == []
    assert ids("language=ar") == [b["id"]]
    assert ids("tag=inferred") == [a["id"]]
    assert ids("said_after=2020-03-11T20:00:00Z") == [b["id"], c["id"]]
    assert ids("said_before=2020-03-11T21:00:00Z") == [a["id"], b["id"]]
    assert ids("updated_since=2000-01-01T00:00:00Z") == [a["id"], b["id"], c["id"]]
    assert ids("updated_since=2100-01-01T00:00:00Z") == []
    assert ids("as_of=2020-03-11T19:00:00Z") == []  # recorded today, so unknown in 2020
    assert editor.get("/v1/claims?status=gone").status_code == 422


def test_as_of_uses_said_at_and_recorded_at(editor: Api, world: dict[str, Any]) -> None:
    inc = world["incident"]["id"]
    a = new_claim(editor, inc, world["presstv"]["id"], said_at="2020-03-11T18:00:00Z")
    new_claim(editor, inc, world["stripes"]["id"], said_at="2020-03-11T21:00:00Z")
    r = editor.get(f"/v1/incidents/{inc}/claims", params={"as_of": "2030-01-01T00:00:00Z"})
    assert len(r.json()["items"]) == 2
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat()
    r = editor.get(
        f"/v1/incidents/{inc}/claims", params={"as_of": now, "said_before": "2020-03-11T19:00:00Z"}
    )
    assert [c["id"] for c in r.json()["items"]] == [a["id"]]


def test_patch_claim(editor: Api, world: dict[str, Any]) -> None:
    c = new_claim(editor, world["incident"]["id"], world["presstv"]["id"])
    r = editor.patch(
        f"/v1/claims/{c['id']}",
        json={"value": {"kind": "quantity", "bound": "more_than", "low": 15}, "confidence": 0.95},
    )
    assert r.status_code == 200, r.text
    assert r.json()["value"]["bound"] == "more_than"
    assert r.json()["value"]["low"] == 15
    assert r.json()["confidence"] == 0.95
    assert r.json()["version"] == 2
    assert r.json()["quote"] == c["quote"]
    # changing the topic to one of another kind needs a matching value
    bad = editor.patch(f"/v1/claims/{c['id']}", json={"topic": "munitions.type"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "/value/kind"
    # links are replaced as a whole
    r = editor.patch(f"/v1/claims/{c['id']}", json={"links": [{"url": "https://presstv.ir/a"}]})
    assert [link["url"] for link in r.json()["links"]] == ["https://presstv.ir/a"]
    assert r.json()["version"] == 3
    # the incident cannot be changed (not a field of the update)
    r = editor.patch(f"/v1/claims/{c['id']}", json={"incident_id": world["incident"]["id"]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/incident_id"
    # a no-op patch does not bump the version
    r = editor.patch(f"/v1/claims/{c['id']}", json={"confidence": 0.95})
    assert r.json()["version"] == 3


def test_claim_cannot_cite_itself(editor: Api, world: dict[str, Any]) -> None:
    c = new_claim(editor, world["incident"]["id"], world["presstv"]["id"])
    r = editor.patch(f"/v1/claims/{c['id']}", json={"cites_claim_id": c["id"]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/cites_claim_id"


def test_claim_delete_is_admin_only_and_needs_a_reason(
    editor: Api, admin: Api, world: dict[str, Any]
) -> None:
    c = new_claim(editor, world["incident"]["id"], world["presstv"]["id"])
    assert editor.delete(f"/v1/claims/{c['id']}", params={"reason": "x"}).status_code == 403
    r = admin.delete(f"/v1/claims/{c['id']}")
    assert r.status_code == 422
    assert r.json()["errors"][0]["parameter"] == "reason"
    assert editor.get(f"/v1/claims/{c['id']}").status_code == 200


def test_deleting_a_cited_claim_moves_the_citing_incidents_state(
    editor: Api, admin: Api, world: dict[str, Any]
) -> None:
    """Break: only the deleted claim's incident bumped. A claim of another incident that
    cited it loses ``cites_claim_id`` (its timeline shows it): that incident moves on too,
    and its timeline (the fast lane's read) no longer names the deleted claim."""
    from sqlalchemy import text

    from app.db import session_scope

    cited = new_claim(editor, world["incident"]["id"], world["presstv"]["id"])
    other = new_incident(editor, title="Another incident")
    citing = new_claim(editor, other["id"], world["stripes"]["id"], cites_claim_id=cited["id"])

    def state() -> int:
        with session_scope() as session:
            got = session.scalar(
                text("SELECT n FROM view_version WHERE scope = :s"), {"s": other["id"]}
            )
        return int(got or 0)

    before = state()
    assert (
        editor.get(f"/v1/incidents/{other['id']}/claims").json()["items"][0]["cites_claim_id"]
        == cited["id"]
    )
    r = admin.delete(f"/v1/claims/{cited['id']}", params={"reason": "takedown"})
    assert r.status_code == 204, r.text
    assert state() > before
    items = editor.get(f"/v1/incidents/{other['id']}/claims").json()["items"]
    assert [(c["id"], c["cites_claim_id"]) for c in items] == [(citing["id"], None)]


def test_full_text_search_on_quotes(editor: Api, world: dict[str, Any]) -> None:
    inc = world["incident"]["id"]
    a = new_claim(
        editor, inc, world["presstv"]["id"], quote="Nearly a dozen Katyusha rockets have hit"
    )
    b = new_claim(
        editor,
        inc,
        world["stripes"]["id"],
        quote="Two Americans and one Briton were killed",
        translation="Deux Américains et un Britannique tués",
        language="en",
    )
    r = editor.get("/v1/claims", params={"q": "katyusha"})
    assert [c["id"] for c in r.json()["items"]] == [a["id"]]
    assert [
        c["id"] for c in editor.get("/v1/claims", params={"q": "briton killed"}).json()["items"]
    ] == [b["id"]]
    assert [
        c["id"] for c in editor.get("/v1/claims", params={"q": "britannique"}).json()["items"]
    ] == [b["id"]]
    assert editor.get("/v1/claims", params={"q": "rockets killed"}).json()["items"] == []
    editor.patch(f"/v1/claims/{a['id']}", json={"quote": "More than 15 small rockets"})
    assert editor.get("/v1/claims", params={"q": "katyusha"}).json()["items"] == []
    r = editor.get(f"/v1/incidents/{inc}/claims", params={"q": "small rockets"})
    assert [c["id"] for c in r.json()["items"]] == [a["id"]]


def test_patch_to_a_duplicate_external_id_is_409(editor: Api, world: dict[str, Any]) -> None:
    new_claim(editor, world["incident"]["id"], world["presstv"]["id"], external_id="clm-a")
    b = new_claim(editor, world["incident"]["id"], world["presstv"]["id"], external_id="clm-b")
    r = editor.patch(f"/v1/claims/{b['id']}", json={"external_id": "clm-a", "confidence": 0.1})
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    after = editor.get(f"/v1/claims/{b['id']}").json()
    assert (after["external_id"], after["confidence"], after["version"]) == ("clm-b", 0.8, 1)
    for kind, factory in (("sources", new_source), ("incidents", new_incident)):
        new = factory(editor, external_id=f"{kind}-a")
        other = factory(
            editor, external_id=f"{kind}-b", **({"name": "Other"} if kind == "sources" else {})
        )
        r = editor.patch(f"/v1/{kind}/{other['id']}", json={"external_id": f"{kind}-a"})
        assert r.status_code == 409, (kind, r.text)
        assert new["id"] != other["id"]


def test_create_with_a_duplicate_external_id_is_409_even_with_webhooks(
    editor: Api, admin: Api, world: dict[str, Any]
) -> None:
    admin.post("/v1/webhooks", json={"url": "https://93.184.216.34/hook"})
    new_claim(editor, world["incident"]["id"], world["presstv"]["id"], external_id="dup")
    before = row_counts()
    r = editor.post("/v1/claims", json=_claim_body(world, external_id="dup"))
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert row_counts() == before
