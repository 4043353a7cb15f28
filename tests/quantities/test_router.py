"""The phrase parser endpoint: POST /v1/quantities/parse."""

from __future__ import annotations

from tests.factories import Api


def test_quantity_parser_endpoint(viewer: Api) -> None:
    r = viewer.post("/v1/quantities/parse", json={"text": "more than 15"})
    assert r.status_code == 200
    assert r.json()["value"] == {
        "kind": "quantity",
        "bound": "more_than",
        "low": 15,
        "best": None,
        "high": None,
    }
    assert r.json()["effective_interval"] == {"low": 16, "high": None}
    r = viewer.post("/v1/quantities/parse", json={"text": "Two Americans and one Briton"})
    body = r.json()
    assert body["value"]["best"] == 3
    assert [(p["qualifiers"], p["value"]["best"]) for p in body["parts"]] == [
        ({"nationality": "US"}, 2),
        ({"nationality": "GB"}, 1),
    ]
    r = viewer.post(
        "/v1/quantities/parse", json={"text": "no immediate reports about anyone wounded"}
    )
    assert r.json()["value"]["bound"] == "none_reported"
    r = viewer.post("/v1/quantities/parse", json={"text": "the weather was fine"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/text"
    assert viewer.post("/v1/quantities/parse", json={"text": ""}).status_code == 422
