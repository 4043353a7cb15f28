"""Database engine, sessions and schema checks (SQLite and PostgreSQL behave the same)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlmodel import Session

import app.views.invalidate  # noqa: F401  (ready-made views are invalidated on every write)
from app.config import ConfigError, get_settings, mask_url

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
URL_HELP = "use sqlite:///path/to/claimdesk.db or postgresql://user:password@host:5432/dbname"


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def parse_database_url(url: str) -> URL:
    """The parsed URL, or a one-line ConfigError naming CLAIMDESK_DATABASE_URL."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):
        raise ConfigError(
            f"CLAIMDESK_DATABASE_URL: cannot parse {mask_url(url)!r} as a database URL; {URL_HELP}"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ConfigError(
            f"CLAIMDESK_DATABASE_URL: {backend} is not supported (only SQLite and PostgreSQL); "
            f"{URL_HELP}"
        )
    if backend == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise ConfigError(
            f"CLAIMDESK_DATABASE_URL: the {parsed.get_driver_name()} driver is not installed; "
            "use postgresql:// or postgresql+psycopg:// (psycopg 3)"
        )
    return parsed


def is_sqlite(url: str) -> bool:
    return parse_database_url(url).get_backend_name() == "sqlite"


def missing_sqlite_file(url: str) -> Path | None:
    """The path of a SQLite database file that does not exist yet (connecting would create an
    empty one), else None."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database)
    return None if path.exists() else path.resolve()


#: The page size of a SQLite database this service creates (bytes; SQLite's default is 4096).
#: Set on every connection, it only takes effect on a new, empty database (before WAL mode
#: is set): an existing file keeps the page size it was made with. A million-claim import ran
#: 1.12-1.20x faster with 16 KiB pages (fewer pages for the B-trees to split and the deferred
#: index builds to read, fewer pages written to the WAL and checkpointed), and the served views
#: answered alike (docs/performance.md, "tenth pass").
SQLITE_PAGE_SIZE = 16 * 1024


def set_page_size(dbapi_conn: Any, _record: Any = None) -> None:
    """A SQLite connection's ``connect`` hook: :data:`SQLITE_PAGE_SIZE` for the file, if it is
    new (a no-op otherwise). The service's engine runs it; so does the migrations' own engine
    (``migrations/env.py``), which may be the first to open a new file."""
    dbapi_conn.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")


def _sqlite_pragmas(busy_timeout_ms: int) -> Any:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy manage transactions explicitly (BEGIN on first statement).
        dbapi_conn.isolation_level = None
        set_page_size(dbapi_conn)  # before WAL mode, which fixes a new file's page size
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    return on_connect


WRITE_OPTION = "claimdesk_write"


def _sqlite_begin(conn: Any) -> None:
    # A writing session takes the write lock up front (BEGIN IMMEDIATE), so two writers
    # queue on the busy timeout instead of failing with "database is locked" half-way
    # through a read-then-write; readers use a deferred BEGIN and never block in WAL mode.
    if conn.get_execution_options().get(WRITE_OPTION):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        HEALTH.clear(BUSY)
    else:
        conn.exec_driver_sql("BEGIN")


log = logging.getLogger("claimdesk.db")

BUSY = "busy"
UNAVAILABLE = "unavailable"
RETRY_AFTER = {BUSY: 1, UNAVAILABLE: 5}
# PostgreSQL SQLSTATE classes and codes that mean "the server is gone or going", not "busy".
_PG_GONE = ("08", "57P01", "57P02", "57P03", "53")


class DatabaseHealth:
    """Remembers whether the database is busy (SQLite write lock not obtained in time) or
    unavailable (connection refused or lost), so that an outage is logged once when it starts
    and once when it ends, however many requests it turns away."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down: dict[str, float] = {}

    def report(self, kind: str, exc: BaseException) -> None:
        with self._lock:
            if kind in self._down:
                return
            self._down[kind] = time.monotonic()
        log.warning(
            "database %s: answering 503 until it recovers",
            kind,
            extra={"error": str(getattr(exc, "orig", None) or exc)[:300]},
        )

    def clear(self, kind: str) -> None:
        if kind not in self._down:  # the common case: no lock taken
            return
        with self._lock:
            started = self._down.pop(kind, None)
        if started is not None:
            log.warning(
                "database %s no more, after %.1f s",
                kind,
                time.monotonic() - started,
            )

    def is_down(self, kind: str) -> bool:
        return kind in self._down


HEALTH = DatabaseHealth()


def unavailability(exc: BaseException) -> str | None:
    """``BUSY`` or ``UNAVAILABLE`` if ``exc`` means the database cannot serve the request
    now (a client may retry), else None."""
    if isinstance(exc, SATimeoutError):  # the connection pool is exhausted
        return BUSY
    if isinstance(exc, DisconnectionError):
        return UNAVAILABLE
    if not isinstance(exc, (OperationalError, InterfaceError)):
        return None
    if getattr(exc, "connection_invalidated", False) or isinstance(exc, InterfaceError):
        return UNAVAILABLE
    orig = getattr(exc, "orig", None)
    message = str(orig or exc).lower()
    if "locked" in message or "busy" in message:
        return BUSY
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is None or sqlstate.startswith(_PG_GONE):
        return UNAVAILABLE
    return BUSY  # deadlock, serialisation failure, lock or statement timeout: try again


def _reachable(*_: Any) -> None:
    HEALTH.clear(UNAVAILABLE)


def build_engine(url: str | None = None) -> Engine:
    settings = get_settings()
    url = normalise_url(url or settings.database_url)
    parse_database_url(url)
    if is_sqlite(url):
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_busy_timeout_ms / 1000,
            },
            json_deserializer=orjson.loads,  # JSON columns read back (the stdlib's is slower)
        )
        event.listen(engine, "connect", _sqlite_pragmas(settings.sqlite_busy_timeout_ms))
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "after_cursor_execute", _reachable)
        event.listen(engine.pool, "checkin", _restore_autocheckpoint)
        return engine
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        pool_timeout=settings.db_pool_timeout_s,
        connect_args={"connect_timeout": settings.db_connect_timeout_s},
    )
    event.listen(engine, "after_cursor_execute", _reachable)
    return engine


