"""The OpenAPI document says what the server checks, and a value's kind may be left out."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from app.db import get_engine
from app.keys.service import USAGE
from tests.factories import Api, new_actor, new_claim, new_incident, new_source
from tests.faultkit import fingerprint


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


def _allows_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null" or any(
        option.get("type") == "null" for option in schema.get("anyOf", [])
    )


def test_a_null_the_schema_refuses_is_a_422_whatever_the_if_match(
    app_client: TestClient, admin: Api
) -> None:
    """Every PATCH member the OpenAPI says may not be null is refused as a 422 naming it, before
    the If-Match precondition (a stale or malformed one would otherwise answer 412), and the
    database is unchanged; a body that is not JSON is the documented 400."""
    spec = app_client.get("/openapi.json").json()
    inc, src = new_incident(admin), new_source(admin)
    ids = {
        "/v1/incidents/{incident_id}": inc["id"],
        "/v1/sources/{source_id}": src["id"],
        "/v1/actors/{actor_id}": new_actor(admin)["id"],
        "/v1/claims/{claim_id}": new_claim(admin, inc["id"], src["id"])["id"],
        "/v1/topics/{key}": "munitions.count",
    }
    hook = admin.post(
        "/v1/webhooks", json={"url": "https://93.184.215.14/h", "events": ["claim.created"]}
    )
    assert hook.status_code == 201, hook.text
    ids["/v1/webhooks/{webhook_id}"] = hook.json()["id"]
    patched = {path for path, methods in spec["paths"].items() if "patch" in methods}
    assert patched == ids.keys(), "a new PATCH route: add an existing id for it here"
    USAGE.drain()  # last_used_at of the admin key, written once a minute
    engine = get_engine()
    before = fingerprint(engine)
    refused = 0
    for template, ident in ids.items():
        op = spec["paths"][template]["patch"]
        url = re.sub(r"\{[^}]+\}", ident, template)
        assert "400" in op["responses"], template
        r = admin.client.patch(
            url, content=b"{not json", headers=admin.headers({"Content-Type": "application/json"})
        )
        assert r.status_code == 400 and r.json()["type"].endswith("/malformed-json"), r.text
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        for member, schema in body["properties"].items():
            if _allows_null(schema):
                continue
            assert "default" not in schema, (template, member)  # left out = unchanged
            for if_match in ('"999"', "garbage", None):
                headers = {"If-Match": if_match} if if_match else {}
                r = admin.patch(url, json={member: None}, headers=headers)
                assert r.status_code == 422, (template, member, if_match, r.text)
                assert r.headers["content-type"] == "application/problem+json"
                assert [e["pointer"] for e in r.json()["errors"]] == [f"/{member}"]
                assert "may not be null" in r.json()["errors"][0]["detail"]
                refused += 1
    USAGE.drain()
    assert fingerprint(engine) == before
    assert refused >= 3 * 25


def _typed_members(
    spec: dict[str, Any], schema: dict[str, Any], pointer: str = ""
) -> list[tuple[str, str]]:
    """(JSON pointer, "number" | "boolean") of every such member of a request body schema."""
    if "$ref" in schema:
        return _typed_members(spec, spec["components"]["schemas"][schema["$ref"][21:]], pointer)
    found: list[tuple[str, str]] = []
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        found += _typed_members(spec, option, pointer)
    if schema.get("type") in ("number", "boolean"):
        found.append((pointer, schema["type"]))
    for name, member in schema.get("properties", {}).items():
        found += _typed_members(spec, member, f"{pointer}/{name}")
    if "items" in schema:
        found += _typed_members(spec, schema["items"], f"{pointer}/0")
    return sorted(set(found))


def _body_with(pointer: str, bad: Any) -> Any:
    """The smallest body putting ``bad`` at ``pointer`` (values are quantities)."""
    name, _, rest = pointer.lstrip("/").partition("/")
    inner = _body_with("/" + rest, bad) if rest else bad
    if name == "0":
        return [inner]
    if name == "value" and rest:
        return {"value": {"kind": "quantity", "bound": "range"} | inner}
    return {name: inner}


def test_numbers_and_booleans_are_json_numbers_and_booleans(
    app_client: TestClient, admin: Api
) -> None:
    """pydantic's lax mode would read true as 1.0, "0.8" as a number and 1 or "yes" as true: every
    number and boolean of every request body refuses what the OpenAPI type does not allow."""
    spec = app_client.get("/openapi.json").json()
    inc, src = new_incident(admin), new_source(admin)
    claim = new_claim(admin, inc["id"], src["id"])
    hook = admin.post(
        "/v1/webhooks", json={"url": "https://93.184.215.14/h", "events": ["claim.created"]}
    ).json()
    ids = {
        "incident_id": inc["id"],
        "source_id": src["id"],
        "claim_id": claim["id"],
        "actor_id": new_actor(admin)["id"],
        "webhook_id": hook["id"],
        "key": "munitions.count",
    }
    bad = {"number": [True, "0.5"], "boolean": [1, "true"]}
    checked = 0
    for template, methods in spec["paths"].items():
        for method, op in methods.items():
            content = op.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            url = re.sub(r"\{([^}]+)\}", lambda m: ids[m.group(1)], template)
            for pointer, kind in _typed_members(spec, content["application/json"]["schema"]):
                for value in bad[kind]:
                    r = admin.request(method, url, json=_body_with(pointer, value))
                    assert r.status_code == 422, (method, template, pointer, value, r.text)
                    assert pointer in [e.get("pointer") for e in r.json()["errors"]], r.text
                    checked += 1
    assert checked >= 40
