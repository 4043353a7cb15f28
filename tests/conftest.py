"""Test fixtures. The database is chosen with CLAIMDESK_TEST_DATABASE_URL (default: a fresh
SQLite file per process); the schema is always built by ``alembic upgrade head``, never
``create_all``. Each test starts from empty tables (built-in topics kept).

Under pytest-xdist every worker gets its own database, so ``pytest -n N`` works on PostgreSQL:
worker ``gw0`` of ``.../claimdesk_test`` uses ``.../claimdesk_test_gw0``, created when missing
and left in place afterwards (its schema is dropped and rebuilt at the start of every session,
so it is reusable; drop ``<name>_gw*`` by hand when you no longer want them). A serial run uses
the named database itself."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def worker_database_url(base: str, worker: str | None) -> str:
    """The database URL one xdist worker uses: ``<name>_<worker>`` on PostgreSQL."""
    url = make_url(base)
    if not worker or url.get_backend_name() != "postgresql":
        return base
    return url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)


TEST_URL = worker_database_url(
    os.environ.get("CLAIMDESK_TEST_DATABASE_URL")
    or "sqlite:///" + str(Path(tempfile.mkdtemp(prefix="claimdesk-test-")) / "test.db"),
    os.environ.get("PYTEST_XDIST_WORKER"),
)
os.environ["CLAIMDESK_DATABASE_URL"] = TEST_URL
os.environ.pop("CLAIMDESK_ADMIN_KEY", None)
os.environ.pop("CLAIMDESK_ANONYMOUS_READ", None)
os.environ.pop("CLAIMDESK_REQUIRE_IF_MATCH", None)
os.environ["CLAIMDESK_DELIVER_WEBHOOKS"] = "false"  # tests deliver explicitly
os.environ["CLAIMDESK_RATE_LIMIT"] = "false"  # rate-limit tests turn it on
os.environ.pop("CLAIMDESK_ALLOW_PRIVATE_URLS", None)

from app.config import get_settings  # noqa: E402

# Property tests check laws, not speed: on a loaded 2-core CI machine a per-example deadline
# only makes them flaky (timings belong in the benchmark scripts).
hypothesis_settings.register_profile("claimdesk", deadline=None)
hypothesis_settings.load_profile("claimdesk")
from app.db import alembic_config, get_engine, normalise_url, reset_engine  # noqa: E402
from tests.factories import Api, make_key  # noqa: E402


def is_postgres() -> bool:
    return make_url(normalise_url(TEST_URL)).get_backend_name() == "postgresql"


def create_database_if_missing(url: str) -> None:
    """Create the PostgreSQL database ``url`` names, connecting to the server's ``postgres``."""
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).first()
            if not exists:
                quoted = conn.dialect.identifier_preparer.quote(str(target.database))
                conn.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()


def fresh_database() -> None:
    """Drop everything and rebuild the schema with the migrations."""
    url = normalise_url(TEST_URL)
    if is_postgres():
        create_database_if_missing(url)
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        path = make_url(url).database
        if path and path != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(path + suffix).unlink(missing_ok=True)
    command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session", autouse=True)
def _database() -> Iterator[None]:
    get_settings.cache_clear()
    reset_engine()
    fresh_database()
    yield
    reset_engine()


_TABLES: dict[str, list[str]] = {}


def table_names() -> list[str]:
    """The data tables, parents before children (read once per database: the schema is fixed
    for the session)."""
    engine = get_engine()
    key = engine.url.render_as_string(hide_password=False)
    if key not in _TABLES:
        from sqlalchemy import inspect

        ordered = [t for t, _ in inspect(engine).get_sorted_table_and_fkc_names() if t]
        skip = {"alembic_version", "topic"}
        _TABLES[key] = [n for n in ordered if n not in skip and "_fts" not in n]  # FTS by trigger
    return list(_TABLES[key])


def wipe() -> None:
    """Empty every data table (built-in topics stay). Only tables with rows are touched, in one
    transaction, children first; PostgreSQL's sequences restart as TRUNCATE ... RESTART IDENTITY
    would (a TRUNCATE per test costs far more than deleting a few rows)."""
    from app.keys.service import KEYS

    KEYS.clear()  # keys of the wiped rows (a fixed CLAIMDESK_ADMIN_KEY gets a new id)
    engine = get_engine()
    names = table_names()
    if engine.dialect.name == "postgresql":
        exists = " UNION ALL ".join(f"SELECT '{n}' WHERE EXISTS (SELECT 1 FROM {n})" for n in names)
        with engine.begin() as conn:
            full = set(conn.execute(text(exists)).scalars())
            for name in reversed(names):
                if name in full:
                    conn.execute(text(f"DELETE FROM {name}"))
                    for seq in _sequences(conn, name):
                        conn.execute(text(f"ALTER SEQUENCE {seq} RESTART"))
            conn.execute(text("DELETE FROM topic WHERE builtin = false"))
        reset_builtin_topics()
        return
    raw = engine.raw_connection()  # PRAGMA foreign_keys only works outside BEGIN
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA foreign_keys=OFF")
        cur.execute("BEGIN")
        cur.execute("DELETE FROM claim_fts")
        cur.execute("DELETE FROM incident_fts")
        for name in names:
            cur.execute(f"DELETE FROM {name}")
        cur.execute("DELETE FROM topic WHERE builtin = 0")
        cur.execute("COMMIT")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
    finally:
        raw.close()
    reset_builtin_topics()