_engine: Engine | None = None
_engine_lock = threading.Lock()


def get_engine() -> Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = build_engine()
        return _engine


def reset_engine() -> None:
    """Forget the cached engine (tests and the CLI switch databases)."""
    global _engine
    with _engine_lock:
        if _engine is not None:
            _engine.dispose()
        _engine = None


def get_session() -> Iterator[Session]:
    """FastAPI dependency for reads: one session per request, never committed (closing it
    ends the read transaction)."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


def get_write_session() -> Iterator[Session]:
    """FastAPI dependency for writes: the request is the unit of work. The transaction takes
    the write lock up front; services only ``flush()``; this commits once when the route
    returned, or rolls back when it raised. Use it as :data:`WriteSession` (``scope=
    "function"``), so the commit runs before the response is sent: a commit that fails (a
    conflict, the database gone) becomes a 409/503 problem, never a 2xx for lost work."""
    with session_scope() as session:
        yield session


WriteSession = Annotated[Session, Depends(get_write_session, scope="function")]
"""A route's unit of work: committed before the response is sent (see get_write_session)."""


@contextmanager
def session_scope(write: bool = True) -> Iterator[Session]:
    """One unit of work for the CLI, background work and write requests: committed once on
    success, rolled back on any exception. The only place in ``app/`` that commits."""
    engine = get_engine()
    with Session(engine, expire_on_commit=False) as session:
        if write:
            session.connection(execution_options={WRITE_OPTION: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.info.pop(CHECKPOINT_LATER, None)
            session.rollback()
            raise
        wal = session.info.pop(CHECKPOINT_LATER, None)
        if wal is not None:
            _sync(wal)  # durable when the commit returns, as the checkpoint made it before
            CHECKPOINTS.request(engine)


# --- SQLite: a large transaction's checkpoint after its commit ----------------------------

#: ``Session.info`` key: the WAL file whose checkpoint is left out of the session's commit.
CHECKPOINT_LATER = "claimdesk_checkpoint_later"
#: The name of the thread that checkpoints the WAL after large imports.
CHECKPOINT_THREAD = "claimdesk-checkpoint"
#: Connection pool entry's ``info`` key: its ``wal_autocheckpoint`` before it was turned off.
_AUTOCHECKPOINT = "claimdesk_autocheckpoint"


def checkpoint_later(session: Session) -> None:
    """SQLite: the commit of ``session``'s transaction (a large import's) does not copy the
    WAL into the database file itself. SQLite's automatic checkpoint runs inside the commit
    that takes the WAL past ``wal_autocheckpoint`` pages, and for a transaction of hundreds of
    megabytes that copy (WAL synced, every page written again, the database file synced) took
    longer than everything else the commit does. Instead: the connection's automatic
    checkpoint is off until it goes back to the pool (:func:`_restore_autocheckpoint`), the
    commit is followed by a sync of the WAL (so the transaction is as durable when the commit
    returns as the checkpoint made it; the connections' ``synchronous=NORMAL`` does not sync
    the WAL at a commit), and a thread copies the WAL into the database file afterwards
    (:data:`CHECKPOINTS`, a ``PASSIVE`` checkpoint: it waits for no reader or writer). Until
    then readers read the new pages from the WAL, as they do between any two checkpoints.
    A no-op on PostgreSQL, for a database without a file or not in WAL mode."""
    if CHECKPOINT_LATER in session.info:
        return
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    if str(raw.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        return
    path = next((str(r[2]) for r in raw.execute("PRAGMA database_list") if r[1] == "main"), "")
    if not path:  # in memory, or a temporary database
        return
    info = conn.connection.info
    info.setdefault(_AUTOCHECKPOINT, int(raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0]))
    raw.execute("PRAGMA wal_autocheckpoint = 0")
    session.info[CHECKPOINT_LATER] = path + "-wal"


def _restore_autocheckpoint(dbapi_conn: Any, record: Any) -> None:
    """Pool check-in: the connection's automatic checkpoint as it was before
    :func:`checkpoint_later` (after the commit or rollback, so neither ran it)."""
    before = record.info.pop(_AUTOCHECKPOINT, None)
    if before is not None and dbapi_conn is not None:
        dbapi_conn.execute(f"PRAGMA wal_autocheckpoint = {int(before)}")


def _sync(path: str) -> None:
    """The WAL file's data on the disk (what ``synchronous=FULL`` does at a commit)."""
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Checkpoints:
    """``PASSIVE`` checkpoints run by a thread of their own, one at a time, after the commits
    that left them out (:func:`checkpoint_later`). The thread ends when none is wanted (a
    process that forks helpers needs to run one thread). A checkpoint that fails is left to the
    next commit's automatic checkpoint, as it would be after any interrupted checkpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wanted: dict[str, Engine] = {}
        self._thread: threading.Thread | None = None

    def request(self, engine: Engine) -> None:
        with self._lock:
            self._wanted[engine.url.render_as_string(hide_password=False)] = engine
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name=CHECKPOINT_THREAD, daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._wanted:
                    self._thread = None
                    return
                _url, engine = self._wanted.popitem()
            try:
                raw = engine.raw_connection()
                try:
                    raw.driver_connection.execute(  # type: ignore[union-attr]
                        "PRAGMA wal_checkpoint(PASSIVE)"
                    )
                finally:
                    raw.close()
            except Exception as exc:  # the next commit's automatic checkpoint does it
                log.warning("WAL checkpoint failed", extra={"error": str(exc)[:300]})

    def wait(self) -> None:
        """Until every checkpoint asked for has run (``claimdesk import`` before it exits)."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join()


CHECKPOINTS = Checkpoints()


def migrations_dir() -> Path:
    import migrations

    return Path(migrations.__file__).resolve().parent


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url or get_settings().database_url))
    return cfg


