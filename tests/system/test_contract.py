"""The OpenAPI document says what the server checks, and a value's kind may be left out."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Api, new_incident, new_source


def _claim(inc: str, src: str, topic: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "incident_id": inc,
        "source_id": src,
        "said_at": "2020-03-11T18:00:00Z",
        "quote": "q",
        "topic": topic,
        "value": value,
    }


def test_value_kind_is_taken_from_the_topic_when_left_out(editor: Api) -> None:
    inc, src = new_incident(editor)["id"], new_source(editor)["id"]
    r = editor.post(
        "/v1/claims", json=_claim(inc, src, "munitions.count", {"bound": "exact", "best": 11})
    )
    assert r.status_code == 201, r.text
    assert r.json()["value"]["kind"] == "quantity" and r.json()["value"]["best"] == 11
    r = editor.post("/v1/claims", json=_claim(inc, src, "munitions.type", {"category": "rocket"}))
    assert r.status_code == 201, r.text
    assert r.json()["value"]["kind"] == "category"
    # the members say statement, the topic says quantity: read as a quantity, named errors
    r = editor.post("/v1/claims", json=_claim(inc, src, "munitions.count", {"text": "many"}))
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"].startswith("/value")
    # an explicit kind is never second-guessed
    r = editor.post(
        "/v1/claims",
        json=_claim(inc, src, "munitions.count", {"kind": "category", "category": "x"}),
    )
    assert r.status_code == 422 and r.json()["errors"][0]["pointer"] == "/value/kind"
    claim = editor.post(
        "/v1/claims", json=_claim(inc, src, "munitions.count", {"bound": "exact", "best": 3})
    ).json()
    r = editor.patch(f"/v1/claims/{claim['id']}", json={"value": {"low": 1, "bound": "at_least"}})
    assert r.status_code == 200, r.text
    assert r.json()["value"] == {
        "kind": "quantity",
        "bound": "at_least",
        "low": 1,
        "best": None,
        "high": None,
    }


def test_openapi_documents_what_the_server_checks(app_client: TestClient) -> None:
    spec = app_client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            for parameter in op.get("parameters", []):
                assert "anyOf" not in parameter["schema"], (path, parameter["name"])
                if parameter["name"] == "cursor":
                    assert parameter["schema"]["pattern"] == "^([A-Za-z0-9_-]+={0,2})?$"
                if parameter["name"] == "Idempotency-Key":
                    pattern = parameter["schema"]["pattern"]
                    assert re.fullmatch(pattern, "create-presstv-1")
                    assert not re.fullmatch(pattern, " padded ")
                if parameter["name"] == "If-Match":
                    assert {"412", "428"} <= op["responses"].keys(), (path, method)
            if path.startswith("/v1/"):
                assert {"429", "503"} <= op["responses"].keys(), (path, method)
                if method in ("post", "patch"):
                    assert "413" in op["responses"], (path, method)
    schemas = spec["components"]["schemas"]
    assert schemas["SourceUpdate"]["properties"]["name"].get("type") == "string"
    assert "null" not in str(schemas["ClaimUpdate"]["properties"]["value"])
    assert "null" in str(schemas["ClaimUpdate"]["properties"]["notes"])  # null clears notes
    for kind in ("QuantityValue", "CategoryValue", "ActorValue", "StatementValue"):
        assert "kind" not in schemas[kind].get("required", [])
    body = spec["paths"]["/v1/import"]["post"]["requestBody"]["content"]
    assert {"application/x-ndjson", "application/json"} <= body.keys()
    assert body["application/json"]["schema"]["type"] == "array"


def test_import_takes_a_json_array(editor: Api) -> None:
    records = [
        {"type": "source", "external_id": "s1", "name": "Press TV", "kind": "outlet"},
        {"type": "actor", "external_id": "a1", "name": "Iran", "kind": "state"},
    ]
    r = editor.post("/v1/import", json=records)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == {"source": 1, "actor": 1}
    r = editor.post("/v1/import", json=[records[0], {"type": "source", "external_id": "s2"}])
    assert r.status_code == 422
    assert r.json()["errors"][0]["line"] == 2  # the element's position
