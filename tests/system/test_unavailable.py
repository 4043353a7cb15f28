"""A database that is busy or gone answers 503 + Retry-After (problem+json), logs one line
when the outage starts and one when it ends, and recovers without a restart."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.config import get_settings
from app.db import get_engine, normalise_url, reset_engine
from tests.conftest import TEST_URL, is_postgres, row_counts
from tests.factories import Api, make_key
from tests.faultkit import TcpProxy, free_port

SOURCE = {"name": "Press TV", "kind": "outlet", "country": "IR"}


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def db_log() -> Iterator[list[str]]:
    """The lines logged by claimdesk.db (the app's logging does not propagate to caplog)."""
    handler = _Lines()
    logger = logging.getLogger("claimdesk.db")
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def _assert_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert response.json()["status"] == 503


@pytest.mark.skipif(is_postgres(), reason="the SQLite write lock")
def test_sqlite_writer_that_cannot_get_the_lock_gets_503_and_reads_go_on(
    settings_env: pytest.MonkeyPatch, db_log: list[str]
) -> None:
    settings_env.setenv("CLAIMDESK_SQLITE_BUSY_TIMEOUT_MS", "200")
    reset_engine()
    from app.main import app

    key = make_key("editor")
    path = make_url(normalise_url(TEST_URL)).database
    assert path
    holder = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        with TestClient(app) as client:
            api = Api(client, key)
            holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            for _ in range(3):
                _assert_503(api.post("/v1/sources", json=SOURCE))
            _assert_503(api.post("/v1/sources", json=SOURCE, headers={"Idempotency-Key": "k"}))
            assert api.get("/v1/sources").status_code == 200  # reads never wait for it
            holder.execute("COMMIT")
            assert api.post("/v1/sources", json=SOURCE).status_code == 201
            r = api.post("/v1/sources", json=SOURCE, headers={"Idempotency-Key": "k"})
            assert r.status_code == 201  # the refused attempt did not keep the key
    finally:
        holder.close()
        reset_engine()
    lines = db_log
    assert len(lines) == 2, lines  # one when it started, one when it ended
    assert "busy" in lines[0] and "no more" in lines[1]
    assert row_counts()["source"] == 2


@pytest.fixture
def cut_off_database(settings_env: pytest.MonkeyPatch) -> Iterator[TcpProxy]:
    url = make_url(normalise_url(TEST_URL))
    with TcpProxy((url.host or "127.0.0.1", url.port or 5432), port=free_port()) as proxy:
        settings_env.setenv(
            "CLAIMDESK_DATABASE_URL",
            url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        )
        settings_env.setenv("CLAIMDESK_DB_CONNECT_TIMEOUT_S", "2")
        get_settings.cache_clear()
        reset_engine()
        try:
            yield proxy
        finally:
            reset_engine()
            settings_env.setenv("CLAIMDESK_DATABASE_URL", TEST_URL)
            get_settings.cache_clear()


@pytest.mark.skipif(not is_postgres(), reason="a PostgreSQL server that goes away")
def test_postgres_outage_is_503_then_recovers_without_restart(
    cut_off_database: TcpProxy, db_log: list[str]
) -> None:
    from app.main import app

    key = make_key("editor")
    with TestClient(app) as client:
        api = Api(client, key)
        assert api.post("/v1/sources", json=SOURCE).status_code == 201
        assert get_engine().url.port == cut_off_database.port
        cut_off_database.cut()
        for _ in range(3):
            _assert_503(api.get("/v1/sources"))
            _assert_503(api.post("/v1/sources", json=SOURCE))
            _assert_503(api.post("/v1/sources", json=SOURCE, headers={"Idempotency-Key": "i"}))
        assert client.get("/readyz").status_code == 503
        cut_off_database.restore()
        assert api.get("/v1/sources").status_code == 200
        assert (
            api.post("/v1/sources", json=SOURCE, headers={"Idempotency-Key": "i"}).status_code
            == 201
        )
        assert client.get("/readyz").status_code == 200
    lines = db_log
    assert len(lines) == 2, lines
    assert "unavailable" in lines[0] and "no more" in lines[1]
    assert row_counts()["source"] == 2
