"""Sources and actors: CRUD, validation, references, deletion rules."""

from __future__ import annotations

import pytest

from tests.conftest import row_counts
from tests.factories import Api, new_claim, new_incident, new_source


def test_create_get_update_source(editor: Api) -> None:
    parent = new_source(editor, name="US-led Coalition", kind="organisation", country=None)
    r = editor.post(
        "/v1/sources",
        json={
            "name": "  Col. Myles   Caggins ",
            "kind": "official",
            "country": "us",
            "parent_id": parent["id"],
            "homepage_url": "https://www.inherentresolve.mil",
            "aliases": ["OIR spokesman"],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["name"] == "Col. Myles   Caggins"
    assert body["country"] == "US"
    assert body["parent_id"] == parent["id"]
    assert body["reliability_prior"] == 0.5
    assert body["reliability"] is None
    assert body["version"] == 1
    assert r.headers["location"] == f"/v1/sources/{body['id']}"
    assert r.headers["etag"] == '"1"'
    assert len(body["id"]) == 26

    got = editor.get(f"/v1/sources/{body['id']}")
    assert got.status_code == 200
    assert body.pop("possible_duplicates") == []  # only the create answer lists candidates
    assert got.json() == body

    patched = editor.patch(f"/v1/sources/{body['id']}", json={"affiliation": "CJTF-OIR"})
    assert patched.status_code == 200
    assert patched.json()["affiliation"] == "CJTF-OIR"
    assert patched.json()["version"] == 2
    assert patched.json()["name"] == body["name"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": "X", "kind": "blog"}, "/kind"),
        ({"name": "X", "kind": "outlet", "country": "XX"}, "/country"),
        ({"name": "X", "kind": "outlet", "country": "IRN"}, "/country"),
        ({"name": "X", "kind": "outlet", "homepage_url": "ftp://x.org"}, "/homepage_url"),
        ({"name": "X", "kind": "outlet", "homepage_url": "not a url"}, "/homepage_url"),
        ({"name": "X", "kind": "outlet", "reliability_prior": 1.5}, "/reliability_prior"),
        ({"name": "X", "kind": "outlet", "reliability_prior": -0.1}, "/reliability_prior"),
        ({"name": "", "kind": "outlet"}, "/name"),
        ({"kind": "outlet"}, "/name"),
        ({"name": "X", "kind": "outlet", "reliability": 0.9}, "/reliability"),
        ({"name": "X", "kind": "outlet", "parent_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "/parent_id"),
        ({"name": "X", "kind": "outlet", "aliases": "PressTV"}, "/aliases"),
    ],
)
def test_invalid_source_is_422_naming_the_field(
    editor: Api, body: dict[str, object], pointer: str
) -> None:
    before = row_counts()
    r = editor.post("/v1/sources", json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == 422
    assert pointer in [e.get("pointer") for e in problem["errors"]]
    assert row_counts() == before


def test_source_parent_cycle_is_refused(editor: Api) -> None:
    a = new_source(editor, name="A")
    b = new_source(editor, name="B", parent_id=a["id"])
    r = editor.patch(f"/v1/sources/{a['id']}", json={"parent_id": b["id"]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/parent_id"
    assert editor.get(f"/v1/sources/{a['id']}").json()["parent_id"] is None


def test_patch_null_on_required_field_is_422(editor: Api) -> None:
    s = new_source(editor)
    r = editor.patch(f"/v1/sources/{s['id']}", json={"name": None})
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"] == "/name"


def test_duplicate_external_id_is_409(editor: Api) -> None:
    new_source(editor, external_id="src-1")
    before = row_counts()
    r = editor.post("/v1/sources", json={"name": "Y", "kind": "outlet", "external_id": "src-1"})
    assert r.status_code == 409
    assert r.json()["type"].endswith("/conflict")
    assert row_counts() == before


def test_source_delete_refused_while_referenced(editor: Api, admin: Api) -> None:
    source = new_source(editor)
    incident = new_incident(editor)
    new_claim(editor, incident["id"], source["id"])
    r = admin.delete(f"/v1/sources/{source['id']}")
    assert r.status_code == 409
    assert editor.get(f"/v1/sources/{source['id']}").status_code == 200
    lonely = new_source(editor, name="Nobody cites me")
    assert admin.delete(f"/v1/sources/{lonely['id']}").status_code == 204
    assert editor.get(f"/v1/sources/{lonely['id']}").status_code == 404


def test_via_source_reference_blocks_delete(editor: Api, admin: Api) -> None:
    outlet = new_source(editor, name="Stars and Stripes", country="US")
    official = new_source(editor, name="a security official", kind="official", country=None)
    incident = new_incident(editor)
    new_claim(editor, incident["id"], official["id"], via_source_id=outlet["id"])
    assert admin.delete(f"/v1/sources/{outlet['id']}").status_code == 409


def test_parent_reference_blocks_delete(editor: Api, admin: Api) -> None:
    parent = new_source(editor, name="Coalition")
    new_source(editor, name="Spokesman", parent_id=parent["id"])
    assert admin.delete(f"/v1/sources/{parent['id']}").status_code == 409


def test_source_filters(editor: Api) -> None:
    new_source(editor, name="Press TV", kind="outlet", country="IR")
    new_source(editor, name="Presidency of Iraq", kind="official", country="IQ")
    new_source(editor, name="Stars and Stripes", kind="outlet", country="US")

    def names(query: str) -> list[str]:
        r = editor.get("/v1/sources" + query)
        assert r.status_code == 200, r.text
        return [s["name"] for s in r.json()["items"]]

    assert names("?kind=outlet") == ["Press TV", "Stars and Stripes"]
    assert names("?country=IQ") == ["Presidency of Iraq"]
    assert names("?name_prefix=pres") == ["Presidency of Iraq", "Press TV"]
    assert names("?name_prefix=press") == ["Press TV"]
    assert names("?name_prefix=zzz") == []
    assert editor.get("/v1/sources?country=ZZ").status_code == 422
    assert editor.get("/v1/sources?kind=blog").status_code == 422
