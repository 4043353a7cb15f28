"""app.http: the NUL scan of JSON bodies as plain data, and the 422 it makes through HTTP (the
conditional requests: tests/system/test_concurrency.py; NUL everywhere text goes:
tests/system/test_bad_input.py)."""

from __future__ import annotations

import httpx

from app.http import NUL_DETAIL, json_nul_pointers, nul_pointers
from tests.factories import Api, new_source


def test_nul_pointers_name_every_string_with_a_nul_as_a_json_pointer() -> None:
    value = {
        "a/b": "x\x00",
        "c~d": ["ok", "\x00", {"e\x00/": 1}],
        "f": ["\x00", "g", "\x00"],
        "h": [1, None, {"i": "no"}],
    }
    # RFC 6901: "~" is "~0" and "/" is "~1" in a member name; a NUL in a name is shown escaped
    assert nul_pointers(value) == ["/a~1b", "/c~0d/1", "/c~0d/2/e\\u0000~1", "/f/0", "/f/2"]
    assert nul_pointers("\x00") == [""]
    assert nul_pointers(["x", "y\x00"]) == ["/1"]
    assert nul_pointers({"~/": {"/~": "\x00"}}) == ["/~0~1/~1~0"]
    assert nul_pointers({"a": "b", "c": 1.5, "d": [True]}) == []


def test_json_nul_pointers_reads_the_escape_json_carries_a_nul_as() -> None:
    assert json_nul_pointers(b'{"a": ["x", "y\\u0000"]}') == ["/a/1"]
    assert json_nul_pointers(b'{"a": "x"}') == []
    assert json_nul_pointers(b'{"a": "\\u0000"') == []  # not JSON: the parser says why
    assert json_nul_pointers(b'"\\\\u0000"') == []  # an escaped backslash, then "u0000"


def test_a_nul_anywhere_is_a_422_naming_each_place_in_its_detail(editor: Api) -> None:
    def refused(r: httpx.Response, detail: str, errors: list[dict[str, str]]) -> None:
        assert r.status_code == 422, r.text
        problem = r.json()
        assert problem["detail"] == f"{detail}: {NUL_DETAIL}"
        assert problem["errors"] == [e | {"detail": NUL_DETAIL} for e in errors]

    source = new_source(editor)
    refused(editor.get("/v1/sources/a%00b"), "source_id", [{"parameter": "source_id"}])
    refused(
        editor.get("/v1/sources", params=[("na\x00me", "x"), ("external_id", "a\x00")]),
        "na\\u0000me, external_id",
        [{"parameter": "na\\u0000me"}, {"parameter": "external_id"}],
    )
    refused(
        editor.post("/v1/sources", json={"name": "a\x00", "kind": "outlet", "aliases": ["\x00"]}),
        "/name, /aliases/0",
        [{"pointer": "/name"}, {"pointer": "/aliases/0"}],
    )
    refused(
        editor.post("/v1/sources", params={"na\x00me": "x"}, json={"name": "\x00"}),
        "na\\u0000me, /name",
        [{"parameter": "na\\u0000me"}, {"pointer": "/name"}],
    )
    json = {"Content-Type": "application/json"}
    refused(
        editor.post("/v1/sources", content=b'"\\u0000"', headers=json), "body", [{"pointer": ""}]
    )
    # a JSON merge patch (RFC 7396) is scanned too
    merge = {"Content-Type": "application/merge-patch+json"}
    refused(
        editor.patch(f"/v1/sources/{source['id']}", content=b'{"name": "\\u0000"}', headers=merge),
        "/name",
        [{"pointer": "/name"}],
    )
    assert editor.get(f"/v1/sources/{source['id']}").json()["version"] == 1
    # only a write's body is read: a GET's is ignored
    r = editor.client.request(
        "GET", "/v1/sources", content=b'{"a": "\\u0000"}', headers=editor.headers(json)
    )
    assert r.status_code == 200, r.text
    # a POST without a body (so without a Content-Type) is the body's 422, not a crash
    r = editor.post("/v1/sources")
    assert (r.status_code, r.json()["errors"][0].get("pointer")) == (422, "")
