"""The fast path of the bulk import: validated claims (and incidents) become plain tuples,
written a batch at a time with multi-row ``INSERT`` statements (SQLite) or ``COPY``
(PostgreSQL), on the import's own connection and transaction, with no ORM object per row.

Each claim is written exactly as ``POST /v1/claims`` would write it: the claim row, its links,
its ``create`` revision (the diff from nothing to the public claim) and its ``claim.created``
event (the public claim), plus a webhook delivery per interested webhook. The public claim is
built here as a plain dict; the revision and event around it by :func:`app.audit.creation`,
the same function the audited path uses. An incident is written as ``POST /v1/incidents``
writes it (:class:`PlainRows`: the row with the model's defaults, its public snapshot, its
``create`` revision and ``incident.created`` event), before the claims of its batch.
``tests/imports/test_bulk.py`` checks the public claim against the API's own serialisation,
``tests/imports/test_batches.py`` the rows against those the API writes.
"""

from __future__ import annotations

import ctypes
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import chain
from typing import Any

import orjson
import psycopg
from pydantic import BaseModel
from sqlalchemy import JSON, text
from sqlalchemy import event as sa_event
from sqlmodel import Session

from app.audit import AuditedService, creation
from app.claims.schemas import ClaimCreate
from app.claims.service import qualifiers_key
from app.claims.values import VALUE_COLUMNS, number
from app.confidence.values import normalise_category
from app.db import checkpoint_later
from app.errors import Conflict
from app.principal import Principal
from app.repository.base import Repository, remember
from app.types import UTCDateTime, new_id, utcnow
from app.webhooks.outbox import active_hooks, wants

CLAIM_COLUMNS = (
    "id",
    "incident_id",
    "source_id",
    "via_source_id",
    "speaker",
    "said_at",
    "said_at_precision",
    "quote",
    "language",
    "translation",
    "topic",
    "qualifiers",
    "qualifiers_key",
    *VALUE_COLUMNS,
    "stance",
    "confidence",
    "status",
    "supersedes_id",
    "cites_claim_id",
    "external_id",
    "tags",
    "notes",
    "recorded_at",
    "updated_at",
    "version",
)
LINK_COLUMNS = ("id", "claim_id", "position", "url", "kind", "title", "accessed_at")
REVISION_COLUMNS = (
    "id",
    "entity_type",
    "entity_id",
    "version",
    "action",
    "key_id",
    "key_name",
    "at",
    "changes",
    "reason",
)
EVENT_COLUMNS = ("type", "at", "entity_type", "entity_id", "incident_id", "payload")
DELIVERY_COLUMNS = (
    "id",
    "webhook_id",
    "event_id",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)

#: The events a bulk import writes itself (webhook deliveries owed by :meth:`ClaimWriter._owe`).
IMPORT_EVENTS = ("claim.created", "incident.created")
#: Those events written after an id (the import holds the write lock: a batch's own).
_WRITTEN_EVENTS = text(
    "SELECT id, type FROM event WHERE id > :after "
    f"AND type IN ({', '.join(repr(kind) for kind in IMPORT_EVENTS)}) ORDER BY id"
)

# SQLite page cache of an import's connection (KiB): room for the indexes' hot pages.
IMPORT_CACHE_KIB = 128 * 1024

#: SQLite: once an import has written this many claims, and at least as many as the claim
#: table held when it began, the secondary indexes of the tables it fills are dropped inside
#: its transaction and each is built once, sorted, before the commit (:class:`Deferred`).
DEFER_INDEXES_AFTER = 20_000
#: SQLite page cache (KiB) while the deferred indexes are built (bounds the sorter's memory).
SORT_CACHE_KIB = 32 * 1024
#: The tables whose non-unique secondary indexes a large import defers.
DEFERRED_TABLES = ("claim", "claim_link", "revision", "event", "claim_fts_content")

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: The last three characters of an id, for each of the 32**3 values of its last 15 bits.
_TAILS = [a + b + c for a in _ALPHABET for b in _ALPHABET for c in _ALPHABET]


