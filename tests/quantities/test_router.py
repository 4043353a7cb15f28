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


def test_a_count_below_zero_is_a_422_not_a_500(viewer: Api) -> None:
    """The text "fewer than 0" was a ValueError from ``Quantity`` (no count is below zero), which
    the endpoint does not turn into a 422 (mutation run 7's property test found it)."""
    r = viewer.post("/v1/quantities/parse", json={"text": "fewer than 0"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/text"
    assert r.json()["errors"][0]["detail"] == "'fewer than' needs an amount above 0"
