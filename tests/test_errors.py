"""Problem+json everywhere, no stack traces, and API-key authentication."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Api, make_key, new_incident, row_counts


def test_malformed_json_is_400_problem(editor: Api) -> None:
    before = row_counts()
    r = editor.client.post(
        "/v1/sources",
        content=b'{"name": "x", ',
        headers=editor.headers({"Content-Type": "application/json"}),
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Malformed JSON"
    assert row_counts() == before


def test_wrong_types_are_422(editor: Api) -> None:
    r = editor.post("/v1/sources", json={"name": 5, "kind": ["outlet"], "aliases": [1]})
    assert r.status_code == 422
    pointers = {e["pointer"] for e in r.json()["errors"]}
    assert {"/name", "/kind", "/aliases/0"} <= pointers


def _unescape(token: str) -> str:
    """RFC 6901: ``~1`` is ``/`` and ``~0`` is ``~`` (in that order)."""
    return token.replace("~1", "/").replace("~0", "~")


def test_json_pointers_escape_tilde_and_slash(editor: Api) -> None:
    """Break: member names put into the pointer unescaped. A member named ``a/b~c`` is the
    single token ``a~1b~0c`` (RFC 6901), ``~1`` is ``~01``, never a path of two members."""
    weird = ["a/b~c", "~1", "/", "~", "x~/y"]
    before = row_counts()
    r = editor.post("/v1/sources", json={"name": "x", "kind": "outlet"} | dict.fromkeys(weird, 1))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    pointers = sorted(e["pointer"] for e in r.json()["errors"])
    assert pointers == sorted(["/a~1b~0c", "/~01", "/~1", "/~0", "/x~0~1y"])
    assert sorted(_unescape(p[1:]) for p in pointers) == sorted(weird)
    assert row_counts() == before
    inc = new_incident(editor)
    src = editor.post("/v1/sources", json={"name": "Press TV", "kind": "outlet"}).json()
    body = {
        "incident_id": inc["id"],
        "source_id": src["id"],
        "said_at": "2020-03-11T18:00:00Z",
        "quote": "q",
        "topic": "casualties.killed",
        "value": {"kind": "quantity", "bound": "exact", "best": 1},
        "qualifiers": {"unit/~x": "US"},
    }
    before = row_counts()
    r = editor.post("/v1/claims", json=body)
    assert r.status_code == 422
    (pointer,) = {e["pointer"] for e in r.json()["errors"]}
    assert pointer.split("/")[1:3] == ["qualifiers", "unit~1~0x"]
    assert row_counts() == before


def test_body_that_is_not_an_object(editor: Api) -> None:
    r = editor.post("/v1/sources", json=[1, 2])
    assert r.status_code == 422
    assert r.json()["status"] == 422


def test_unknown_id_is_404_problem(editor: Api) -> None:
    for url in (
        "/v1/sources/nope",
        "/v1/actors/nope",
        "/v1/incidents/nope",
        "/v1/claims/nope",
        "/v1/topics/nope",
    ):
        r = editor.get(url)
        assert r.status_code == 404, url
        assert r.headers["content-type"] == "application/problem+json"
        assert "nope" in r.json()["detail"]


def test_unknown_route_is_problem(editor: Api) -> None:
    r = editor.get("/v1/nothing-here")
    assert r.status_code == 404
    assert r.json()["title"] == "Not Found"


def test_unexpected_error_is_500_without_internals(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.main import app
    from app.sources import service

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("secret database password in traceback")

    monkeypatch.setattr(service, "list_sources", boom)
    key = make_key("viewer")
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get(
            "/v1/sources", headers={"Authorization": f"Bearer {key}", "X-Request-ID": "req-42"}
        )
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["request_id"] == "req-42"
    assert "secret" not in r.text
    assert "Traceback" not in r.text


def test_missing_and_bad_keys_are_401(app_client: TestClient) -> None:
    r = app_client.get("/v1/sources")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"] == "application/problem+json"
    r = app_client.get("/v1/sources", headers={"Authorization": "Bearer cdk_wrong"})
    assert r.status_code == 401
    r = app_client.get("/v1/sources", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401


def test_roles(viewer: Api, editor: Api, admin: Api) -> None:
    assert viewer.get("/v1/sources").status_code == 200
    r = viewer.post("/v1/sources", json={"name": "x", "kind": "outlet"})
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert editor.post("/v1/sources", json={"name": "x", "kind": "outlet"}).status_code == 201
    inc = new_incident(editor)
    assert editor.delete(f"/v1/incidents/{inc['id']}").status_code == 403
    assert (
        editor.post("/v1/topics", json={"key": "displaced", "kind": "quantity"}).status_code == 403
    )
    assert (
        admin.post("/v1/topics", json={"key": "displaced", "kind": "quantity"}).status_code == 201
    )
    assert admin.delete(f"/v1/incidents/{inc['id']}").status_code == 204


def test_anonymous_read_only_when_enabled(
    settings_env: pytest.MonkeyPatch, app_client: TestClient
) -> None:
    assert app_client.get("/v1/topics").status_code == 401
    settings_env.setenv("CLAIMDESK_ANONYMOUS_READ", "true")
    from app.config import get_settings

    get_settings.cache_clear()
    r = app_client.get("/v1/topics")
    assert r.status_code == 200
    assert {t["key"] for t in r.json()["items"]} >= {
        "casualties.killed",
        "responsibility",
        "occurred",
    }
    r = app_client.post("/v1/sources", json={"name": "x", "kind": "outlet"})
    assert r.status_code == 401


def test_admin_key_bootstrap(settings_env: pytest.MonkeyPatch) -> None:
    from app.main import app

    settings_env.setenv("CLAIMDESK_ADMIN_KEY", "cdk_operator-chosen-secret-0123456789")
    from app.config import get_settings

    get_settings.cache_clear()
    with TestClient(app) as client:
        headers = {"Authorization": "Bearer cdk_operator-chosen-secret-0123456789"}
        r = client.post(
            "/v1/topics", json={"key": "displaced", "kind": "quantity"}, headers=headers
        )
        assert r.status_code == 201
    with TestClient(app):  # a second start does not duplicate the key
        pass
    from sqlalchemy import text

    from app.db import get_engine

    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM api_key")).scalar_one() == 1


def test_keys_are_stored_only_as_hashes() -> None:
    key = make_key("viewer")
    from sqlalchemy import text

    from app.db import get_engine

    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT key_hash, prefix FROM api_key")).all()
    assert len(rows) == 1
    assert rows[0][0] != key and len(rows[0][0]) == 64
    assert key not in rows[0][0]
    assert len(rows[0][1]) < len(key) // 2


def test_request_id_echoed(viewer: Api) -> None:
    r = viewer.get("/v1/topics", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = viewer.get("/v1/topics", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces"
    assert len(r.headers["x-request-id"]) == 32


def test_admin_key_must_be_a_real_secret(settings_env: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from app.config import Settings

    settings_env.setenv("CLAIMDESK_ADMIN_KEY", "")
    assert Settings().admin_key is None
    settings_env.setenv("CLAIMDESK_ADMIN_KEY", "short")
    with pytest.raises(ValidationError, match="at least 16"):
        Settings()


def test_405_lists_every_allowed_method(editor: Api) -> None:
    r = editor.request("PUT", "/v1/actors")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD, POST"
    assert r.headers["content-type"] == "application/problem+json"
    r = editor.request("PUT", "/v1/claims/01ARZ3NDEKTSV4RRFFQ69G5FAV")
    assert r.headers["allow"] == "DELETE, GET, HEAD, PATCH"


def test_problems_without_a_slug_are_about_blank(editor: Api) -> None:
    r = editor.get("/v1/no-such-route")
    assert r.status_code == 404
    body = r.json()
    assert (body["type"], body["title"], body["status"]) == ("about:blank", "Not Found", 404)


def test_invalid_names_the_field_or_the_body() -> None:
    from app.errors import invalid

    assert invalid("", "must be an object").detail == "body: must be an object"
    assert invalid("/links/0/url", "bad").detail == "links/0/url: bad"
    assert [e.pointer for e in invalid("", "x").errors or []] == [""]
