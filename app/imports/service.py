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

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from app.actors.models import Actor
from app.actors.schemas import ActorCreate
from app.actors.service import build_actor
from app.auth import Principal
from app.claims.models import Claim
from app.claims.schemas import ClaimCreate
from app.claims.service import after_claim_write, build_claim
from app.enums import Role
from app.errors import ClaimdeskError, FieldError, Forbidden, ValidationFailed
from app.incidents.models import Incident
from app.incidents.schemas import IncidentCreate
from app.incidents.service import build_incident
from app.sources.models import Source
from app.sources.schemas import SourceCreate
from app.sources.service import build_source
from app.topics import service as topics
from app.validation import Instant

MAX_ERRORS = 100


class ImportReport(BaseModel):
    created: dict[str, int]
    unchanged: dict[str, int]
    lines: int


class _Kind:
    def __init__(
        self,
        model: type[SQLModel],
        schema: type[BaseModel],
        build: Callable[[Session, Any, Principal], Any],
        refs: dict[str, type[SQLModel]],
    ) -> None:
        self.model, self.schema, self.build, self.refs = model, schema, build, refs


KINDS: dict[str, _Kind] = {
    "source": _Kind(Source, SourceCreate, build_source, {"parent": Source}),
    "actor": _Kind(Actor, ActorCreate, build_actor, {"parent": Actor}),
    "incident": _Kind(Incident, IncidentCreate, build_incident, {}),
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


def _translate(record: dict[str, Any], kind: _Kind, resolver: _Resolver) -> dict[str, Any]:
    body = {k: v for k, v in record.items() if k != "type"}
    for ref, model in kind.refs.items():
        ext = body.pop(f"{ref}_external_id", None)
        if ext is not None:
            ident = resolver.lookup(model, str(ext))
            if ident is None:
                raise _LineError(
                    f"/{ref}_external_id", f"no {model.__tablename__!s} with external_id {ext!r}"
                )
            body[f"{ref}_id"] = ident
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


def _recorded_at(record: dict[str, Any]) -> datetime | None:
    """Back-filled claims may say when the desk recorded them (for ``as_of`` views)."""
    raw = record.pop("recorded_at", None)
    if raw is None:
        return None
    try:
        value = TypeAdapter(Instant).validate_python(raw)
    except ValidationError as exc:
        raise _LineError(
            "/recorded_at", "must be an instant with an offset, not in the future"
        ) from exc
    return value


def _supersedes(record: dict[str, Any], resolver: _Resolver) -> str | None:
    """A re-imported export keeps which claim replaced which."""
    ext = record.pop("supersedes_external_id", None)
    if ext is None:
        return None
    ident = resolver.lookup(Claim, str(ext))
    if ident is None:
        raise _LineError("/supersedes_external_id", f"no claim with external_id {ext!r}")
    return ident


class _LineError(Exception):
    def __init__(self, pointer: str, detail: str) -> None:
        super().__init__(detail)
        self.pointer, self.detail = pointer, detail


def _parse(lines: Iterable[str | bytes]) -> list[tuple[int, Any]]:
    """(line number, the decoded value or the JSON error) for every non-blank line."""
    parsed: list[tuple[int, Any]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            parsed.append((number, orjson.loads(raw)))
        except orjson.JSONDecodeError as exc:
            parsed.append((number, exc))
    return parsed


def _prefetch(resolver: _Resolver, parsed: list[tuple[int, Any]]) -> None:
    """Every external id the file names (its records and their references), per table."""
    wanted: dict[type[SQLModel], set[str]] = {kind.model: set() for kind in KINDS.values()}
    for _, record in parsed:
        if not isinstance(record, dict):
            continue  # reported with its line number by the main pass
        kind = KINDS.get(str(record.get("type")))
        if kind is None:
            continue
        if isinstance(record.get("external_id"), str):
            wanted[kind.model].add(record["external_id"])
        for ref, model in kind.refs.items():
            if isinstance(record.get(f"{ref}_external_id"), str):
                wanted[model].add(record[f"{ref}_external_id"])
        value = record.get("value")
        if isinstance(value, dict) and isinstance(value.get("actor_external_id"), str):
            wanted[Actor].add(value["actor_external_id"])
    for model, ids in wanted.items():
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


def import_records(
    session: Session, lines: Iterable[str | bytes], principal: Principal
) -> ImportReport:
    """Stage every record; commit only if every line is valid, else raise a 422 by line."""
    resolver = _Resolver(session)
    parsed = _parse(lines)
    _prefetch(resolver, parsed)
    errors: list[FieldError] = []
    created: Counter[str] = Counter()
    unchanged: Counter[str] = Counter()
    touched_incidents: set[str] = set()
    count = 0
    for number, record in parsed:
        if len(errors) >= MAX_ERRORS:
            break
        count = number

        def fail(pointer: str, detail: str, line: int = number) -> None:
            errors.append(FieldError(line=line, pointer=pointer, detail=detail))

        if isinstance(record, orjson.JSONDecodeError):
            fail("", f"not valid JSON: {record}")
            continue
        if not isinstance(record, dict):
            fail("", "each line must be a JSON object")
            continue
        kind_name = str(record.get("type"))
        if kind_name == "topic":
            if _import_topic(session, record, principal, number, fail):
                created["topic"] += 1
            else:
                unchanged["topic"] += 1
            continue
        kind = KINDS.get(kind_name)
        if kind is None:
            fail("/type", f"must be one of topic, {', '.join(KINDS)}")
            continue
        external_id = record.get("external_id")
        if not isinstance(external_id, str) or not external_id.strip():
            fail("/external_id", "every imported record needs an external_id")
            continue
        if resolver.lookup(kind.model, external_id) is not None:
            unchanged[kind_name] += 1
            continue
        try:
            recorded_at = _recorded_at(record) if kind_name == "claim" else None
            supersedes = _supersedes(record, resolver) if kind_name == "claim" else None
            data = kind.schema.model_validate(_translate(record, kind, resolver))
            row = kind.build(session, data, principal)
            if supersedes is not None:
                row.supersedes_id = supersedes
            if recorded_at is not None:
                if recorded_at < row.said_at:
                    raise _LineError("/recorded_at", "must not be before said_at")
                row.recorded_at = recorded_at
        except _LineError as exc:
            fail(exc.pointer, exc.detail)
            continue
        except ValidationError as exc:
            for err in exc.errors():
                loc = [
                    p for p in err["loc"] if p not in ("quantity", "category", "actor", "statement")
                ]
                msg = str(err["msg"]).removeprefix("Value error, ")
                fail("/" + "/".join(str(p) for p in loc), msg)
            continue
        except ClaimdeskError as exc:
            for e in exc.errors or [FieldError(pointer="", detail=exc.detail or exc.title)]:
                fail(e.pointer or "", e.detail)
            if exc.status == 409:
                break  # the transaction was rolled back: nothing more can be staged
            continue
        resolver.remember(kind.model, external_id, row.id)
        created[kind_name] += 1
        if kind_name == "claim":
            touched_incidents.add(row.incident_id)
    if errors:
        session.rollback()
        raise ValidationFailed(
            f"{len(errors)} invalid line(s); nothing was imported", errors=errors
        )
    after_claim_write(session, touched_incidents)
    session.commit()
    return ImportReport(created=dict(created), unchanged=dict(unchanged), lines=count)
