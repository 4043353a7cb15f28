"""Incidents: validation, filters, counters, deletion rule."""

from __future__ import annotations

import pytest

from tests.conftest import row_counts
from tests.factories import Api, new_claim, new_incident, new_source


def test_incident_round_trip_in_utc(editor: Api) -> None:
    r = editor.post(
        "/v1/incidents",
        json={
            "title": "Rocket attack on Camp Taji",
            "occurred_earliest": "2020-03-11T19:35:00+03:00",
            "occurred_latest": "2020-03-11T19:35:59+03:00",
            "time_precision": "minute",
            "timezone": "Asia/Baghdad",
            "local_time_text": "7:35 p.m. Iraq time",
            "place_name": "Camp Taji",
            "latitude": 33.53,
            "longitude": 44.26,
            "location_precision": "site",
            "country": "IQ",
            "tags": ["Iraq", " rocket  attack", "iraq"],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["occurred_earliest"] == "2020-03-11T16:35:00Z"
    assert body["occurred_latest"] == "2020-03-11T16:35:59Z"
    assert body["tags"] == ["iraq", "rocket attack"]
    assert body["contested"] is False
    assert body["claim_count"] == 0
    assert body["source_count"] == 0


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        (
            {
                "occurred_earliest": "2020-03-12T00:00:00Z",
                "occurred_latest": "2020-03-11T00:00:00Z",
            },
            "/occurred_latest",
        ),
        ({"occurred_earliest": "2020-03-11T16:35:00"}, "/occurred_earliest"),
        ({"timezone": "Iraq/Baghdad"}, "/timezone"),
        ({"latitude": 91, "longitude": 0}, "/latitude"),
        ({"latitude": 33.5}, "/longitude"),
        ({"time_precision": "second"}, "/time_precision"),
        ({"location_precision": "street"}, "/location_precision"),
        ({"country": "Iraq"}, "/country"),
        ({"title": ""}, "/title"),
        (
            {"occurred_earliest": "1969-12-31T23:59:59Z", "occurred_latest": None},
            "/occurred_earliest",
        ),
        ({"unknown_field": 1}, "/unknown_field"),
    ],
)
def test_invalid_incident(editor: Api, fields: dict[str, object], pointer: str) -> None:
    before = row_counts()
    body = {"title": "T", "occurred_earliest": None, "occurred_latest": None} | fields
    r = editor.post("/v1/incidents", json=body)
    assert r.status_code == 422, r.text
    assert pointer in [e.get("pointer") for e in r.json()["errors"]]
    assert row_counts() == before


def test_patch_checks_merged_state(editor: Api) -> None:
    inc = new_incident(editor)
    r = editor.patch(f"/v1/incidents/{inc['id']}", json={"occurred_latest": "2020-03-10T00:00:00Z"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/occurred_latest"
    assert editor.get(f"/v1/incidents/{inc['id']}").json()["version"] == 1
    ok = editor.patch(f"/v1/incidents/{inc['id']}", json={"summary": "15+ rockets"})
    assert ok.status_code == 200
    assert ok.json()["summary"] == "15+ rockets"
    assert ok.json()["version"] == 2


def test_incident_filters(editor: Api) -> None:
    a = new_incident(editor, title="Taji", tags=["rockets"])
    b = new_incident(
        editor,
        title="K-1",
        country="IQ",
        occurred_earliest="2019-12-27T00:00:00Z",
        occurred_latest="2019-12-27T23:59:59Z",
        time_precision="day",
        tags=["contractor"],
    )
    c = new_incident(editor, title="Elsewhere", country="SY", tags=["rockets"])

    def ids(query: str) -> list[str]:
        r = editor.get("/v1/incidents" + query)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert ids("?country=IQ") == [a["id"], b["id"]]
    assert ids("?tag=rockets") == [a["id"], c["id"]]
    assert ids("?tag=ROCKETS") == [a["id"], c["id"]]
    assert ids("?occurred_before=2020-01-01T00:00:00Z") == [b["id"]]
    assert ids("?occurred_after=2020-01-01T00:00:00Z") == [a["id"], c["id"]]
    assert ids("?contested=true") == []
    assert ids("?updated_since=2100-01-01T00:00:00Z") == []
    tagged = new_incident(editor, title="with ext", external_id="inc-x")
    assert ids("?external_id=inc-x") == [tagged["id"]]
    assert ids("?external_id=inc-none") == []


def test_counters_follow_claims(editor: Api) -> None:
    inc = new_incident(editor)
    s1 = new_source(editor, name="Press TV")
    s2 = new_source(editor, name="Stars and Stripes", country="US")
    new_claim(editor, inc["id"], s1["id"])
    new_claim(
        editor,
        inc["id"],
        s1["id"],
        topic="munitions.type",
        value={"kind": "category", "category": "Katyusha rocket"},
    )
    new_claim(editor, inc["id"], s2["id"])
    body = editor.get(f"/v1/incidents/{inc['id']}").json()
    assert body["claim_count"] == 3
    assert body["source_count"] == 2


def test_incident_with_claims_cannot_be_deleted(editor: Api, admin: Api) -> None:
    inc = new_incident(editor)
    s = new_source(editor)
    new_claim(editor, inc["id"], s["id"])
    assert admin.delete(f"/v1/incidents/{inc['id']}").status_code == 409
    empty = new_incident(editor, title="empty")
    assert admin.delete(f"/v1/incidents/{empty['id']}").status_code == 204


def test_full_text_and_near(editor: Api) -> None:
    taji = new_incident(
        editor,
        title="Rocket attack on Camp Taji",
        summary="Katyusha rockets hit the base",
        latitude=33.53,
        longitude=44.26,
    )
    k1 = new_incident(editor, title="K-1 base attack near Kirkuk", latitude=35.53, longitude=44.36)
    new_incident(editor, title="Missile strike on Ayn al-Assad", latitude=33.79, longitude=42.44)

    def ids(**params: str) -> list[str]:
        r = editor.get("/v1/incidents", params=params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert ids(q="katyusha") == [taji["id"]]
    assert ids(q="ATTACK base") == [taji["id"], k1["id"]]
    assert ids(q="attack kirkuk") == [k1["id"]]
    assert ids(q="drone") == []
    assert ids(q='"unbalanced * (syntax') == []
    # Camp Taji to K-1 is about 223 km; to Ayn al-Assad about 170 km
    assert ids(near="33.53,44.26,50") == [taji["id"]]
    assert ids(near="33.53,44.26,200") == [taji["id"], ids(near="33.79,42.44,1")[0]]
    assert len(ids(near="33.53,44.26,250")) == 3
    editor.patch(f"/v1/incidents/{k1['id']}", json={"title": "K-1 air base, Kirkuk"})
    assert ids(q="attack kirkuk") == []
    for bad in ("33.5,44.2", "x,y,z", "91,0,10", "33,44,0"):
        r = editor.get("/v1/incidents", params={"near": bad})
        assert r.status_code == 422
        assert r.json()["errors"][0]["parameter"] == "near"