class Ulids:
    """Monotonic ULIDs made a batch at a time: one timestamp read, consecutive 80-bit
    counters from a random start; an id is the 10-character stamp, 13 characters for the
    counter's high bits (encoded once per 32 768 ids) and a 3-character tail from a table
    (the ``ulid`` package takes ~10 µs per id; this about 0.1 µs). Monotonic, so rows keep
    their creation order in id order (an export lists a cited claim before the claim that
    cites it)."""

    def __init__(self) -> None:
        self.stamp = ""
        self.counter = 0

    def take(self, n: int) -> list[str]:
        stamp = new_id()[:10]
        if stamp > self.stamp:
            self.stamp, self.counter = stamp, int.from_bytes(os.urandom(10)) >> 2
        out: list[str] = []
        counter, end = self.counter, self.counter + n
        while counter < end:
            high, low = counter >> 15, counter & 0x7FFF
            take = min(end - counter, 0x8000 - low)
            head = self.stamp + _encode(high, 13)
            out += [head + tail for tail in _TAILS[low : low + take]]
            counter += take
        self.counter = end
        return out


def _encode(value: int, width: int) -> str:
    """``value`` in Crockford base 32, ``width`` characters (most significant first)."""
    chars = []
    for _ in range(width):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def iso(value: datetime) -> str:
    """An instant as the API writes it (pydantic's JSON: ``Z``, microseconds when present)."""
    if value.tzinfo is UTC:  # a validated instant is in UTC already: no conversion
        return value.isoformat()[:-6] + "Z"
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def sqlite_from_iso(text: str) -> str:
    """SQLAlchemy's SQLite text of the instant whose :func:`iso` text is ``text`` (the same as
    :func:`_sqlite_dt` of the instant, from the text already made: cutting a string costs a
    tenth of formatting the instant again)."""
    # YYYY-MM-DDTHH:MM:SS[.ffffff]Z -> YYYY-MM-DD HH:MM:SS.ffffff (the years are 1970-9999)
    return f"{text[:10]} {text[11:19]}{text[19:26] if len(text) == 27 else '.000000'}"


class PlainRows:
    """New rows of one audited table as plain values, without an ORM object: what
    :meth:`app.audit.AuditedService.build` stages for a create, at a tenth of the cost (an
    ORM row, its revision and its event cost ~0.8 ms an incident with their flush; a
    million-claim file has ten thousand incidents). The row is the model's defaults (its
    fields' ``default`` and ``default_factory``), the create values, a new id, the clock's
    instant for ``created_at`` and ``updated_at``; its public snapshot (for the revision and
    the event) is the service's public model of that row. Only for a service whose repository
    derives nothing when it makes a row (``Repository.new`` as it is: the registries'
    ``name_key`` is derived, so sources and actors keep the ORM path)."""

    def __init__(self, service: AuditedService[Any]) -> None:
        repository = service.repository
        if repository.new is not Repository.new:
            raise TypeError(f"{repository.__name__} derives values in new(): not a plain row")
        model: Any = repository.model
        self.service, self.model, self.noun = service, model, repository.noun
        self.table = str(model.__tablename__)
        columns = list(model.__table__.columns)
        self.columns = tuple(str(c.name) for c in columns)
        self.instants = frozenset(c.name for c in columns if isinstance(c.type, UTCDateTime))
        self.json = frozenset(c.name for c in columns if isinstance(c.type, JSON))
        self.defaults: dict[str, Any] = {}
        self.factories: dict[str, Callable[[], Any]] = {}
        for name, info in model.model_fields.items():
            if name in ("id", "created_at", "updated_at"):
                continue  # the writer's ids and clock
            if info.default_factory is not None:
                self.factories[name] = info.default_factory
            elif not info.is_required():
                self.defaults[name] = info.default

    def row(self, values: dict[str, Any], ident: str, now: datetime) -> dict[str, Any]:
        """The new row's fields (Python values, as the ORM object would hold them)."""
        row = dict(self.defaults)
        for name, factory in self.factories.items():
            row[name] = factory()
        row.update(values)
        row["id"], row["created_at"], row["updated_at"] = ident, now, now
        return row

    def snapshot(self, row: dict[str, Any]) -> dict[str, Any]:
        """The public model of the row, as JSON (what revisions and events keep)."""
        return self.service.public.model_validate(row).model_dump(mode="json")

    def stored(self, row: dict[str, Any], dt: Callable[[datetime | None], Any]) -> tuple[Any, ...]:
        """The row's column values as the database takes them (``dt`` for instants)."""
        instants, json = self.instants, self.json
        return tuple(
            dt(row[c]) if c in instants else orjson.dumps(row[c]).decode() if c in json else row[c]
            for c in self.columns
        )


