"""Benchmark the confidence engine on a large synthetic corpus (not a test; prints JSON).

    python scripts/bench_confidence.py --claims 1000000 --family mirror_groups

Generates a seeded corpus of about ``--claims`` claims with
:func:`app.confidence.synthetic.generate_family` (generation is not timed), then times
``build_corpus`` (reading values, similarity edges) and ``solve`` (EM, domain sizes, copy
detection, posteriors) separately, and reports the process's peak resident memory. The
target (issue 8) is under 30 s and under 2 GB for a million claims. As a baseline measured in
the same run (the machine may be shared), it also times a plain-Python majority vote over the
rows and reports the ratios, with the load average, and the CPU time (``process_time``) of
reading values and of the engine, which a loaded machine inflates far less than wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.confidence.evaluate import build_corpus, score
from app.confidence.synthetic import FAMILIES, generate_family
from app.confidence.truth import solve


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--sources", type=int, default=40)
    ap.add_argument("--family", choices=FAMILIES, default="weak_uncontested")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    corpus = generate_family(args.family, args.seed, args.claims, args.sources)
    # baseline in the same run: majority vote over the rows in plain Python (one pass)
    tb = time.perf_counter()
    cb = time.process_time()
    votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for o, p, v, _ in corpus.rows:
        votes[(o, p)][v] += 1
    leaders = {item: c.most_common(1)[0][0] for item, c in votes.items()}
    baseline = time.perf_counter() - tb
    baseline_cpu = time.process_time() - cb
    c0 = time.process_time()
    t1 = time.perf_counter()
    loaded = build_corpus(corpus.rows, corpus.parents or None)
    t2 = time.perf_counter()
    c1 = time.process_time()
    sol = solve(loaded.corpus)
    t3 = time.perf_counter()
    c2 = time.process_time()
    result = score(loaded, sol, corpus.truth)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    print(
        json.dumps(
            {
                "family": args.family,
                "claims": result["claims"],
                "items": loaded.corpus.n_items,
                "sources": loaded.corpus.n_sources,
                "generate_seconds": round(tb - t0, 2),
                "baseline_majority_vote_seconds": round(baseline, 2),
                "engine_over_baseline": round((t3 - t2) / baseline, 1),
                "read_values_over_baseline": round((t2 - t1) / baseline, 1),
                "load_average": round(os.getloadavg()[0], 1),
                "read_values_seconds": round(t2 - t1, 2),
                "engine_seconds": round(t3 - t2, 2),
                # CPU time of this process: what a shared machine's load does not inflate
                "read_values_cpu_seconds": round(c1 - c0, 2),
                "engine_cpu_seconds": round(c2 - c1, 2),
                "baseline_majority_vote_cpu_seconds": round(baseline_cpu, 2),
                "engine_over_baseline_cpu": round((c2 - c1) / max(1e-9, baseline_cpu), 1),
                "iterations": sol.iterations,
                "peak_memory_mb": round(peak_mb),
                "accuracy": result["accuracy"],
                "ece": result["ece"],
                "majority_vote": result["majority_vote"],
                "baseline_items": len(leaders),
            }
        )
    )


if __name__ == "__main__":
    main()
