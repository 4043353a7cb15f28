"""Topic implications and category taxonomies, applied to one incident's engine inputs.

The pure rules live in :mod:`app.confidence.implications` and :mod:`app.confidence.taxonomy`;
this module only turns claims into what those rules and the engine need:

* a category claim on a topic with a taxonomy becomes a *hierarchical* value, named by
  :func:`app.confidence.taxonomy.hierarchy_id` in the same parent mapping as the actors, so
  the engine treats "katyusha rocket" under "small rocket" exactly like Kataib Hezbollah under
  Iran-backed groups: compatible, not competing;
* a quantity claim on a part of an implication (``casualties.killed``) adds an *implied*
  claim to the target's item (``casualties >= 3``) in the same source's name, where someone
  speaks on the target; the views show it as implied, with the rule and the claims it came
  from, never as a claim the source made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from app.confidence import engine
from app.confidence.implications import Derived, Implication, Statement, derive
from app.confidence.taxonomy import category_of, hierarchy_id, hierarchy_parents
from app.confidence.values import Bound, ClaimValue, Quantity, effective_interval

__all__ = ["Expanded", "category_of", "expand", "implied_id", "taxonomy_parents"]


@dataclass(frozen=True)
class Expanded:
    """Engine inputs with taxonomies and implications applied."""

    inputs: list[engine.ClaimInput]
    parents: dict[str, str | None]  # hierarchy of the categories, keyed by hierarchy id
    implied: dict[str, Derived]  # implied claim id -> how it was derived


def implied_id(d: Derived) -> str:
    return "+".join(d.claim_ids) + ">" + d.topic


def _hierarchical(
    i: engine.ClaimInput, taxonomies: Mapping[str, Mapping[str, str | None]]
) -> engine.ClaimInput:
    topic = i.item[0]
    if i.value.kind != "category" or topic not in taxonomies or not i.value.category:
        return i
    value = ClaimValue.of_actor(hierarchy_id(topic, i.value.category), i.value.stance)
    return replace(i, value=value)


def _statement(i: engine.ClaimInput) -> Statement | None:
    v = i.value
    if i.status != "active" or v.kind != "quantity" or v.quantity is None or v.is_unknown:
        return None
    low, high = effective_interval(v.quantity)
    return Statement(
        claim_id=i.claim_id,
        topic=i.item[0],
        qualifiers=i.item[1],
        source_id=i.source_id,
        low=low,
        high=high,
        asserts=v.stance == "asserts",
    )


def expand(
    inputs: Sequence[engine.ClaimInput],
    rules: Sequence[Implication],
    taxonomies: Mapping[str, Mapping[str, str | None]],
) -> Expanded:
    out = [_hierarchical(i, taxonomies) for i in inputs]
    parents: dict[str, str | None] = {}
    used = {i.item[0] for i in inputs if i.value.kind == "category"}
    for topic in sorted(used & set(taxonomies)):
        parents.update(hierarchy_parents(topic, taxonomies[topic]))
    implied: dict[str, Derived] = {}
    if rules:
        by_id = {i.claim_id: i for i in inputs}
        statements = [s for s in map(_statement, inputs) if s is not None]
        spoken = {i.item for i in inputs if i.status == "active"}
        for d in derive(rules, statements, spoken):
            if not math.isfinite(d.low) or d.low <= 0:
                continue
            sources = [by_id[c] for c in d.claim_ids]
            said = [s.said_at for s in sources if s.said_at is not None]
            ident = implied_id(d)
            implied[ident] = d
            out.append(
                engine.ClaimInput(
                    claim_id=ident,
                    item=(d.topic, d.qualifiers),
                    source_id=d.source_id,
                    value=ClaimValue.of_quantity(Quantity(Bound.at_least, low=d.low)),
                    firmness=min(s.firmness for s in sources),
                    via_source_id=sources[0].via_source_id,
                    status="active",
                    said_at=max(said) if said else None,
                )
            )
    return Expanded(out, parents, implied)


def taxonomy_parents(taxonomies: Mapping[str, Mapping[str, str | None]]) -> dict[str, str | None]:
    """Every taxonomy's hierarchy as one parent mapping (what :func:`expand` returns for the
    topics an incident uses; learning over many incidents takes them all at once: the names
    of one topic's categories never meet another topic's)."""
    parents: dict[str, str | None] = {}
    for topic in sorted(taxonomies):
        parents.update(hierarchy_parents(topic, taxonomies[topic]))
    return parents
