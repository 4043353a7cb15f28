"""Benchmark: how long the extractor takes on a 1,000-word article, on one core.

    python scripts/extract_bench.py [SPLIT.jsonl] [--runs N]

Takes the dev articles of ../shared/benchmarks/polnear (not shipped), joins them into
1,000-word articles, and times ``extract()`` plus the value reader on each suggestion (what
``POST /v1/extract`` does apart from HTTP and registry look-ups). The budget is 200 ms of CPU
time on one core (the process is pinned to one core; CPU time, not wall time, so that other
work on a shared machine does not count); wall time is printed too. The quoted-strings baseline
is timed on the same articles for scale.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.extract.extractor import extract
from app.extract.values import read_values
from scripts.extract_eval import DEFAULT, baseline

BUDGET_MS = 200.0


def articles(path: Path, words: int = 1000, count: int = 20) -> list[str]:
    out: list[str] = []
    current: list[str] = []
    n = 0
    with path.open(encoding="utf-8") as f:
        for line in f:
            for para in json.loads(line)["text"].split("\n"):
                if not para.strip():
                    continue
                current.append(para)
                n += len(para.split())
                if n >= words:
                    out.append("\n\n".join(current))
                    current, n = [], 0
                    if len(out) == count:
                        return out
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("split", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    texts = articles(args.split)
    extract(texts[0])  # load the lexicon once
    ours: list[float] = []
    wall: list[float] = []
    base: list[float] = []
    for _ in range(args.runs):
        for text in texts:
            t0, w0 = time.process_time(), time.perf_counter()
            for s in extract(text, author_statements=True):
                read_values(s.quote)
            ours.append((time.process_time() - t0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
            t0 = time.process_time()
            baseline(text)
            base.append((time.process_time() - t0) * 1000)
    words = statistics.mean(len(t.split()) for t in texts)
    p50, p95 = statistics.median(ours), sorted(ours)[int(0.95 * len(ours)) - 1]
    report = {
        "articles": len(texts),
        "mean_words": round(words),
        "runs": args.runs,
        "extractor_ms_p50": round(p50, 1),
        "extractor_ms_p95": round(p95, 1),
        "extractor_ms_max": round(max(ours), 1),
        "extractor_wall_ms_p50": round(statistics.median(wall), 1),
        "baseline_ms_p50": round(statistics.median(base), 2),
        "ratio_p50_to_baseline": round(p50 / statistics.median(base), 1),
        "budget_ms": BUDGET_MS,
        "within_budget": max(ours) < BUDGET_MS,
    }
    print(json.dumps(report, indent=1))
    sys.exit(0 if report["within_budget"] else 1)


if __name__ == "__main__":
    main()
