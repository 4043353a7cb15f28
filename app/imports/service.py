"""Bulk NDJSON import: sources, actors, incidents and claims that reference each other by
``external_id``. All-or-nothing (one transaction), idempotent on re-run (a record whose
``external_id`` already exists is left as it is and counted as ``unchanged``), and every
problem is reported with its line number.

Record shapes are the API's create bodies with ``type`` and ``external_id`` added, and every
reference given as ``<field>_external_id`` instead of an id: ``parent_external_id``,
``incident_external_id``, ``source_external_id``, ``via_source_external_id``,
``cites_claim_external_id`` and, inside a claim value, ``actor_external_id``. A claim may
carry ``recorded_at`` (not before ``said_at``, not in the future) when an archive is
back-filled, so ``as_of`` views show what the desk knew at the time, and
``supersedes_external_id`` (an export re-imported keeps which claim replaced which).

A ``topic`` record (``{"type": "topic", "key": …, "kind": …, "implications": […],
"categories": […]}``, keyed by ``key``, no external id) creates a topic or adds implications
and taxonomy terms to an existing one, built-in topics included; re-importing it changes
nothing. Changing a topic needs an admin key (403 otherwise).
"""

from __future__ import annotations

import gc
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import chain
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import select, text
from sqlmodel import Session, SQLModel, col

from app.actors.models import Actor
from app.actors.schemas import ActorCreate
from app.actors.service import build_actor
from app.claims.models import Claim
from app.claims.schemas import ClaimCreate
from app.claims.service import build_claim
from app.enums import Role
from app.errors import (
    ClaimdeskError,
    FieldError,
    Forbidden,
    ValidationFailed,
    without_union_tags,
)
from app.events.service import lock_feed
from app.imports.bulk import ClaimWriter, PlainRows
from app.imports.refresh import refresh_incidents
from app.imports.schemas import ImportReport
from app.incidents.models import Incident
from app.incidents.schemas import IncidentCreate
from app.incidents.service import build_incident, incidents
from app.principal import Principal
from app.sources.models import Source
from app.sources.schemas import SourceCreate
from app.sources.service import build_source
from app.topics import service as topics
from app.topics.models import Topic
from app.validation import Instant
from app.views.invalidate import bump_incidents

MAX_ERRORS = 100


class _Kind:
    def __init__(
        self,
        model: type[SQLModel],
        schema: type[BaseModel],
        build: Callable[..., Any],
        refs: dict[str, type[SQLModel]],
        plain: PlainRows | None = None,
    ) -> None:
        self.model, self.schema, self.build, self.refs = model, schema, build, refs
        #: staged as plain rows by the claim writer (no ORM object), when set
        self.plain = plain
        self.table = str(model.__tablename__)
        #: (the record's key, the id field it becomes, the referenced model), made once
        self.ref_keys = [(f"{r}_external_id", f"{r}_id", m) for r, m in refs.items()]


KINDS: dict[str, _Kind] = {
    "source": _Kind(Source, SourceCreate, build_source, {"parent": Source}),
    "actor": _Kind(Actor, ActorCreate, build_actor, {"parent": Actor}),
    "incident": _Kind(Incident, IncidentCreate, build_incident, {}, PlainRows(incidents)),
    "claim": _Kind(
        Claim,
        ClaimCreate,
        build_claim,
        {"incident": Incident, "source": Source, "via_source": Source, "cites_claim": Claim},
    ),
}


