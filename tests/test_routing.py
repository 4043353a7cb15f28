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
