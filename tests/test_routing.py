"""app.routing: the entity dependencies and the response headers (the routes themselves are
tested through each domain's router tests and tests/system/test_contract.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Depends, FastAPI, Response
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.errors import NotFound, PreconditionFailed, install_error_handlers
from app.routing import Writable, entity_headers, valid, writable
from tests.factories import INCIDENT, Api


class Row:
    def __init__(self, version: int) -> None:
        self.id, self.version = "r1", version


def lookup(calls: list[tuple[str, bool]]) -> Any:
    def get(session: Session, ident: str, lock: bool = False) -> Row:
        calls.append((ident, lock))
        if ident != "r1":
            raise NotFound(f"no row with id {ident!r}")
        return Row(3)

    return get


def test_a_writable_finds_locks_and_checks_if_match_only_when_called() -> None:
    """Dependencies resolve before FastAPI validates the body: the lookup and the If-Match
    check wait until the route calls the Writable, so a bad body is a 422 whatever the
    If-Match (tests/system/test_contract.py checks it over every PATCH route)."""
    calls: list[tuple[str, bool]] = []
    stale = Writable(lookup(calls), Session(), "r1", '"2"')
    assert calls == []
    with pytest.raises(PreconditionFailed):
        stale()
    assert calls == [("r1", True)]  # locked for the read-modify-write
    assert Writable(lookup(calls), Session(), "r1", '"3"')().version == 3


def test_the_dependencies_read_the_path_parameter_they_are_named_for() -> None:
    calls: list[tuple[str, bool]] = []
    app = FastAPI()
    install_error_handlers(app)
    found, changing = valid(lookup(calls), "row_id"), writable(lookup(calls), "row_id")

    @app.get("/rows/{row_id}")
    def read(row: Row = Depends(found)) -> dict[str, int]:
        return {"version": row.version}

    @app.post("/rows/{row_id}")
    def change(target: Writable[Row] = Depends(changing)) -> dict[str, int]:
        return {"version": target().version}

    from app import db

    app.dependency_overrides[db.get_session] = lambda: Session()
    app.dependency_overrides[db.get_write_session] = lambda: Session()
    client = TestClient(app)
    assert client.get("/rows/r1").json() == {"version": 3}
    assert client.get("/rows/r2").status_code == 404
    assert client.post("/rows/r1", headers={"If-Match": '"1"'}).status_code == 412
    assert client.post("/rows/r1", headers={"If-Match": '"3"'}).json() == {"version": 3}
    spec = app.openapi()["paths"]["/rows/{row_id}"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["schema"]["title"]) for p in spec] == [
        ("row_id", "path", "Row Id")
    ]


def test_entity_headers() -> None:
    response = Response()
    entity_headers(response, Row(7))
    assert response.headers["ETag"] == '"7"' and "Location" not in response.headers
    entity_headers(response, Row(8), location="/v1/rows/r1")
    assert (response.headers["ETag"], response.headers["Location"]) == ('"8"', "/v1/rows/r1")


# What the factories build, as /openapi.json shows it (EntityRoutes, RegistryRoutes: "named and
# documented as if written out"): per operation its id, success status, response and request
# schemas, description, and parameters (name, where, required, minLength, maxLength, title).
REGISTRY_PARAMS = [
    ("kind", "query", False, None, None, "Kind"),
    ("country", "query", False, None, None, "Country"),
    ("name_prefix", "query", False, 1, 300, "Name Prefix"),
    ("name", "query", False, 1, 300, "Name"),
    ("parent_id", "query", False, None, None, "Parent Id"),
    ("updated_since", "query", False, None, None, "Updated Since"),
    ("external_id", "query", False, None, 200, "External Id"),
    ("limit", "query", False, None, None, "Limit"),
    ("cursor", "query", False, None, 512, "Cursor"),
    ("include_total", "query", False, None, None, "Include Total"),
]
IDEMPOTENCY_KEY = ("Idempotency-Key", "header", False, 1, 255, None)
IF_MATCH = ("If-Match", "header", False, None, None, "If-Match")


def _one(param: str, *more: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    return [(param, "path", True, None, None, param.replace("_", " ").title()), *more]


def _reason(required: bool) -> tuple[Any, ...]:
    return ("reason", "query", required, 1, 2000, "Reason")


ENTITY_OPERATIONS: dict[tuple[str, str], tuple[Any, ...]] = {
    ("post", "/v1/sources"): (
        "create_source",
        "201",
        "SourceCreated",
        "SourceCreate",
        [IDEMPOTENCY_KEY],
        "Record a new source (an outlet, official, agency, organisation or person).",
    ),
    ("get", "/v1/sources"): (
        "list_sources",
        "200",
        "Page_SourcePublic_",
        None,
        REGISTRY_PARAMS,
        "Sources in name order, filtered by kind, country, name prefix, parent or update time.",
    ),
    ("get", "/v1/sources/{source_id}"): (
        "get_source",
        "200",
        "SourcePublic",
        None,
        _one("source_id"),
        "One source, with its learned reliability. Sends an ETag; honours If-None-Match.",
    ),
    ("patch", "/v1/sources/{source_id}"): (
        "update_source",
        "200",
        "SourcePublic",
        "SourceUpdate",
        _one("source_id", IF_MATCH),
        "Change some fields of a source (only those sent). Honours If-Match.",
    ),
    ("delete", "/v1/sources/{source_id}"): (
        "delete_source",
        "204",
        None,
        None,
        _one("source_id", _reason(False), IF_MATCH),
        "Delete a source that nothing references (409 otherwise). Admin only.",
    ),
    ("post", "/v1/actors"): (
        "create_actor",
        "201",
        "ActorCreated",
        "ActorCreate",
        [IDEMPOTENCY_KEY],
        "Record a new actor (a state, armed group, organisation or person).",
    ),
    ("get", "/v1/actors"): (
        "list_actors",
        "200",
        "Page_ActorPublic_",
        None,
        REGISTRY_PARAMS,
        "Actors in name order, filtered by kind, country, name prefix, parent or update time.",
    ),
    ("get", "/v1/actors/{actor_id}"): (
        "get_actor",
        "200",
        "ActorPublic",
        None,
        _one("actor_id"),
        "One actor. Sends an ETag; honours If-None-Match.",
    ),
    ("patch", "/v1/actors/{actor_id}"): (
        "update_actor",
        "200",
        "ActorPublic",
        "ActorUpdate",
        _one("actor_id", IF_MATCH),
        "Change some fields of an actor (only those sent). Honours If-Match.",
    ),
    ("delete", "/v1/actors/{actor_id}"): (
        "delete_actor",
        "204",
        None,
        None,
        _one("actor_id", _reason(False), IF_MATCH),
        "Delete an actor that nothing references (409 otherwise). Admin only.",
    ),
    ("post", "/v1/incidents"): (
        "create_incident",
        "201",
        "IncidentPublic",
        "IncidentCreate",
        [IDEMPOTENCY_KEY],
        "Record a new incident: what happened, when (UTC bounds and precision) and where.",
    ),
    ("get", "/v1/incidents/{incident_id}"): (
        "get_incident",
        "200",
        "IncidentPublic",
        None,
        _one("incident_id"),
        "One incident with its counters. Sends an ETag; honours If-None-Match.",
    ),
    ("patch", "/v1/incidents/{incident_id}"): (
        "update_incident",
        "200",
        "IncidentPublic",
        "IncidentUpdate",
        _one("incident_id", IF_MATCH),
        "Change some fields of an incident (only those sent). Honours If-Match.",
    ),
    ("delete", "/v1/incidents/{incident_id}"): (
        "delete_incident",
        "204",
        None,
        None,
        _one("incident_id", _reason(False), IF_MATCH),
        "Delete an incident without claims (409 otherwise). Admin only.",
    ),
    ("post", "/v1/claims"): (
        "create_claim",
        "201",
        "ClaimPublic",
        "ClaimCreate",
        [IDEMPOTENCY_KEY],
        "Record who said what, and when, about an incident (links embedded).",
    ),
    ("get", "/v1/claims/{claim_id}"): (
        "get_claim",
        "200",
        "ClaimPublic",
        None,
        _one("claim_id"),
        "One claim with its links. Sends an ETag; honours If-None-Match.",
    ),
    ("patch", "/v1/claims/{claim_id}"): (
        "update_claim",
        "200",
        "ClaimPublic",
        "ClaimUpdate",
        _one("claim_id", IF_MATCH),
        "Correct some fields of a claim (only those sent; `links` replaces all links).",
    ),
    ("delete", "/v1/claims/{claim_id}"): (
        "delete_claim",
        "204",
        None,
        None,
        _one("claim_id", _reason(True), IF_MATCH),
        "Hard delete (legal takedown, admin only): the content is removed, also from the\n"
        "history; a tombstone with id, type, time and reason stays in `/v1/tombstones`.",
    ),
}


def _schema_name(content: dict[str, Any] | None) -> str | None:
    schema = (content or {}).get("application/json", {}).get("schema")
    return None if schema is None else str(schema["$ref"]).rsplit("/", 1)[-1]


def test_the_entity_routes_are_documented_as_if_written_out(app_client: TestClient) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    for (method, path), expected in ENTITY_OPERATIONS.items():
        op = paths[path][method]
        ok = next(code for code in op["responses"] if code.startswith("2"))
        params = [
            (
                p["name"],
                p["in"],
                p.get("required", False),
                p["schema"].get("minLength"),
                p["schema"].get("maxLength"),
                p["schema"].get("title"),
            )
            for p in op.get("parameters", [])
        ]
        got = (
            op["operationId"],
            ok,
            _schema_name(op["responses"][ok].get("content")),
            _schema_name(op.get("requestBody", {}).get("content")),
            params,
            op["description"],
        )
        assert got == expected, (method, path)
        assert op["summary"] == expected[0].replace("_", " ").title(), (method, path)
        assert {"400", "401", "403", "404", "422", "500"} <= set(op["responses"]), (method, path)
        # a read answers 304 to If-None-Match; a write may be refused with 409, 412 or 428
        writes = {"409", "412", "428"}
        if method == "get":
            assert ("304" in op["responses"]) == path.endswith("_id}"), (method, path)
            assert not writes & set(op["responses"]), (method, path)
        else:
            assert writes <= set(op["responses"]), (method, path)
    kinds = {
        path: next(p for p in paths[path]["get"]["parameters"] if p["name"] == "kind")["schema"]
        for path in ("/v1/sources", "/v1/actors")
    }
    assert kinds["/v1/sources"]["$ref"].endswith("/SourceKind")
    assert kinds["/v1/actors"]["$ref"].endswith("/ActorKind")
    for path, where in (
        ("/v1/incidents", "in the title or summary"),
        ("/v1/claims", "in the quote or its translation"),
    ):
        q = next(p for p in paths[path]["get"]["parameters"] if p["name"] == "q")
        assert (q["schema"].get("minLength"), q["schema"].get("maxLength")) == (1, 200)
        assert where in q["description"] and q["description"].startswith("Words that must")


def test_the_entity_routes_write_as_the_caller_through_the_service(editor: Api, admin: Api) -> None:
    """Create, PATCH and DELETE built by the factories: the new entity's Location and ETag,
    each change in the history under the key that made it, a DELETE's reason (or, where it
    may be left out, the default) in its tombstone."""
    created = editor.post("/v1/sources", json={"name": "Press TV", "kind": "outlet"})
    source = created.json()
    assert (created.status_code, created.headers["location"], created.headers["etag"]) == (
        201,
        f"/v1/sources/{source['id']}",
        '"1"',
    )
    incident = editor.post("/v1/incidents", json=INCIDENT)
    assert incident.status_code == 201, incident.text
    incident_id = incident.json()["id"]
    assert incident.headers["location"] == f"/v1/incidents/{incident_id}"
    assert incident.headers["etag"] == editor.get(f"/v1/incidents/{incident_id}").headers["etag"]
    patched = editor.patch(f"/v1/sources/{source['id']}", json={"affiliation": "IRIB"})
    assert (patched.status_code, patched.headers["etag"], patched.json()["version"]) == (
        200,
        '"2"',
        2,
    )
    history = editor.get(f"/v1/sources/{source['id']}/revisions").json()["items"]
    assert [(r["action"], r["version"], r["key_name"]) for r in history] == [
        ("create", 1, "test editor"),
        ("update", 2, "test editor"),
    ]
    assert history[1]["changes"]["affiliation"] == {"before": None, "after": "IRIB"}

    assert admin.delete(f"/v1/sources/{source['id']}").status_code == 204
    assert (
        admin.delete(f"/v1/incidents/{incident_id}", params={"reason": "a duplicate"}).status_code
        == 204
    )
    tombstones = admin.get("/v1/tombstones").json()["items"]
    assert sorted((t["entity_id"], t["reason"], t["key_name"]) for t in tombstones) == sorted(
        [
            (source["id"], "deleted by an admin", "test admin"),
            (incident_id, "a duplicate", "test admin"),
        ]
    )
    assert editor.get(f"/v1/sources/{source['id']}").status_code == 404


def test_a_registry_lists_by_each_filter_and_finds_by_name(editor: Api) -> None:
    """RegistryRoutes' list and create: each filter reaches the service, ``name=`` is the fuzzy
    search (one page, best first, ``limit`` honoured), and a new entry is answered with the
    registered ones its name or an alias closely matches."""
    parent = editor.post("/v1/sources", json={"name": "IRIB", "kind": "organisation"}).json()
    press = editor.post(
        "/v1/sources",
        json={
            "name": "Press TV",
            "kind": "outlet",
            "country": "IR",
            "parent_id": parent["id"],
            "external_id": "ptv",
        },
    ).json()
    later = editor.post(
        "/v1/sources", json={"name": "Tasnim", "kind": "agency", "aliases": ["Tasnim News"]}
    ).json()

    def names(**params: str) -> list[str]:
        r = editor.get("/v1/sources", params=params)
        assert r.status_code == 200, r.text
        return [s["name"] for s in r.json()["items"]]

    assert names(parent_id=parent["id"]) == ["Press TV"]
    assert names(external_id="ptv") == ["Press TV"]
    assert names(updated_since=later["updated_at"]) == ["Tasnim"]
    assert names(kind="agency") == ["Tasnim"]
    found = editor.get("/v1/sources", params={"name": "Pres TV"}).json()
    assert (found["items"][0]["id"], found["next_cursor"]) == (press["id"], None)
    assert found["total"] == len(found["items"])

    by_name = editor.post("/v1/sources", json={"name": "Press TV", "kind": "agency"}).json()
    assert [d["id"] for d in by_name["possible_duplicates"]] == [press["id"]]
    assert names(name="Press TV") == ["Press TV", "Press TV"]
    assert len(names(name="Press TV", limit="1")) == 1
    by_alias = editor.post(
        "/v1/sources", json={"name": "X", "kind": "agency", "aliases": ["Tasnim News"]}
    ).json()
    assert [d["id"] for d in by_alias["possible_duplicates"]] == [later["id"]]


@pytest.mark.parametrize("noun", ["sources", "actors"])
def test_a_registry_list_pages_with_its_cursor_and_counts_on_request(
    editor: Api, noun: str
) -> None:
    """RegistryRoutes' plain list passes the service's page on: ``limit=1`` gives one item and
    a cursor that reaches the next, ``include_total=true`` counts every match (and only then)."""
    kind = "outlet" if noun == "sources" else "armed_group"
    made = [
        editor.post(f"/v1/{noun}", json={"name": f"Entry {n}", "kind": kind}).json()["id"]
        for n in range(3)
    ]
    first = editor.get(f"/v1/{noun}", params={"limit": "1", "include_total": "true"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert len(body["items"]) == 1
    assert body["total"] == 3
    assert body["next_cursor"] is not None
    second = editor.get(f"/v1/{noun}", params={"limit": "1", "cursor": body["next_cursor"]})
    assert second.status_code == 200, second.text
    assert second.json()["total"] is None
    seen = {body["items"][0]["id"], second.json()["items"][0]["id"]}
    assert len(seen) == 2 and seen <= set(made)