_SEQUENCES: dict[str, list[str]] = {}


def _sequences(conn: Any, table: str) -> list[str]:
    """The sequences a PostgreSQL table owns (a serial id), looked up once per table."""
    if table not in _SEQUENCES:
        _SEQUENCES[table] = list(
            conn.execute(
                text(
                    "SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid"
                    " JOIN pg_class t ON d.refobjid = t.oid"
                    " WHERE s.relkind = 'S' AND d.deptype IN ('a', 'i') AND t.relname = :table"
                ),
                {"table": table},
            ).scalars()
        )
    return _SEQUENCES[table]


def reset_builtin_topics() -> None:
    """Built-in topics back to their migration's implications and no taxonomy."""
    from sqlalchemy import select, update

    from app.topics.models import BUILTIN_IMPLICATIONS, Topic

    table = Topic.metadata.tables["topic"]
    with get_engine().begin() as conn:
        rows = conn.execute(select(table.c.key, table.c.categories, table.c.implications))
        if all(
            categories == {} and implications == BUILTIN_IMPLICATIONS.get(key, [])
            for key, categories, implications in rows
        ):
            return  # nothing changed them: no write
        conn.execute(update(table).values(categories={}, implications=[]))
        for key, implications in BUILTIN_IMPLICATIONS.items():
            conn.execute(update(table).where(table.c.key == key).values(implications=implications))


@pytest.fixture(autouse=True)
def _clean(_database: None) -> Iterator[None]:
    yield
    # A test that pointed the cached engine at another database and left it there (a CLI
    # command run in-process with another CLAIMDESK_DATABASE_URL builds the engine from it)
    # would make every later test of this worker wipe and count that other database, while the
    # subprocesses those tests start use TEST_URL: fail the test that leaked, not a later one.
    engine = get_engine()
    if engine.url.render_as_string(hide_password=False) != normalise_url(TEST_URL):
        leaked = engine.url.render_as_string(hide_password=True)
        reset_engine()
        wipe()
        pytest.fail(f"this test left the cached engine on {leaked}, not the test database")
    wipe()


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Set CLAIMDESK_* variables for one test; the settings cache is cleared around it, and the
    cached engine is forgotten after it (it may have been built from the test's database URL:
    the next ``get_engine()`` builds it again from the restored settings)."""
    # pinned, so that monkeypatch puts it back even when the test changed it behind its back
    # (a CLI command's --database-url sets os.environ for the processes it starts)
    monkeypatch.setenv("CLAIMDESK_DATABASE_URL", TEST_URL)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()
    reset_engine()


@pytest.fixture(scope="session")
def _session_client(_database: None) -> Iterator[TestClient]:
    from app.main import app

    with TestClient(app) as client:
        yield client


@pytest.fixture
def app_client(_session_client: TestClient) -> Iterator[TestClient]:
    """A TestClient on the app, started once per session (a test about start-up, or with
    settings read at start-up, starts its own ``TestClient(create_app())``). Each test gets it
    with its default headers and no cookies, whatever the previous test set."""
    client = _session_client
    client.headers = httpx.Headers(_DEFAULT_HEADERS)
    client.cookies.clear()
    yield client
    from app.keys.service import USAGE

    USAGE.drain()  # what the app's shutdown would write (keys' last use) before the wipe


_DEFAULT_HEADERS = dict(TestClient(FastAPI()).headers)


@pytest.fixture
def editor(app_client: TestClient) -> Api:
    return Api(app_client, make_key("editor"))


@pytest.fixture
def admin(app_client: TestClient) -> Api:
    return Api(app_client, make_key("admin"))


@pytest.fixture
def viewer(app_client: TestClient) -> Api:
    return Api(app_client, make_key("viewer"))


@pytest.fixture
def anonymous(app_client: TestClient) -> Api:
    return Api(app_client, None)


def row_counts() -> dict[str, int]:
    """Rows per table: proves a failed request left the database unchanged."""
    engine = get_engine()
    with engine.connect() as conn:
        return {
            name: conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one()
            for name in [*table_names(), "topic"]
        }


class FakeDNS:
    """``socket.getaddrinfo`` answering for names under ``.test`` from a table the test can
    change (DNS changing between registration and delivery); other names resolve as usual."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import socket

        self.table: dict[str, str] = {}
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
            if isinstance(host, str) and host.endswith(".test"):
                if host not in self.table:
                    raise socket.gaierror(socket.EAI_NONAME, "unknown test host")
                address = self.table[host]
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                sockaddr = (address, port or 0, 0, 0) if ":" in address else (address, port or 0)
                return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]
            return real(host, port, *args, **kw)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def sqlite_made_elsewhere(path: Path) -> sqlite3.Connection:
    """A SQLite file made without the service (SQLite's own 4 KiB pages), in WAL mode, with one
    table ``t (x TEXT)``; the connection stays open (autocommit) for the test to use."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x TEXT)")
    return conn