class _Resolver:
    """external_id → id, for rows of this import and rows already in the database."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[tuple[str, str], str] = {}
        self.absent: set[tuple[str, str]] = set()
        #: claims of the batch the writer thread is writing (external id -> id): staged, maybe
        #: not yet in the table
        self.writing: dict[str, str] = {}

    def prefetch(self, model: type[SQLModel], external_ids: set[str]) -> None:
        """Look up many external ids at once (chunks of 500) instead of one query each."""
        table = str(model.__tablename__)
        wanted = sorted(external_ids)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.session.execute(
                select(model.id, model.external_id).where(model.external_id.in_(chunk))  # type: ignore[attr-defined]
            ).all()
            for ident, ext in rows:
                self.known[(table, ext)] = ident
            self.absent.update((table, ext) for ext in chunk if (table, ext) not in self.known)

    def lookup(self, model: type[SQLModel], external_id: str) -> str | None:
        table = str(model.__tablename__)
        key = (table, external_id)
        if key in self.absent:
            return None
        if key not in self.known:
            found = self.session.scalar(
                select(model.id).where(model.external_id == external_id)  # type: ignore[attr-defined]
            )
            if found is None:
                return None
            self.known[key] = found
        return self.known[key]

    def remember(self, model: type[SQLModel], external_id: str, ident: str) -> None:
        key = (str(model.__tablename__), external_id)
        self.known[key] = ident
        self.absent.discard(key)


def _find(resolver: _Resolver, seen: dict[str, str], model: type[SQLModel], ext: str) -> str | None:
    """A record's id by external id: a claim of this batch or of the batch being written, or
    any other known row."""
    if model is Claim:
        found = seen.get(ext) or resolver.writing.get(ext)
        if found is not None:
            return found
    return resolver.lookup(model, ext)


def _translate(
    record: dict[str, Any], kind: _Kind, resolver: _Resolver, seen: dict[str, str]
) -> dict[str, Any]:
    body = dict(record)
    del body["type"]
    for key, field, model in kind.ref_keys:
        ext = body.pop(key, None)
        if ext is not None:
            ident = _find(resolver, seen, model, str(ext))
            if ident is None:
                raise _LineError(f"/{key}", f"no {model.__tablename__!s} with external_id {ext!r}")
            body[field] = ident
    value = body.get("value")
    if isinstance(value, dict) and "actor_external_id" in value:
        value = dict(value)
        ext = value.pop("actor_external_id")
        ident = resolver.lookup(Actor, str(ext))
        if ident is None:
            raise _LineError("/value/actor_external_id", f"no actor with external_id {ext!r}")
        value["actor_id"] = ident
        body["value"] = value
    return body


#: Made once: building the adapter costs ~130 µs, thirty times the validation, and every claim
#: line of an export has ``recorded_at`` (re-importing a million-claim export paid 130 s).
_INSTANT: TypeAdapter[datetime] = TypeAdapter(Instant)


def _recorded_at(record: dict[str, Any]) -> datetime | None:
    """Back-filled claims may say when the desk recorded them (for ``as_of`` views)."""
    raw = record.pop("recorded_at", None)
    if raw is None:
        return None
    try:
        value = _INSTANT.validate_python(raw)
    except ValidationError as exc:
        raise _LineError(
            "/recorded_at", "must be an instant with an offset, not in the future"
        ) from exc
    return value


def _supersedes(record: dict[str, Any], resolver: _Resolver, seen: dict[str, str]) -> str | None:
    """A re-imported export keeps which claim replaced which."""
    ext = record.pop("supersedes_external_id", None)
    if ext is None:
        return None
    ident = _find(resolver, seen, Claim, str(ext))
    if ident is None:
        raise _LineError("/supersedes_external_id", f"no claim with external_id {ext!r}")
    return ident


class _LineError(Exception):
    def __init__(self, pointer: str, detail: str) -> None:
        super().__init__(detail)
        self.pointer, self.detail = pointer, detail


def _parse(raw: str | bytes) -> Any:
    """The decoded line, or the JSON error."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return exc