@dataclass
class Staged:
    """One batch of validated rows: plain entities (incidents: :class:`PlainRows`, their
    table and rows), then claims with their links, and the revisions and events of both."""

    entities: list[tuple[PlainRows, tuple[Any, ...]]] = field(default_factory=list)
    claims: list[tuple[Any, ...]] = field(default_factory=list)
    links: list[tuple[Any, ...]] = field(default_factory=list)
    revisions: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)

    def __len__(self) -> int:
        """The batch's claims (what a large import counts)."""
        return len(self.claims)

    def __bool__(self) -> bool:
        return bool(self.claims or self.entities)

    def entity_tables(self) -> list[tuple[PlainRows, list[tuple[Any, ...]]]]:
        """The plain entities' rows, a list per table, in the order they were staged."""
        tables: dict[str, tuple[PlainRows, list[tuple[Any, ...]]]] = {}
        for rows, row in self.entities:
            tables.setdefault(rows.table, (rows, []))[1].append(row)
        return list(tables.values())


class ClaimWriter:
    """Turns validated claims into rows and writes them, a batch at a time."""

    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.dt: Callable[[datetime | None], Any] = _pg_dt if self.postgres else _sqlite_dt
        #: an instant's stored value from the instant and its :func:`iso` text
        self.dt_iso: Callable[[datetime, str], Any] = (
            _pg_dt_iso if self.postgres else _sqlite_dt_iso
        )
        self.staged = Staged()
        self.hooks: list[tuple[str, list[str]]] | None = None
        self._ids: list[str] = []
        self._ulids = Ulids()
        self._fts_trigger: str | None = None
        self._fts_checked = False
        self._cache_size: int | None = None
        self._claims_before: int | None = None  # the claim table's rows when the import began
        self.written = 0  # claims written by this import
        self.deferred: list[tuple[str, str]] = []  # (name, CREATE INDEX …) dropped for now
        self._writing: _Writing | None = None  # the batch the writer thread is writing
        self.batch_keys: bool | None = None  # PostgreSQL: foreign keys checked once a batch
        self._prepare_threshold: int | None = None
        self._unprepared: Any = None  # the connection whose driver prepares nothing now
        if self.postgres:
            self._stop_preparing()
        sa_event.listen(session, "before_flush", self._before_flush)
        self._tick()

    def _stop_preparing(self) -> None:
        """PostgreSQL: the driver prepares none of the import's statements, so each is
        planned for the tables as they are when it runs. The import grows ``claim`` by up to
        millions of rows inside one transaction, where neither ANALYZE nor autovacuum sees
        them; psycopg prepares a statement after five runs, and the generic plan of a lookup
        of 500 external ids, fixed while the table was small, scanned it whole every time
        (a large import was quadratic: 2-3 s a lookup at 70 000 claims). Not with
        ``SET plan_cache_mode = force_custom_plan`` (the previous fix): that setting also
        reaches the plans the server keeps for its own per-row foreign-key checks, which
        were then planned again for every row and key (40 % of the backend's CPU during an
        import). :meth:`close` gives the connection its setting back."""
        raw = self.session.connection().connection.driver_connection
        assert raw is not None
        self._prepare_threshold = raw.prepare_threshold
        raw.prepare_threshold = None
        self._unprepared = raw

    def _id(self) -> str:
        if not self._ids:
            self._ids = self._ulids.take(3000)
            self._ids.reverse()
            self._tick()
        return self._ids.pop()

    def _tick(self) -> None:
        """The clock, read once per thousand claims (one import is one transaction anyway)."""
        self.now = utcnow()
        self.now_db = self.dt(self.now)
        self.now_iso = iso(self.now)

    def stage(
        self,
        data: ClaimCreate,
        supersedes_id: str | None,
        recorded_at: datetime | None,
    ) -> str:
        """Rows for one claim; its new id."""
        dt = self.dt
        claim_id = self._id()
        now_db, now_iso = self.now_db, self.now_iso
        value = data.value
        q_bound = q_low = q_best = q_high = category = actor_id = statement = None
        if value.kind == "quantity":
            q_bound, q_low, q_best, q_high = str(value.bound), value.low, value.best, value.high
            value_out: dict[str, Any] = {
                "kind": "quantity",
                "bound": q_bound,
                "low": number(q_low),
                "best": number(q_best),
                "high": number(q_high),
            }
        elif value.kind == "category":
            category = normalise_category(value.category)
            value_out = {"kind": "category", "category": category}
        elif value.kind == "actor":
            actor_id = value.actor_id
            value_out = {"kind": "actor", "actor_id": actor_id}
        else:
            statement = value.text
            value_out = {"kind": "statement", "text": statement}
        links_out = []
        if data.links:
            append_link = self.staged.links.append
            for position, link in enumerate(data.links):
                kind = str(link.kind)
                accessed = link.accessed_at
                append_link(
                    (self._id(), claim_id, position, link.url, kind, link.title, dt(accessed))
                )
                links_out.append(
                    {
                        "url": link.url,
                        "kind": kind,
                        "title": link.title,
                        "accessed_at": iso(accessed) if accessed else None,
                        "http_status": None,
                        "final_url": None,
                        "checked_at": None,
                        "sha256": None,
                    }
                )
        qualifiers = data.qualifiers
        tags = data.tags
        said_at = data.said_at
        precision = str(data.said_at_precision)
        stance = str(data.stance)
        status = str(data.status)
        recorded = iso(recorded_at) if recorded_at else now_iso
        said_at_iso = iso(said_at)
        public: dict[str, Any] = {
            "id": claim_id,
            "incident_id": data.incident_id,
            "source_id": data.source_id,
            "via_source_id": data.via_source_id,
            "speaker": data.speaker,
            "said_at": said_at_iso,
            "said_at_precision": precision,
            "quote": data.quote,
            "language": data.language,
            "translation": data.translation,
            "topic": data.topic,
            "qualifiers": qualifiers,
            "value": value_out,
            "stance": stance,
            "confidence": data.confidence,
            "status": status,
            "supersedes_id": supersedes_id,
            "cites_claim_id": data.cites_claim_id,
            "links": links_out,
            "external_id": data.external_id,
            "tags": tags,
            "notes": data.notes,
            "recorded_at": recorded,
            "updated_at": now_iso,
            "version": 1,
        }
        self.staged.claims.append(
            (
                claim_id,
                data.incident_id,
                data.source_id,
                data.via_source_id,
                data.speaker,
                self.dt_iso(said_at, said_at_iso),
                precision,
                data.quote,
                data.language,
                data.translation,
                data.topic,
                orjson.dumps(qualifiers).decode() if qualifiers else "{}",
                qualifiers_key(qualifiers) if qualifiers else "{}",
                value.kind,
                q_bound,
                q_low,
                q_best,
                q_high,
                category,
                actor_id,
                statement,
                stance,
                data.confidence,
                status,
                supersedes_id,
                data.cites_claim_id,
                data.external_id,
                orjson.dumps(tags).decode() if tags else "[]",
                data.notes,
                dt(recorded_at) if recorded_at else now_db,
                now_db,
                1,
            )
        )
        self._audit("claim", claim_id, public, data.incident_id)
        return claim_id

    def stage_entity(self, rows: PlainRows, data: BaseModel) -> str:
        """Rows for one new entity of a plain table (an incident), validated as ``data``, with
        the service's checks across fields (a 422 naming the field); its new id."""
        values = data.model_dump()
        rows.service.check(None, values)
        ident = self._id()
        row = rows.row(values, ident, self.now)
        self.staged.entities.append((rows, rows.stored(row, self.dt)))
        remember(self.session, rows.model, ident)
        announce = rows.service.announce
        self._audit(rows.noun, ident, rows.snapshot(row), None, announce=announce)
        return ident

    def _audit(
        self,
        entity_type: str,
        entity_id: str,
        public: dict[str, Any],
        incident_id: str | None,
        announce: bool = True,
    ) -> None:
        """The ``create`` revision and ``<entity>.created`` event, as
        :func:`app.audit.creation` builds them for every audited create."""
        revision, event = creation(
            entity_type,
            entity_id,
            1,
            self.principal,
            public,
            announce=announce,
            incident_id=incident_id,
        )
        self.staged.revisions.append(
            (
                self._id(),
                revision["entity_type"],
                revision["entity_id"],
                revision["version"],
                revision["action"],
                revision["key_id"],
                revision["key_name"],
                self.now_db,
                orjson.dumps(revision["changes"]).decode(),
                revision["reason"],
            )
        )
        if event is None:
            return
        self.staged.events.append(
            (
                event["type"],
                self.now_db,
                event["entity_type"],
                event["entity_id"],
                event["incident_id"],
                orjson.dumps(event["payload"]).decode(),
            )
        )

    # --- writing ------------------------------------------------------------------------

    def write(self) -> None:
        """Write the staged batch (after the ORM's pending rows, which it may reference): the
        preparation here, the inserts in a writer thread (:meth:`write_batch`) while the
        caller stages the next batch; the previous batch's write is waited for first."""
        staged, self.staged = self.staged, Staged()
        self.wait()
        if not staged:
            return
        self.session.flush()
        self.write_batch(staged)

    def write_batch(self, staged: Staged) -> None:
        """One batch of claim rows, on the import's own connection and transaction: what reads
        or changes the schema here, the inserts (``COPY`` on PostgreSQL) in the writer thread.
        The database's driver releases the GIL while it executes a statement, so the inserts
        use the second core while this thread validates and stages the next batch."""
        raw = self.session.connection().connection.driver_connection
        assert raw is not None
        if self.hooks is None:
            self.hooks = self._wanted_hooks()
        before = (
            int(self.session.scalar(text("SELECT coalesce(max(id), 0) FROM event")) or 0)
            if self.hooks
            else 0
        )
        job: Callable[[], None]
        if self.postgres:
            if self.batch_keys is None:
                self.batch_keys = may_check_keys_per_batch(raw)
            job = partial(_copy_batch, raw, staged, self.batch_keys)
        else:
            self._suspend_fts_trigger()
            cur = raw.cursor()
            try:
                last = int(cur.execute("SELECT coalesce(max(rowid), 0) FROM claim").fetchone()[0])
                if self._claims_before is None:
                    self._claims_before = last
                if self._should_defer(len(staged)):
                    self._defer_indexes(cur)
            finally:
                cur.close()
            job = partial(_insert_batch, raw, staged, last if self._fts_trigger else None)
        self.written += len(staged)
        self._writing = _Writing(job, before)

    def wait(self) -> None:
        """Wait for the batch being written; raise what its write raised. Every statement of
        the import's own thread that writes goes after this (the session's flushes call it):
        two threads never write on the connection at once (a row id read back after an
        insert would be the other thread's)."""
        writing, self._writing = self._writing, None
        if writing is None:
            return
        try:
            writing.join()
        except (sqlite3.IntegrityError, psycopg.IntegrityError) as exc:
            # written beside the import since its lookups (PostgreSQL: another transaction
            # committed the same external id), or a reference gone: the client's conflict, as
            # the audited path's flush reports it, not a server error
            raise Conflict(
                "the import conflicts with data written since it began (a duplicate "
                "external_id, or a reference to something that no longer exists); nothing "
                "was imported"
            ) from exc
        if self.hooks:
            self._owe(writing.before)

    def _before_flush(self, *_args: Any) -> None:
        self.wait()

    def _should_defer(self, coming: int) -> bool:
        """Defer the indexes when this import is large, absolutely and against the table."""
        if self.deferred or self._claims_before is None:
            return False
        total = self.written + coming
        return total >= DEFER_INDEXES_AFTER and total >= self._claims_before

    def _defer_indexes(self, cur: Any) -> None:
        """SQLite: drop the secondary indexes of the tables the import fills, inside its
        transaction; :meth:`finish` builds each once (one sort instead of a random b-tree
        insert per row). Readers keep the committed schema and its indexes (WAL: they do not
        see an uncommitted transaction's DDL); a rollback puts the indexes back untouched.
        Unique indexes are kept (they enforce something while the rows go in). Such an
        import's commit also leaves the WAL's checkpoint to a thread (:func:`checkpoint_later`)."""
        checkpoint_later(self.session)
        marks = ", ".join("?" for _ in DEFERRED_TABLES)
        rows = cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name",
            DEFERRED_TABLES,
        ).fetchall()
        for name, sql in rows:
            if sql.lstrip().upper().startswith("CREATE UNIQUE"):
                continue
            cur.execute(f'DROP INDEX "{name}"')
            self.deferred.append((str(name), str(sql)))

    def _restore_indexes(self) -> None:
        """Build the deferred indexes, with a page cache of :data:`SORT_CACHE_KIB` meanwhile:
        SQLite's sorter keeps up to the cache's size in memory beside the cache itself before
        it spills to a temporary file, so the import's large cache would double its memory
        for a million-row sort."""
        deferred, self.deferred = self.deferred, []
        if not deferred:
            return
        raw = self.session.connection().connection.driver_connection
        assert raw is not None
        raw.execute(f"PRAGMA cache_size = -{SORT_CACHE_KIB}")
        _trim_heap()  # the cache pages just freed, many of them the writer thread's
        for _name, sql in deferred:
            self.session.execute(text(sql))
        raw.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")

    def _suspend_fts_trigger(self) -> None:
        """SQLite: index the batch's quotes with one ``INSERT … SELECT`` instead of the per-row
        trigger (about ten times cheaper); the trigger is dropped inside the import's
        transaction and put back by :meth:`finish`, so no other writer ever runs without it
        (the import holds the write lock) and a failed import rolls both back."""
        if self._fts_checked:
            return
        self._fts_checked = True
        self._grow_cache()
        sql = self.session.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'claim_fts_ai'")
        )
        if sql:
            self.session.execute(text("DROP TRIGGER claim_fts_ai"))
            self._fts_trigger = str(sql)

    def _grow_cache(self) -> None:
        """SQLite: a page cache of :data:`IMPORT_CACHE_KIB` for the import's connection (the
        default 2 MB is soon smaller than the claim table's fifteen indexes, and every insert
        then reads its index pages back from the OS); :meth:`close` puts the old size back."""
        raw = self.session.connection().connection.driver_connection
        assert raw is not None
        self._cache_size = raw.execute("PRAGMA cache_size").fetchone()[0]
        raw.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")

    def close(self) -> None:
        """Give back the import's page cache and the driver's preparing of statements, while
        the import still holds its connection (before the commit or rollback: a pooled
        connection may serve another thread next)."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.join(check=False)  # the import failed already; its error is the one raised
        if sa_event.contains(self.session, "before_flush", self._before_flush):
            sa_event.remove(self.session, "before_flush", self._before_flush)
        raw, self._unprepared = self._unprepared, None
        if raw is not None:  # an attribute of the driver's object: no statement, no error
            raw.prepare_threshold = self._prepare_threshold
        size, self._cache_size = self._cache_size, None
        if size is None or not self.session.in_transaction():
            return
        raw = self.session.connection().connection.driver_connection
        if raw is not None:
            raw.execute(f"PRAGMA cache_size = {int(size)}")

    def finish(self) -> None:
        """Write what is left and put back what :meth:`write` suspended."""
        self.write()
        self.wait()
        self._restore_indexes()
        if self._fts_trigger is not None:
            self.session.execute(text(self._fts_trigger))
            self._fts_trigger = None

    def _wanted_hooks(self) -> list[tuple[str, list[str]]]:
        """The active webhooks that want an event the import writes, with the types they
        want (the outbox's own list and rule)."""
        return [
            (hid, types)
            for hid, types in active_hooks(self.session)
            if any(wants(types, kind) for kind in IMPORT_EVENTS)
        ]

    def _owe(self, after_event_id: int) -> None:
        """A delivery per interested webhook for every event this batch's write wrote (the
        import holds the write lock, so every such event after ``after_event_id`` is this
        batch's; events the session wrote itself owed theirs as they were flushed)."""
        assert self.hooks
        events = self.session.execute(_WRITTEN_EVENTS, {"after": after_event_id}).all()
        now = utcnow()
        rows = [
            (self._id(), hid, eid, "pending", 0, self.dt(now), self.dt(now))
            for eid, kind in events
            for hid, types in self.hooks
            if wants(types, kind)
        ]
        raw = self.session.connection().connection.driver_connection
        if self.postgres:
            _copy(raw, "webhook_delivery", DELIVERY_COLUMNS, rows)
        else:
            cur = raw.cursor()  # type: ignore[union-attr]
            try:
                _insert_rows(cur, "webhook_delivery", DELIVERY_COLUMNS, rows)
            finally:
                cur.close()


class _Writing:
    """One batch's inserts, run by a writer thread; :meth:`join` waits and re-raises."""

    def __init__(self, job: Callable[[], None], before: int) -> None:
        self.job, self.before = job, before
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="claimdesk-import-writer")
        self.thread.start()

    def _run(self) -> None:
        try:
            self.job()
        except BaseException as exc:  # handed to the import's thread by join()
            self.error = exc

    def join(self, check: bool = True) -> None:
        self.thread.join()
        if check and self.error is not None:
            raise self.error


