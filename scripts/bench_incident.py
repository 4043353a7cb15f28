"""How the per-incident engine grows with an incident's size (not a test; prints JSON).

    python scripts/bench_incident.py --claims 5000 20000

Builds one incident's engine inputs in memory with the distribution of ``bench/corpus.py``
(casualty counts near a true value, some with qualifiers; munitions types; responsibility over
a 40-actor hierarchy, a fifth of it denied; statements; 200 sources in groups of ten under a
parent), then times, for each size, what deriving the incident's state costs (the engine's
``assess`` over every item, as ``refresh_derived`` and the views run it) and, separately, the
grouping of values into candidates. CPU seconds (``process_time``: what a shared machine's
load inflates least), per claim, and each size's per-claim cost as a ratio to the smallest
size's, measured in the same run: 1.0 is linear. Python's cyclic garbage collector is paused
while timing (``--gc`` keeps it), because its passes grow with everything alive in the process.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.confidence import engine
from app.confidence.grouping import group_compatible
from app.confidence.values import Bound, ClaimValue, Quantity

TOPICS = ("casualties.killed", "casualties.wounded", "munitions.type", "responsibility", "occurred")


def incident(n: int, seed: int = 7) -> tuple[list[engine.ClaimInput], dict[str, engine.SourceInfo]]:
    rng = random.Random(seed)
    sources = {
        f"s{s}": engine.SourceInfo(
            f"s{s}", parent_id=f"s{s - s % 10}" if s % 10 else None, prior=0.3 + 0.6 * rng.random()
        )
        for s in range(200)
    }
    true_killed = rng.randint(0, 40)
    claims = []
    for c in range(n):
        topic = TOPICS[c % len(TOPICS)]
        qualifiers = "{}"
        if topic.startswith("casualties"):
            value = ClaimValue.of_quantity(
                Quantity(Bound.exact, best=max(0, true_killed + rng.randint(-3, 3)))
            )
            if c % 7 == 0:
                qualifiers = json.dumps({"nationality": rng.choice(("US", "GB", "IQ"))})
        elif topic == "munitions.type":
            value = ClaimValue.of_category(rng.choice(("rocket", "drone")))
        elif topic == "responsibility":
            stance = "denies" if rng.random() < 0.2 else "asserts"
            value = ClaimValue.of_actor(f"a{rng.randrange(40)}", stance)
        else:
            value = ClaimValue.of_statement(text="it happened")
        claims.append(
            engine.ClaimInput(
                claim_id=f"c{c:06d}",
                item=(topic, qualifiers),
                source_id=f"s{rng.randrange(200)}",
                value=value,
                firmness=round(0.5 + 0.5 * rng.random(), 2),
            )
        )
    return claims, sources


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--gc", action="store_true", help="keep the garbage collector running")
    args = ap.parse_args()
    parents: dict[str, str | None] = {
        f"a{a}": f"a{a - a % 5}" if a % 5 else None for a in range(40)
    }
    rows = []
    for n in sorted(args.claims):
        claims, sources = incident(n)
        if not args.gc:
            gc.collect()
            gc.disable()
        c0 = time.process_time()
        engine.assess(claims, sources, parents)
        c1 = time.process_time()
        for topic in TOPICS:
            group_compatible(
                [c for c in claims if c.item[0] == topic],
                lambda c: c.value,
                parents,
                lambda c: c.claim_id,
            )
        c2 = time.process_time()
        gc.enable()
        rows.append({"claims": n, "assess_cpu_s": c1 - c0, "grouping_cpu_s": c2 - c1})
    base = rows[0]
    for r in rows:
        scale = r["claims"] / base["claims"]
        r["assess_per_claim_vs_smallest"] = round(
            r["assess_cpu_s"] / scale / max(1e-9, base["assess_cpu_s"]), 2
        )
        r["grouping_per_claim_vs_smallest"] = round(
            r["grouping_cpu_s"] / scale / max(1e-9, base["grouping_cpu_s"]), 2
        )
        r["assess_cpu_s"] = round(r["assess_cpu_s"], 3)
        r["grouping_cpu_s"] = round(r["grouping_cpu_s"], 3)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
