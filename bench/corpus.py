"""A synthetic NDJSON corpus in the import format, written as a stream (any size, flat memory).

Every incident gets ``per_incident`` competing claims from a pool of sources: casualty counts
(with and without qualifiers), munitions types, responsibility (actors, some denied) and a
statement, each with one link, so the views have real conflicts to compute.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import orjson

N_SOURCES = 200
N_ACTORS = 40
TOPICS = ("casualties.killed", "casualties.wounded", "munitions.type", "responsibility", "occurred")
WORDS = (
    "rocket",
    "attack",
    "base",
    "convoy",
    "strike",
    "drone",
    "official",
    "ministry",
    "spokesman",
    "killed",
    "wounded",
    "soldiers",
    "civilians",
    "militia",
    "airport",
    "border",
    "village",
    "market",
    "checkpoint",
    "explosion",
)


def lines(incidents: int, per_incident: int, seed: int = 7) -> Iterator[bytes]:
    rng = random.Random(seed)
    for s in range(N_SOURCES):
        parent = f"bs{s - s % 10}" if s % 10 else None
        yield orjson.dumps(
            {
                "type": "source",
                "external_id": f"bs{s}",
                "name": f"Source {s}",
                "kind": "outlet" if s % 3 else "official",
                "parent_external_id": parent,
                "reliability_prior": round(0.3 + 0.6 * rng.random(), 3),
            }
        )
    for a in range(N_ACTORS):
        yield orjson.dumps(
            {
                "type": "actor",
                "external_id": f"ba{a}",
                "name": f"Armed group {a}",
                "kind": "armed_group",
                "parent_external_id": f"ba{a - a % 5}" if a % 5 else None,
            }
        )
    for i in range(incidents):
        yield orjson.dumps(
            {
                "type": "incident",
                "external_id": f"bi{i}",
                "title": f"Incident {i} " + " ".join(rng.sample(WORDS, 3)),
                "occurred_earliest": "2020-03-11T16:35:00Z",
                "occurred_latest": "2020-03-11T16:35:59Z",
                "country": "IQ",
            }
        )
        true_killed = rng.randint(0, 40)
        for c in range(per_incident):
            topic = TOPICS[c % len(TOPICS)]
            record: dict[str, object] = {
                "type": "claim",
                "external_id": f"bc{i}-{c}",
                "incident_external_id": f"bi{i}",
                "source_external_id": f"bs{rng.randrange(N_SOURCES)}",
                "said_at": f"2020-03-{11 + c // 1440:02d}T{(c // 60) % 24:02d}:{c % 60:02d}:00Z",
                "quote": " ".join(rng.choices(WORDS, k=12)) + f" claim {i}-{c}",
                "topic": topic,
                "confidence": round(0.5 + 0.5 * rng.random(), 2),
                "links": [{"url": f"https://example.org/{i}/{c}", "kind": "original"}],
            }
            if topic.startswith("casualties"):
                record["value"] = {
                    "kind": "quantity",
                    "bound": "exact",
                    "best": max(0, true_killed + rng.randint(-3, 3)),
                }
                if c % 7 == 0:
                    record["qualifiers"] = {"nationality": rng.choice(("US", "GB", "IQ"))}
            elif topic == "munitions.type":
                record["value"] = {"kind": "category", "category": rng.choice(("rocket", "drone"))}
            elif topic == "responsibility":
                record["value"] = {
                    "kind": "actor",
                    "actor_external_id": f"ba{rng.randrange(N_ACTORS)}",
                }
                if rng.random() < 0.2:
                    record["stance"] = "denies"
            else:
                record["value"] = {"kind": "statement", "text": "it happened"}
            yield orjson.dumps(record)


def write(path: Path, incidents: int, per_incident: int) -> int:
    """Write the corpus to ``path``; the number of claims."""
    with path.open("wb") as fh:
        for line in lines(incidents, per_incident):
            fh.write(line + b"\n")
    return incidents * per_incident