def _trim_heap() -> None:
    """glibc: give the memory freed in every malloc arena back to the system. The writer
    thread allocates in an arena of its own, so SQLite cache pages it loaded and that the
    cache has since let go are not reused by the import's thread (measured: ~20 MB more peak
    RSS at 100 000 claims); the end of a large import (index builds, refresh) would otherwise
    grow beside them. No-op where there is no ``malloc_trim``."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def _insert_batch(raw: Any, staged: Staged, fts_after: int | None) -> None:
    """SQLite, in the writer thread: the batch's rows, then its quotes' search rows (claims
    after rowid ``fts_after``) when the import indexes them itself."""
    cur = raw.cursor()
    try:
        for plain, rows in staged.entity_tables():  # before the claims that reference them
            _insert_rows(cur, plain.table, plain.columns, rows)
        for table, columns, rows in (
            ("claim", CLAIM_COLUMNS, staged.claims),
            ("claim_link", LINK_COLUMNS, staged.links),
            ("revision", REVISION_COLUMNS, staged.revisions),
            ("event", EVENT_COLUMNS, staged.events),
        ):
            _insert_rows(cur, table, columns, rows)
        if fts_after is not None:
            cur.execute(FTS_FROM_CLAIMS, {"after": fts_after})
    finally:
        cur.close()


def _copy_batch(raw: Any, staged: Staged, batch_keys: bool = False) -> None:
    """PostgreSQL, in the writer thread: the batch's rows by ``COPY``; with ``batch_keys``
    the claims' and links' foreign keys checked once for the batch (:func:`lock_references`)
    and those two tables written without the per-row key triggers. The batch's incidents go
    first, with their tables' own checks (the claims' references then find them)."""
    for plain, rows in staged.entity_tables():
        _copy(raw, plain.table, plain.columns, rows)
    if batch_keys:
        lock_references(raw, staged)
        with _without_row_triggers(raw):
            _copy(raw, "claim", CLAIM_COLUMNS, staged.claims)
            _copy(raw, "claim_link", LINK_COLUMNS, staged.links)
    else:
        _copy(raw, "claim", CLAIM_COLUMNS, staged.claims)
        _copy(raw, "claim_link", LINK_COLUMNS, staged.links)
    _copy(raw, "revision", REVISION_COLUMNS, staged.revisions)
    _copy(raw, "event", EVENT_COLUMNS, staged.events)


#: The claim columns that reference another row: (column, referenced table, its key).
CLAIM_REFERENCES = (
    ("incident_id", "incident", "id"),
    ("source_id", "source", "id"),
    ("via_source_id", "source", "id"),
    ("topic", "topic", "key"),
    ("actor_id", "actor", "id"),
    ("supersedes_id", "claim", "id"),
    ("cites_claim_id", "claim", "id"),
)
#: The tables written without their per-row foreign-key triggers (:func:`lock_references`).
BATCH_CHECKED = ("claim", "claim_link")


def may_check_keys_per_batch(raw: Any) -> bool:
    """PostgreSQL: whether the import may write ``claim`` and ``claim_link`` with
    ``session_replication_role = replica`` and check their foreign keys once a batch
    (:func:`lock_references`) instead of once a row and key. The role must be allowed to set
    the parameter (a superuser, or ``GRANT SET ON PARAMETER session_replication_role``,
    PostgreSQL 15+), and the tables must have no trigger or rule of their own: the setting
    skips those too, and only the foreign keys' are checked here instead."""
    with raw.cursor() as cur:
        superuser, version = cur.execute(
            "SELECT rolsuper, current_setting('server_version_num')::int "
            "FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        allowed = bool(superuser)
        if not allowed and version >= 150000:
            allowed = bool(
                cur.execute(
                    "SELECT has_parameter_privilege('session_replication_role', 'SET')"
                ).fetchone()[0]
            )
        if not allowed:
            return False
        own = cur.execute(
            "SELECT (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "        WHERE c.relname = ANY(%(t)s) AND NOT t.tgisinternal) "
            "     + (SELECT count(*) FROM pg_rules WHERE tablename = ANY(%(t)s))",
            {"t": list(BATCH_CHECKED)},
        ).fetchone()[0]
    return int(own) == 0


