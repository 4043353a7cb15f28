"""The import's derived-state refresh gives the same incidents and change-feed events whether
the engine runs in this process only or each chunk from both ends with a forked helper, and
when the helper fails."""

from __future__ import annotations

import os
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.actors.models import Actor
from app.db import session_scope
from app.events.models import Event
from app.imports import forked, refresh
from app.imports.service import import_records
from app.incidents.models import Incident
from app.principal import OPERATOR
from bench import corpus
from tests.conftest import wipe


def _derived() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Each incident's derived state and the refresh's events, by external id."""
    lines = list(corpus.lines(12, 40, seed=3))
    with session_scope() as session:
        import_records(session, lines, OPERATOR, batch=150)
    with session_scope() as session:
        incidents = session.execute(select(Incident)).scalars().all()
        ext = {i.id: i.external_id for i in incidents}
        ext.update(
            (a, b) for a, b in session.execute(select(col(Actor.id), col(Actor.external_id)))
        )
        state = sorted(
            (i.external_id, i.contested, ext.get(i.leading_actor_id or ""), i.claim_count)
            for i in incidents
        )
        events = sorted(
            (
                e.type,
                ext[e.entity_id],
                repr(
                    sorted(
                        (k, ext.get(v, v) if isinstance(v, str) else v)
                        for k, v in e.payload.items()
                    )
                ),
            )
            for e in session.execute(
                select(Event).where(col(Event.entity_type) == "incident")
            ).scalars()
            if e.type != "incident.created"
        )
    wipe()
    return state, events


def test_the_helper_changes_nothing_but_the_time(monkeypatch: pytest.MonkeyPatch) -> None:
    alone = _derived()
    assert any(contested for _, contested, _, _ in alone[0]), "the corpus has conflicts"
    assert any(t == "attribution.changed" for t, _, _ in alone[1])
    monkeypatch.setattr(refresh, "HELPER_MIN_CLAIMS", 1)
    monkeypatch.setattr(forked, "ALLOW_THREADS", True)
    helped: list[int] = []
    real = forked.BothEnds._fork

    def spy(self: forked.BothEnds[Any]) -> None:
        helped.append(1)
        real(self)

    monkeypatch.setattr(forked.BothEnds, "_fork", spy)
    assert _derived() == alone
    assert helped, "the helper ran"


def test_a_failing_helper_is_made_up_for(monkeypatch: pytest.MonkeyPatch) -> None:
    alone = _derived()
    monkeypatch.setattr(refresh, "HELPER_MIN_CLAIMS", 1)
    monkeypatch.setattr(forked, "ALLOW_THREADS", True)
    parent = os.getpid()
    real = refresh._assess

    def only_here(*args: Any) -> Any:
        if os.getpid() != parent:
            raise RuntimeError("the helper fails")
        return real(*args)

    monkeypatch.setattr(refresh, "_assess", only_here)
    assert _derived() == alone
