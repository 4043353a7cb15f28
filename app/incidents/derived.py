"""An incident's derived state, kept ready on every claim write in the same transaction: the
counters (claims, distinct sources), the filterable ``contested`` flag and the leading
attribution, with an event on the change feed when the flag or the leader changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

from app.actors.models import Actor
from app.assessment.corpus import Corpus, load
from app.claims.models import Claim
from app.confidence import engine
from app.events.service import emit_many
from app.incidents.models import Incident
from app.types import utcnow


def refresh_counts(session: Session, incident_id: str) -> None:
    """Keep the read-only counters in step with the claims (same transaction)."""
    row = session.execute(
        select(func.count(Claim.id), func.count(func.distinct(Claim.source_id))).where(  # type: ignore[arg-type]
            Claim.incident_id == incident_id  # type: ignore[arg-type]
        )
    ).one()
    session.execute(
        update(Incident)
        .where(Incident.id == incident_id)  # type: ignore[arg-type]
        .values(claim_count=row[0], source_count=row[1])
    )


def whole_incident(results: list[engine.ItemAssessment]) -> engine.ItemAssessment | None:
    """Attributions are about the incident as a whole: the unqualified item when there is one."""
    return next((r for r in results if r.item[1] == "{}"), results[0] if results else None)


def responsibility(
    corpus: Corpus, as_of: datetime | None = None, topic: str = "responsibility"
) -> engine.ItemAssessment | None:
    """The assessment of who is responsible: the same item, model and candidates as
    ``/assessment`` shows for the topic."""
    inputs = [i for i in corpus.inputs if i.item[0] == topic and i.value.kind == "actor"]
    # whole_incident(engine.assess(inputs, ...)), assessing only the item it picks
    return engine.assess_whole(
        inputs, corpus.source_info, corpus.actor_parents, as_of, corpus.model
    )


@dataclass(frozen=True)
class DerivedState:
    """What the engine decides for an incident's stored state: the ``contested`` flag, the
    leading actor and that actor's probability as the change feed reports it. Plain data, so
    a helper process can compute it (:mod:`app.imports.refresh`)."""

    contested: bool
    leader: str | None
    probability: float | None


def leading_attribution(chosen: engine.ItemAssessment | None) -> tuple[str | None, float | None]:
    """The leading actor of the responsibility item (its most probable asserted actor, if its
    probability is above 0) and that probability, rounded as stored."""
    top = (
        next((c for c in chosen.candidates if c.stance == "asserts" and c.actor_id), None)
        if chosen
        else None
    )
    leader = top.actor_id if top is not None and top.probability > 0 else None
    probability = round(top.probability, 6) if top is not None and leader else None
    return leader, probability


def derived_state(corpus: Corpus) -> DerivedState:
    """The incident's ``contested`` flag and leading attribution, from its corpus (no I/O)."""
    contested = engine.any_contested(corpus.inputs, corpus.source_info, corpus.actor_parents)
    return DerivedState(contested, *leading_attribution(responsibility(corpus)))


def refresh_derived(session: Session, incident_id: str, corpus: Corpus | None = None) -> None:
    """Keep the incident's stored, filterable ``contested`` flag and ``leading_actor_id`` in
    step with its claims, and tell the change feed when either changes. A bulk writer passes
    the ``corpus`` it already loaded (see :mod:`app.imports.refresh`)."""
    incident = corpus.incident if corpus is not None else session.get(Incident, incident_id)
    if incident is None:
        return
    if corpus is None:
        corpus = load(session, incident)
    store_derived(session, incident, derived_state(corpus), corpus.actors)


def store_derived(
    session: Session,
    incident: Incident,
    state: DerivedState,
    actors: Mapping[str, Actor],
    updates: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> None:
    """Store ``state`` on the incident (``actors``: the corpus's, for the leader's name) and
    tell the change feed when the flag or the leader changes. A bulk writer passes
    ``updates`` to collect the row's new values and write many at once
    (:func:`write_derived`) before anything reads the incidents again, and ``events`` to
    collect the announcements (``write_derived`` puts them on the feed at once)."""
    incident_id = incident.id
    contested, leader = state.contested, state.leader
    before_contested, before_leader = incident.contested, incident.leading_actor_id
    if contested == before_contested and leader == before_leader:
        return
    values: dict[str, Any] = {
        "b_id": incident_id,
        "b_contested": contested,
        "b_leader": leader,
        "b_at": utcnow(),
    }
    if updates is None:
        write_derived(session, [values])
    else:
        updates.append(values)
    summary = {"id": incident_id, "title": incident.title, "contested": contested}
    session.expire(incident)
    announced: list[dict[str, Any]] = []
    if contested != before_contested:
        kind = "incident.contested" if contested else "incident.updated"
        announced.append(_announcement(kind, incident_id, summary))
    if leader != before_leader:
        payload = {
            "incident_id": incident_id,
            "before": before_leader,
            "after": leader,
            "actor_name": actors[leader].name if leader is not None and leader in actors else None,
            "probability": state.probability,
        }
        announced.append(_announcement("attribution.changed", incident_id, payload))
    if events is None:
        emit_many(session, announced)
    else:
        events += announced


def _announcement(kind: str, incident_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An event about the incident, as :func:`emit_many` takes it."""
    return {
        "type": kind,
        "entity_type": "incident",
        "entity_id": incident_id,
        "payload": payload,
        "incident_id": incident_id,
    }


def write_derived(
    session: Session, updates: list[dict[str, Any]], events: list[dict[str, Any]] | None = None
) -> None:
    """The incidents' new derived state collected by :func:`store_derived`, in one statement
    run for every row (plain UPDATEs: their ORM objects are expired), then the ``events``
    it collected, put on the change feed at once (:func:`emit_many`)."""
    if updates:
        table = Incident.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                contested=bindparam("b_contested"),
                leading_actor_id=bindparam("b_leader"),
                updated_at=bindparam("b_at"),
            ),
            updates,
        )
    emit_many(session, events or [])