def connection_error(url: object, exc: BaseException) -> ConfigError:
    """A one-line ConfigError for a database that cannot be reached."""
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    reason = (lines or ["no answer"])[0].removeprefix("connection failed: ")
    return ConfigError(
        f"CLAIMDESK_DATABASE_URL: cannot connect to {mask_url(url)} ({reason}); "
        "check the URL and that the database server is running"
    )


def schema_status(engine: Engine) -> tuple[str | None, str | None]:
    """(current revision, head revision) of the database behind ``engine``."""
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(False)))
    head = script.get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except DBAPIError as exc:
        raise connection_error(engine.url, exc) from None
    return current, head


def sqlite_page_size(engine: Engine) -> int | None:
    """The page size of the SQLite database behind ``engine`` (None on PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return None
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("PRAGMA page_size").scalar_one())
    except DBAPIError as exc:
        raise connection_error(engine.url, exc) from None


class SchemaOutOfDate(RuntimeError):
    pass


class DatabaseMissing(ConfigError):
    """The SQLite file named by the settings does not exist (nothing was created)."""


def check_schema(engine: Engine) -> None:
    """Raise DatabaseMissing for a SQLite file that does not exist (without creating it), or
    SchemaOutOfDate when the schema is not at the code's head."""
    missing = missing_sqlite_file(engine.url.render_as_string(False))
    if missing is not None:
        raise DatabaseMissing(
            f"No database at {missing}: create it with `claimdesk db upgrade` "
            "(or point CLAIMDESK_DATABASE_URL at an existing one)."
        )
    current, head = schema_status(engine)
    if current is None:
        raise SchemaOutOfDate(
            f"The database at {mask_url(engine.url)} has no Claimdesk tables yet: "
            "run `claimdesk db upgrade` to create them."
        )
    if current != head:
        raise SchemaOutOfDate(
            f"The database schema is at revision {current} but the code needs {head}: "
            f"run `claimdesk db upgrade` (database {mask_url(engine.url)})."
        )
