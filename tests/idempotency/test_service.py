"""The Idempotency-Key store (``app.idempotency.service``), called directly: what a reservation
releases and what the occasional clean-up deletes."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db import get_engine
from app.idempotency import service

REQUEST = "a" * 64  # the request's hash
PATH = "/v1/sources"


def _stored(scope: str, key: str) -> None:
    assert service.begin(scope, key, REQUEST, "POST", PATH) == ("new", None)
    service.finish(scope, key, 201, [["content-type", "application/json"]], b"{}")


def _outcome(scope: str, key: str) -> str:
    return service.begin(scope, key, REQUEST, "POST", PATH)[0]


def _keys() -> set[tuple[str, str]]:
    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT scope, key FROM idempotency_key")).all()
    return {(scope, key) for scope, key in rows}


def test_release_forgets_only_its_own_reservation() -> None:
    """A failed request frees its key for a retry; the same key of another API key and the
    other keys of the same API key are still replayed."""
    for scope, key in (("desk-a", "k"), ("desk-b", "k"), ("desk-b", "other")):
        _stored(scope, key)
    service.release("desk-b", "k")
    assert _keys() == {("desk-a", "k"), ("desk-b", "other")}
    assert _outcome("desk-a", "k") == "replay"
    assert _outcome("desk-b", "other") == "replay"
    assert _outcome("desk-b", "k") == "new"


def test_expired_keys_of_every_desk_are_deleted_in_passing(monkeypatch: pytest.MonkeyPatch) -> None:
    """About one reservation in a hundred (``CLEANUP_PROBABILITY``) also deletes every
    expired key, not only the one it asks for; keys still within their time to live stay."""
    for scope, key in (("desk-a", "old"), ("desk-b", "old"), ("desk-a", "live")):
        _stored(scope, key)
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE idempotency_key SET expires_at = created_at WHERE key = 'old'"))
    monkeypatch.setattr(service, "CLEANUP_PROBABILITY", 1.0)  # clean up on this call
    assert _outcome("desk-c", "new") == "new"
    assert _keys() == {("desk-a", "live"), ("desk-c", "new")}
    assert _outcome("desk-a", "live") == "replay"


def test_a_reservation_that_loses_the_race_to_the_insert_is_in_progress(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two requests with one key can both look it up before either has inserted it; the one
    whose insert then fails is told the key is in progress (and waits for the other's
    response), never that it is new (which would run the request twice)."""
    from sqlmodel import Session

    assert _outcome("desk-a", "raced") == "new"  # the winner's reservation
    monkeypatch.setattr(Session, "get", lambda *args, **kwargs: None)  # looked up too early
    assert service.begin("desk-a", "raced", REQUEST, "POST", PATH) == ("in_progress", None)
    assert _keys() == {("desk-a", "raced")}
