"""Problem+json everywhere, no stack traces (authentication is in tests/test_auth.py)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.conftest import row_counts
from tests.factories import Api, make_key, new_incident


def test_malformed_json_is_400_problem(editor: Api) -> None:
    before = row_counts()
    r = editor.client.post(
        "/v1/sources",
        content=b'{"name": "x", ',
        headers=editor.headers({"Content-Type": "application/json"}),
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (body["type"], body["title"], body["status"]) == (
        "https://claimdesk.dev/problems/malformed-json",
        "Malformed JSON",
        400,
    )
    # the detail says what the JSON parser stumbled on, not only that it did
    reason = body["detail"].removeprefix("request body is not valid JSON: ")
    assert reason != body["detail"] and reason not in ("", "parse error")
    assert body["errors"] == [{"pointer": "", "detail": body["detail"]}]
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

    monkeypatch.setattr(service.sources, "list", boom)
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


def test_request_id_echoed(viewer: Api) -> None:
    r = viewer.get("/v1/topics", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = viewer.get("/v1/topics", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces"
    assert len(r.headers["x-request-id"]) == 32


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


def _busy() -> Exception:
    """What SQLAlchemy raises when SQLite's write lock (or a PostgreSQL lock) is not granted."""
    from sqlalchemy.exc import OperationalError

    return OperationalError("INSERT INTO source ...", {}, Exception("database is locked"))


BUSY_PROBLEM = {
    "type": "https://claimdesk.dev/problems/database-busy",
    "title": "Service unavailable",
    "status": 503,
    "detail": "the database is busy with other writes; retry after the Retry-After seconds",
}


class _Errors(logging.Handler):
    """The ``error`` each record of a logger carries (the app's logs do not reach caplog)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.errors.append(str(getattr(record, "error", "")))


def test_a_busy_database_is_the_same_503_problem_wherever_it_is_noticed(
    editor: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a route (the exception handler) and in the Idempotency-Key store, which runs before
    the route (the error boundary): one document a client can act on, with Retry-After; the
    operator's log line says what the database answered."""
    from app.db import BUSY, HEALTH
    from app.idempotency import service as idempotency
    from app.sources import service

    def busy(*_: object, **__: object) -> None:
        raise _busy()

    monkeypatch.setattr(service.sources, "list", busy)
    monkeypatch.setattr(idempotency, "begin", busy)
    handler = _Errors()
    logging.getLogger("claimdesk.db").addHandler(handler)
    try:
        in_route = editor.get("/v1/sources", headers={"X-Request-ID": "req-route"})
        HEALTH.clear(BUSY)  # the next outage is logged again
        in_store = editor.post(
            "/v1/sources",
            json={"name": "x", "kind": "outlet"},
            headers={"Idempotency-Key": "k", "X-Request-ID": "req-store"},
        )
    finally:
        HEALTH.clear(BUSY)
        logging.getLogger("claimdesk.db").removeHandler(handler)
    # one line as each outage starts, naming the database's answer ("no more" lines carry none)
    assert [e for e in handler.errors if e] == ["database is locked", "database is locked"]
    for r, request_id in ((in_route, "req-route"), (in_store, "req-store")):
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["retry-after"]) >= 1
        assert r.json() == BUSY_PROBLEM | {"instance": "/v1/sources", "request_id": request_id}
    assert row_counts()["source"] == 0


def test_a_constraint_violation_that_surfaces_is_a_409_without_the_database_message(
    editor: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import IntegrityError

    from app.sources import service

    def clash(*_: object, **__: object) -> None:
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed: source.secret"))

    monkeypatch.setattr(service.sources, "create", clash)
    r = editor.post("/v1/sources", json={"name": "x", "kind": "outlet"})
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (body["type"], body["title"], body["status"]) == (
        "https://claimdesk.dev/problems/conflict",
        "Conflict with the current state",
        409,
    )
    assert body["detail"] == (
        "the change conflicts with existing data (a duplicate external_id, or a reference "
        "to something that no longer exists)"
    )
    assert "UNIQUE" not in r.text and "secret" not in r.text


class _FailingMiddleware:
    """A middleware outside the error boundary that fails (the last-resort handler's case)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/v1/fail-outside":
            raise RuntimeError("secret token in an outer middleware")
        await self.app(scope, receive, send)


def test_a_newly_built_app_answers_every_failure_as_problem_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``create_app()`` wires each kind of failure to its problem: a domain error, invalid
    input, an unknown route or method, a constraint violation, a busy database, and an error
    outside every handler (the last resort: 500, nothing of the exception shown)."""
    from sqlalchemy.exc import IntegrityError

    from app.db import BUSY, HEALTH
    from app.main import create_app
    from app.sources import service

    def clash(*_: object, **__: object) -> None:
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    def busy(*_: object, **__: object) -> None:
        raise _busy()

    monkeypatch.setattr(service.sources, "create", clash)
    monkeypatch.setattr(service.sources, "list", busy)
    app = create_app()
    app.add_middleware(_FailingMiddleware)
    key = make_key("editor")
    auth = {"Authorization": f"Bearer {key}"}
    client = TestClient(app, raise_server_exceptions=False)
    try:
        answers = {
            "domain": client.get("/v1/sources/nope", headers=auth),
            "validation": client.post("/v1/sources", json={"name": 5}, headers=auth),
            "route": client.get("/v1/no-such-route", headers=auth),
            "method": client.put("/v1/actors", headers=auth),
            "integrity": client.post(
                "/v1/sources", json={"name": "x", "kind": "outlet"}, headers=auth
            ),
            "database": client.get("/v1/sources", headers=auth),
            "outside": client.get("/v1/fail-outside", headers=auth),
        }
    finally:
        HEALTH.clear(BUSY)
    seen = {
        name: (r.status_code, r.headers["content-type"], r.json()["type"])
        for name, r in answers.items()
    }
    problem = "application/problem+json"
    base = "https://claimdesk.dev/problems/"
    assert seen == {
        "domain": (404, problem, base + "not-found"),
        "validation": (422, problem, base + "validation"),
        "route": (404, problem, "about:blank"),
        "method": (405, problem, "about:blank"),
        "integrity": (409, problem, base + "conflict"),
        "database": (503, problem, base + "database-busy"),
        "outside": (500, problem, base + "internal"),
    }
    assert answers["method"].headers["allow"] == "GET, HEAD, POST"
    assert answers["outside"].json() == {
        "type": base + "internal",
        "title": "Internal server error",
        "status": 500,
        "detail": "An unexpected error occurred; quote the request id when reporting it.",
        "instance": "/v1/fail-outside",
        "request_id": None,
    }
    assert "secret" not in answers["outside"].text