def lock_references(raw: Any, staged: Staged) -> None:
    """PostgreSQL: the batch's foreign keys, checked once for the batch instead of by a
    trigger per row and key (about a fifth of the backend's CPU for an import). Every row
    the batch's claims reference outside the batch is locked ``FOR KEY SHARE``, as the
    triggers lock it, so no other transaction can delete it or change its key before the
    import commits; one that is missing fails the import (409: deleted since it was
    validated). A link must belong to a claim of its batch (the writer stages them so)."""
    claims = staged.claims
    ours = {row[0] for row in claims}
    for link in staged.links:
        if link[1] not in ours:
            raise Conflict(f"link {link[0]!r} names a claim {link[1]!r} outside its batch")
    wanted: dict[tuple[str, str], set[str]] = {}
    for column, table, key in CLAIM_REFERENCES:
        at = CLAIM_COLUMNS.index(column)
        values = wanted.setdefault((table, key), set())
        values.update(row[at] for row in claims if row[at] is not None)
    wanted[("claim", "id")] -= ours
    with raw.cursor() as cur:
        for (table, key), values in wanted.items():
            if not values:
                continue
            found = {
                row[0]
                for row in cur.execute(
                    f"SELECT {key} FROM {table} WHERE {key} = ANY(%s) FOR KEY SHARE",
                    (sorted(values),),
                )
            }
            missing = values - found
            if missing:
                raise Conflict(
                    f"no {table} with {key} {min(missing)!r} any more: it was deleted while "
                    "the import ran; nothing was imported"
                )


