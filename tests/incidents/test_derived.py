"""An incident's stored state (contested flag, leading actor, the change feed's probability)
is exactly what the full assessment of its claims gives: the refresh reads it through the
engine's shortcuts (``any_contested``, ``assess_whole``), pinned here against ``assess`` itself
on the benchmark's corpus (competing counts with and without qualifiers, categories, actors
asserted and denied in a hierarchy)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from app.assessment.corpus import Corpus, load
from app.confidence import engine
from app.db import session_scope
from app.events.models import Event
from app.imports.service import import_records
from app.incidents.derived import (
    DerivedState,
    derived_state,
    leading_attribution,
    whole_incident,
)
from app.incidents.models import Incident
from app.principal import OPERATOR
from bench import corpus


def reference(c: Corpus) -> DerivedState:
    """The stored state as the full assessment gives it (every item, then the responsibility
    item from every actor claim on the topic)."""
    full = engine.assess(c.inputs, c.source_info, c.actor_parents, model=c.model)
    resp = [i for i in c.inputs if i.item[0] == "responsibility" and i.value.kind == "actor"]
    chosen = whole_incident(engine.assess(resp, c.source_info, c.actor_parents, model=c.model))
    return DerivedState(any(item.contested for item in full), *leading_attribution(chosen))


def test_the_stored_state_is_the_full_assessments() -> None:
    with session_scope() as session:
        import_records(session, corpus.lines(40, 60, seed=11), OPERATOR, batch=500)
    # and incidents of ten claims, two a topic: two candidates at most, or one
    few = (line.replace(b'"bi', b'"fi').replace(b'"bc', b'"fc') for line in corpus.lines(30, 10))
    with session_scope() as session:
        import_records(session, few, OPERATOR)
    with session_scope() as session:
        incidents = session.execute(select(Incident)).scalars().all()
        probability = {
            e.entity_id: e.payload["probability"]
            for e in session.execute(
                select(Event).where(col(Event.type) == "attribution.changed")
            ).scalars()
        }
        states = []
        for incident in incidents:
            expected = reference(load(session, incident))
            assert derived_state(load(session, incident)) == expected
            assert (incident.contested, incident.leading_actor_id) == (
                expected.contested,
                expected.leader,
            )
            assert probability.get(incident.id) == expected.probability
            states.append(expected)
    assert {s.contested for s in states} == {True, False}, "both kinds of incident"
    assert len({s.leader for s in states}) > 5
