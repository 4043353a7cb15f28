"""Ready-made views: the JSON of an incident's ``/conflicts``, ``/assessment`` and
``/attributions`` stored with the versions it was computed at, and served as stored while they
still match, so a read costs about what ``GET /v1/incidents/{id}`` costs.

This is a layer *around* the view functions in :mod:`app.assessment.service`: it never
computes anything itself, so whatever those functions (and the engine under them) compute is
what is stored. A stored view is current while three things match:

- the incident's **state** (``view_version`` row named by the incident id), bumped by every
  claim write (:func:`app.claims.service.after_claim_write`, the bulk import);
- the **epoch** (``view_version`` row ``*``), bumped at the commit of any transaction that
  wrote to a table other than the ones listed in :data:`NOT_VIEW_INPUTS`: sources, actors,
  topics (implications, taxonomies), learned reliability, and any table added later;
- the **code** fingerprint: a hash of the modules that compute views, so a deploy with a new
  engine or new view shaping never serves what the old code computed.

Versions are read *before* the claims, in the same request, so a stored view is never older
than the versions it is stored under. ``as_of`` reads are computed on demand, not stored.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from importlib import resources
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine
from app.types import utcnow
from app.views.invalidate import EPOCH
from app.views.models import ReadyView

log = logging.getLogger("claimdesk.views")


def _code_fingerprint() -> str:
    """Hash of the code that computes views (engine, view shaping, topics, claim values)."""
    digest = hashlib.sha256()
    for package in ("app.confidence", "app.assessment", "app.topics"):
        try:
            files = sorted(
                (f for f in resources.files(package).iterdir() if f.name.endswith(".py")),
                key=lambda f: f.name,
            )
        except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover
            continue
        for f in files:
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
    # a claim's value as the engine and the views read it (moved out of app.assessment)
    values = resources.files("app.claims").joinpath("values.py")
    digest.update(values.name.encode())
    digest.update(values.read_bytes())
    return digest.hexdigest()[:16]


CODE = _code_fingerprint()


# --- reading ------------------------------------------------------------------------------

_LOOKUP = text(
    "SELECT i.id, coalesce(v.n, 0), coalesce(e.n, 0), r.state, r.epoch, r.code, r.body "
    "FROM incident i "
    "LEFT JOIN view_version v ON v.scope = i.id "
    "LEFT JOIN view_version e ON e.scope = :epoch "
    "LEFT JOIN ready_view r ON r.incident_id = i.id AND r.view = :view "
    "WHERE i.id = :id"
)


def ready(
    session: Session,
    incident_id: str,
    view: str,
    compute: Callable[[], BaseModel],
    missing: Callable[[], Exception],
) -> bytes:
    """The view's JSON: as stored when its versions match, else computed (and stored)."""
    row = session.execute(_LOOKUP, {"id": incident_id, "view": view, "epoch": EPOCH}).first()
    if row is None:
        raise missing()
    _, state, epoch, r_state, r_epoch, r_code, body = row
    if body is not None and (r_state, r_epoch, r_code) == (state, epoch, CODE):
        return bytes(body)
    fresh = compute().model_dump_json().encode()
    _store(incident_id, view, int(state), int(epoch), fresh)
    return fresh


def current(conn: Connection, incident_id: str, view: str) -> tuple[bytes, tuple[Any, ...]] | None:
    """The stored view while its versions match (one statement) and what names that copy
    (incident, view, versions, code: the same name, the same bytes), else None: the fast
    lane's read (:mod:`app.fastlane`); a miss is left to :func:`ready` (it computes, stores)."""
    row = conn.execute(_LOOKUP, {"id": incident_id, "view": view, "epoch": EPOCH}).first()
    if row is None:
        return None
    _, state, epoch, r_state, r_epoch, r_code, body = row
    if body is not None and (r_state, r_epoch, r_code) == (state, epoch, CODE):
        return bytes(body), (incident_id, view, int(state), int(epoch), CODE)
    return None


def _store(incident_id: str, view: str, state: int, epoch: int, body: bytes) -> None:
    """Best effort, in its own short transaction: a reader never waits long for the write
    lock (SQLite) and never fails because the cache could not be written."""
    values = {
        "incident_id": incident_id,
        "view": view,
        "state": state,
        "epoch": epoch,
        "code": CODE,
        "body": body,
        "computed_at": utcnow(),
    }
    engine = get_engine()
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            if sqlite:
                conn.exec_driver_sql("PRAGMA busy_timeout = 100")
            try:
                conn.execute(_upsert(sqlite), values)
                conn.commit()  # the cache write is its own unit of work (see above)
            finally:
                conn.rollback()
                if sqlite:
                    ms = int(get_settings().sqlite_busy_timeout_ms)
                    conn.exec_driver_sql(f"PRAGMA busy_timeout = {ms}")
                    conn.commit()
    except SQLAlchemyError as exc:  # busy, read-only replica, ...: serve it anyway
        log.info("view not stored (%s): %s", view, exc.__class__.__name__)


def _upsert(sqlite: bool) -> Any:
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.dialects import sqlite as sqlite_dialect

    table = ReadyView.__table__  # type: ignore[attr-defined]
    stmt = (sqlite_dialect.insert if sqlite else postgresql.insert)(table)
    return stmt.on_conflict_do_update(
        index_elements=["incident_id", "view"],
        set_={c: stmt.excluded[c] for c in ("state", "epoch", "code", "body", "computed_at")},
    )