@contextmanager
def _without_row_triggers(raw: Any) -> Iterator[None]:
    """PostgreSQL: the statements inside run with ``session_replication_role = replica`` (no
    per-row foreign-key trigger; :func:`lock_references` has checked the batch), then the
    setting it had again (transaction-scoped, so a rollback also puts it back; nothing runs
    in a failed transaction, so there is nothing to put back after an error)."""
    with raw.cursor() as cur:
        before = cur.execute("SELECT current_setting('session_replication_role')").fetchone()[0]
        cur.execute("SELECT set_config('session_replication_role', 'replica', true)")
    yield
    with raw.cursor() as cur:
        cur.execute("SELECT set_config('session_replication_role', %s, true)", (before,))


# The batch's claims (rowid above the table's last before the batch: the import holds the write
# lock) indexed in one statement, with the trigger's rowid rule (migration 0009): the claim's
# second, then the next free slot. SQLite runs the SELECT to the end before inserting, so every
# claim of a second sees the same last slot and row_number() hands out the next ones.
FTS_FROM_CLAIMS = """
INSERT INTO claim_fts (rowid, claim_id, quote, translation)
SELECT coalesce((SELECT f.rowid + 1 FROM claim_fts f
                 WHERE f.rowid >= c.base AND f.rowid < c.base + 1000000
                 ORDER BY f.rowid DESC LIMIT 1), c.base)
       + row_number() OVER (PARTITION BY c.base ORDER BY c.r) - 1,
       c.id, c.quote, c.translation
FROM (SELECT rowid AS r, CAST(strftime('%s', said_at) AS INTEGER) * 1000000 AS base,
             id, quote, coalesce(translation, '') AS translation
      FROM claim WHERE rowid > :after) AS c
"""