def _batches(lines: Iterable[str | bytes], size: int) -> Iterator[list[tuple[int, Any]]]:
    """(line number, decoded value or JSON error) for non-blank lines, ``size`` at a time:
    the file is streamed, never held whole."""
    batch: list[tuple[int, Any]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        batch.append((number, _parse(raw)))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _prefetch(resolver: _Resolver, parsed: list[tuple[int, Any]]) -> None:
    """Every not yet known external id the batch names (its non-claim records and every
    reference), per table; claims' own external ids are checked by :func:`_existing`."""
    wanted: dict[type[SQLModel], set[str]] = {kind.model: set() for kind in KINDS.values()}
    for _, record in parsed:
        if not isinstance(record, dict):
            continue  # reported with its line number by the main pass
        kind = KINDS.get(str(record.get("type")))
        if kind is None:
            continue
        if kind.model is not Claim and isinstance(record.get("external_id"), str):
            wanted[kind.model].add(record["external_id"])
        for key, _field, model in kind.ref_keys:
            ext = record.get(key)
            if isinstance(ext, str):
                wanted[model].add(ext)
        if isinstance(record.get("supersedes_external_id"), str):
            wanted[Claim].add(record["supersedes_external_id"])
        value = record.get("value")
        if isinstance(value, dict) and isinstance(value.get("actor_external_id"), str):
            wanted[Actor].add(value["actor_external_id"])
    for model, ids in wanted.items():
        table = str(model.__tablename__)
        ids = {
            i for i in ids if (table, i) not in resolver.known and (table, i) not in resolver.absent
        }
        if ids:
            resolver.prefetch(model, ids)


def _import_topic(
    session: Session,
    record: dict[str, Any],
    principal: Principal,
    number: int,
    fail: Callable[[str, str], None],
) -> bool:
    """A topic record (keyed by ``key``, no external id): creates the topic or adds its
    implications and taxonomy terms; only an admin may change topics. True if it changed."""
    body = {k: v for k, v in record.items() if k != "type"}
    if principal.role is not Role.admin and topics.would_change(session, body):
        session.rollback()
        raise Forbidden(f"line {number}: adding or changing a topic needs the admin role")
    try:
        return topics.merge_topic(session, body)[1]
    except ValidationError as exc:
        for err in exc.errors():
            fail("/" + "/".join(str(p) for p in err["loc"]), str(err["msg"]))
    except ClaimdeskError as exc:
        for e in exc.errors or [FieldError(pointer="", detail=exc.detail or exc.title)]:
            fail(e.pointer or "", e.detail)
    return False


def _existing_claims(session: Session, parsed: list[tuple[int, Any]]) -> set[str]:
    """The batch's claim external ids that are already in the database."""
    wanted = sorted(
        {
            r["external_id"]
            for _, r in parsed
            if isinstance(r, dict)
            and r.get("type") == "claim"
            and isinstance(r.get("external_id"), str)
        }
    )
    if not wanted:
        return set()
    # One statement for the batch with the ids as one parameter (a JSON array on SQLite, an
    # array on PostgreSQL): an IN list of bound parameters is compiled and bound id by id
    # (about twice the CPU for a batch of 5 000, measured).
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT external_id FROM claim WHERE external_id = ANY(:ids)"
        params: dict[str, Any] = {"ids": wanted}
    else:
        query = (
            "SELECT external_id FROM claim WHERE external_id IN (SELECT value FROM json_each(:ids))"
        )
        params = {"ids": orjson.dumps(wanted).decode()}
    return set(session.scalars(text(query), params))


class _Refs:
    """Ids given directly (``source_id`` rather than ``source_external_id``) must exist."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: set[tuple[str, str]] = set()
        self.batch_claims: set[str] = set()  # staged, not yet written (not kept: memory)
        self.writing_claims: set[str] = set()  # the batch being written
        self.topic_kinds: dict[str, str] = {}
        self.load_topics()

    def load_topics(self) -> None:
        """Topic keys and kinds (again after a topic record of the file changed them)."""
        self.topic_kinds = {
            key: kind for key, kind in self.session.execute(select(col(Topic.key), col(Topic.kind)))
        }

    def check(self, model: type[SQLModel], ident: str | None, pointer: str) -> None:
        if ident is None:
            return
        key = (str(model.__tablename__), ident)
        if key in self.known or (
            model is Claim and (ident in self.batch_claims or ident in self.writing_claims)
        ):
            return
        found = self.session.scalar(
            select(model.id).where(model.id == ident)  # type: ignore[attr-defined]
        )
        if found is None:
            raise _LineError(pointer, f"no {model.__tablename__!s} with id {ident!r}")
        self.known.add(key)


def _check_claim(refs: _Refs, data: ClaimCreate, recorded_at: datetime | None) -> None:
    """What ``build_claim`` checks, against this import's caches instead of a query each."""
    refs.check(Incident, data.incident_id, "/incident_id")
    refs.check(Source, data.source_id, "/source_id")
    refs.check(Source, data.via_source_id, "/via_source_id")
    if data.via_source_id and data.via_source_id == data.source_id:
        raise _LineError("/via_source_id", "must differ from source_id (leave it null instead)")
    kind = refs.topic_kinds.get(data.topic)
    if kind is None:
        raise _LineError("/topic", f"no topic {data.topic!r} (see GET /v1/topics)")
    if data.value.kind != kind:
        raise _LineError("/value/kind", f"topic {data.topic!r} takes a {kind} value")
    if data.value.kind == "actor":
        refs.check(Actor, data.value.actor_id, "/value/actor_id")
    refs.check(Claim, data.cites_claim_id, "/cites_claim_id")
    if recorded_at is not None and recorded_at < data.said_at:
        raise _LineError("/recorded_at", "must not be before said_at")


BATCH = 5000


class _Import:
    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.resolver = _Resolver(session)
        self.refs = _Refs(session)
        self.writer = ClaimWriter(session, principal)
        self.errors: list[FieldError] = []  # the first MAX_ERRORS, to report
        self.error_count = 0  # every error, to report the true count
        self.error_lines: set[int] = set()
        self.created: Counter[str] = Counter()
        self.unchanged: Counter[str] = Counter()
        self.touched: set[str] = set()
        self.count = 0
        self.stop = False
        self.following_existing: set[str] = set()  # the next batch's claims already stored

    def fail(self, line: int, pointer: str, detail: str) -> None:
        self.error_count += 1
        self.error_lines.add(line)
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(FieldError(line=line, pointer=pointer, detail=detail))

    def error_summary(self) -> str:
        """The true count, however many errors are listed."""
        lines = f"{len(self.error_lines):,} invalid line(s)"
        if self.error_count > len(self.errors):
            lines += f" ({self.error_count:,} errors; the first {len(self.errors)} listed)"
        return lines + "; nothing was imported"

    def look_up(self, parsed: list[tuple[int, Any]]) -> set[str]:
        """The batch's lookups (every external id it names, and which of its claims exist):
        run while the connection is idle, before the previous batch's write starts, so they
        do not queue behind its statements (psycopg holds the connection for a whole
        ``COPY``; SQLite for each statement). The claims of the batch staged but not yet
        written are in :attr:`_Resolver.writing` by the time this batch is staged."""
        _prefetch(self.resolver, parsed)
        return _existing_claims(self.session, parsed)

    def batch(
        self, parsed: list[tuple[int, Any]], existing: set[str], following: Iterator[Any]
    ) -> Any:
        """Stage the batch; then, once the previous batch is written, the next batch's lookups
        (``following`` gives it), then this batch's write starts. The next batch, or None."""
        seen: dict[str, str] = {}  # claims of this batch: external id -> id
        for number, record in parsed:
            self.count = number
            if not self.record(number, record, existing, seen):
                self.stop = True
                break
        parsed.clear()  # the decoded lines are not needed any more (memory: one batch at a time)
        following_batch = None if self.stop else next(following, None)
        self.writer.wait()  # the previous batch is written: the connection is idle
        self.session.flush()  # this batch's sources, actors, incidents (the claims reference them)
        self.following_existing = (
            self.look_up(following_batch) if following_batch is not None else set()
        )
        self.writer.write()  # starts writing this batch in the writer thread
        resolver, refs = self.resolver, self.refs
        # The previous batch is in the table now, this one soon: the lookups made before they
        # were written (the next batch's, just now) may have found them absent.
        for ext in chain(resolver.writing, seen):
            resolver.absent.discard(("claim", ext))
        resolver.writing = seen
        refs.writing_claims, refs.batch_claims = refs.batch_claims, set()
        return following_batch

    def record(self, number: int, record: Any, existing: set[str], seen: dict[str, str]) -> bool:
        """Stage one line; False when nothing more can be staged."""
        fail = self.fail
        if isinstance(record, orjson.JSONDecodeError):
            fail(number, "", f"not valid JSON: {record}")
            return True
        if not isinstance(record, dict):
            fail(number, "", "each line must be a JSON object")
            return True
        kind_name = str(record.get("type"))
        if kind_name == "topic":
            self.writer.wait()  # a topic's merge writes: not beside the writer thread
            if _import_topic(
                self.session, record, self.principal, number, lambda p, d: fail(number, p, d)
            ):
                self.created["topic"] += 1
                self.refs.load_topics()
            else:
                self.unchanged["topic"] += 1
            return True
        kind = KINDS.get(kind_name)
        if kind is None:
            fail(number, "/type", f"must be one of topic, {', '.join(KINDS)}")
            return True
        external_id = record.get("external_id")
        if not isinstance(external_id, str) or not external_id.strip():
            fail(number, "/external_id", "every imported record needs an external_id")
            return True
        is_claim = kind_name == "claim"
        if (
            (external_id in existing or external_id in seen or external_id in self.resolver.writing)
            if is_claim
            else (self.resolver.lookup(kind.model, external_id) is not None)
        ):
            self.unchanged[kind_name] += 1
            return True
        try:
            if is_claim:
                recorded_at = _recorded_at(record)
                supersedes = _supersedes(record, self.resolver, seen)
                data = ClaimCreate.model_validate(_translate(record, kind, self.resolver, seen))
                _check_claim(self.refs, data, recorded_at)
                ident = self.writer.stage(data, supersedes, recorded_at)
                seen[external_id] = ident
                self.refs.batch_claims.add(ident)
                self.touched.add(data.incident_id)
            else:
                body = kind.schema.model_validate(_translate(record, kind, self.resolver, seen))
                if kind.plain is not None:
                    ident = self.writer.stage_entity(kind.plain, body)
                else:
                    row = kind.build(
                        self.session,
                        body,
                        self.principal,
                        flush=False,  # written with the batch's first flush
                    )
                    ident = row.id
                self.resolver.remember(kind.model, external_id, ident)
                self.refs.known.add((str(kind.model.__tablename__), ident))
        except _LineError as exc:
            fail(number, exc.pointer, exc.detail)
            return True
        except ValidationError as exc:
            for err in exc.errors():
                loc = without_union_tags(err["loc"])
                msg = str(err["msg"]).removeprefix("Value error, ")
                fail(number, "/" + "/".join(str(p) for p in loc), msg)
            return True
        except ClaimdeskError as exc:
            for e in exc.errors or [FieldError(pointer="", detail=exc.detail or exc.title)]:
                fail(number, e.pointer or "", e.detail)
            return exc.status != 409  # the transaction was rolled back: nothing more to stage
        self.created[kind_name] += 1
        return True


_TUNING_LOCK = threading.Lock()
_TUNING_USERS = 0
_GC_SAVED: tuple[int, ...] = gc.get_threshold()
_SWITCH_SAVED = sys.getswitchinterval()
#: Allocations between young-generation collections while an import runs (Python's default
#: is 700): an import allocates millions of short-lived, acyclic objects (parsed lines,
#: validated models, row tuples) that reference counting frees; collecting every 700 costs
#: 10-20 % of the import's CPU and finds next to nothing.
IMPORT_GC_THRESHOLD = 100_000
#: The interpreter's thread switch interval while an import runs (seconds; Python's default
#: is 0.005). The writer thread gives up the interpreter lock for every statement SQLite or
#: PostgreSQL runs and needs it back to bind the next statement's parameters, while the
#: import's own thread, busy staging, holds it: with the default the writer waits up to 5 ms
#: each time before the staging thread is asked to let go, and the database sits idle
#: meanwhile (docs/performance.md, "ninth pass").
IMPORT_SWITCH_INTERVAL = 0.001


@contextmanager
def _tuned_interpreter() -> Iterator[None]:
    """For the import's duration: fewer young collections (:data:`IMPORT_GC_THRESHOLD`) and a
    shorter thread switch interval (:data:`IMPORT_SWITCH_INTERVAL`), both process-wide; the
    last import to finish puts the previous settings back."""
    global _TUNING_USERS, _GC_SAVED, _SWITCH_SAVED
    with _TUNING_LOCK:
        if _TUNING_USERS == 0:
            _GC_SAVED = gc.get_threshold()
            _SWITCH_SAVED = sys.getswitchinterval()
            gc.set_threshold(max(IMPORT_GC_THRESHOLD, _GC_SAVED[0]), *_GC_SAVED[1:])
            sys.setswitchinterval(min(IMPORT_SWITCH_INTERVAL, _SWITCH_SAVED))
        _TUNING_USERS += 1
    try:
        yield
    finally:
        with _TUNING_LOCK:
            _TUNING_USERS -= 1
            if _TUNING_USERS == 0:
                gc.set_threshold(*_GC_SAVED)
                sys.setswitchinterval(_SWITCH_SAVED)


def import_records(
    session: Session, lines: Iterable[str | bytes], principal: Principal, batch: int = BATCH
) -> ImportReport:
    """Stream the records in batches; commit only if every line is valid, else raise a 422 by
    line. One transaction: all or nothing, and a re-run leaves existing external ids alone."""
    with _tuned_interpreter():
        return _import_records(session, lines, principal, batch)


#: Claims an import must create for PostgreSQL's statistics to be refreshed at its end.
ANALYZE_AFTER = 10_000
#: The tables whose statistics the reads after an import lean on: a page of claims and its links.
ANALYZED_TABLES = ("claim", "claim_link")


def analyze_if_grown(session: Session, claims: int) -> None:
    """On PostgreSQL, ``ANALYZE`` the claim tables once an import that created at least
    :data:`ANALYZE_AFTER` claims has written them, inside the import's transaction (ANALYZE
    counts the transaction's own rows as live), so what reads them next is planned for the
    tables as they now are: first the import's own refresh (without statistics each chunk of
    200 incidents was read by a parallel sequential scan of the whole claim table, 18 s of a
    million-claim import; docs/performance.md, "ninth pass"), then the reads after the commit
    (a page's links by a sequential scan of ``claim_link``, ~180 ms a page at a million
    links). Autovacuum would do it within about a minute of the commit, when it is on;
    SQLite's planner needs no statistics here."""
    if claims < ANALYZE_AFTER or session.get_bind().dialect.name != "postgresql":
        return
    for table in ANALYZED_TABLES:
        session.execute(text(f"ANALYZE {table}"))


def _import_records(
    session: Session, lines: Iterable[str | bytes], principal: Principal, batch: int
) -> ImportReport:
    state = _Import(session, principal)
    try:
        lock_feed(session)
        batches = _batches(lines, batch)
        parsed = next(batches, None)
        existing = state.look_up(parsed) if parsed is not None else set()
        while parsed is not None:
            parsed = state.batch(parsed, existing, batches)
            existing = state.following_existing
        if state.errors:
            state.writer.close()
            session.rollback()
            raise ValidationFailed(state.error_summary(), errors=state.errors)
        state.writer.finish()
        analyze_if_grown(session, state.created["claim"])  # before the refresh reads them back
        refresh_incidents(session, state.touched)
        bump_incidents(session, state.touched)
        session.flush()
    finally:
        state.writer.close()  # while the import still holds its connection
    return ImportReport(
        created=dict(state.created), unchanged=dict(state.unchanged), lines=state.count
    )