def _sqlite_dt(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite storage format for ``UTCDateTime`` (naive UTC, microseconds)."""
    if value is None:
        return None
    if value.utcoffset() != _ZERO:
        value = value.astimezone(UTC)
    # the same text as strftime("%Y-%m-%d %H:%M:%S.%f") for the years an instant may have
    # (1970 on), in about half the time; the offset's "+00:00" cut off
    return value.isoformat(" ", "microseconds")[:26]


_ZERO = timedelta(0)


def _pg_dt(value: datetime | None) -> str | None:
    """PostgreSQL: an instant as its ISO text with ``Z`` (``COPY``'s text format parses it to the
    same ``timestamptz``): psycopg formats a ``datetime`` for ``COPY`` in about 1 µs, holding
    the interpreter lock in the writer thread; a claim has five (measured: 5.1 µs for five
    instants, 0.35 µs for five texts)."""
    return None if value is None else iso(value)


def _sqlite_dt_iso(_value: datetime, text: str) -> str:
    return sqlite_from_iso(text)


def _pg_dt_iso(_value: datetime, text: str) -> str:
    return text


#: Parameters per statement of a multi-row INSERT (SQLite's default limit since 3.32).
SQLITE_PARAMETERS = 32766


def _insert_rows(cur: Any, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """SQLite: the rows as multi-row ``INSERT … VALUES (…), (…)`` statements of up to
    :data:`SQLITE_PARAMETERS` parameters (about 40 % less CPU than ``executemany``, which
    steps, resets and re-binds the statement once per row)."""
    per = max(1, SQLITE_PARAMETERS // len(columns))
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    one = "(" + ", ".join("?" for _ in columns) + ")"
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        cur.execute(head + ", ".join([one] * len(chunk)), list(chain.from_iterable(chunk)))


def _copy(raw: Any, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
