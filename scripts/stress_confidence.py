"""The stress grid of the confidence engine (not a test; prints a Markdown table).

    python scripts/stress_confidence.py [--claims 6000] [--seeds 0 1]

Runs :func:`app.confidence.evaluate.evaluate_rows` on corpora from
:func:`app.confidence.synthetic.generate_stress` over copier fraction, mirror group size,
wire accuracy, accuracy spread, long tail and value kind, and reports the engine's accuracy
and ECE against majority vote (docs/confidence.md, "Stress grid").
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.confidence.evaluate import evaluate_rows
from app.confidence.synthetic import generate_stress


def cells(full: bool) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for cf, gs, wa in itertools.product((0.0, 0.2, 0.4, 0.5, 0.6), (2, 5, 10), (0.35, None)):
        if cf == 0.0 and (gs != 2 or wa is not None):
            continue
        out.append({"kind": "number", "copier_fraction": cf, "group_size": gs, "wire_accuracy": wa})
    for kind, cf in itertools.product(("near", "set", "hierarchy"), (0.0, 0.3, 0.5)):
        out.append({"kind": kind, "copier_fraction": cf, "group_size": 5})
    for spread, tail in itertools.product(((0.25, 0.95), (0.55, 0.75), (0.3, 0.6)), (0.0, 0.4)):
        out.append(
            {"kind": "number", "accuracy_range": spread, "tail_rate": tail, "copier_fraction": 0.3}
        )
    out.append({"kind": "number", "copy_rate": 0.6, "copier_fraction": 0.5, "group_size": 5})
    out.append({"kind": "number", "claims_per_item": 2.0, "copier_fraction": 0.3})
    return out if full else out[::3]


def _other(cell: dict[str, object]) -> str:
    known = {
        "kind",
        "copier_fraction",
        "group_size",
        "wire_accuracy",
        "accuracy_range",
        "tail_rate",
    }
    return ", ".join(f"{k}={v}" for k, v in cell.items() if k not in known) or "-"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, default=6000)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    head = [
        "kind",
        "copiers",
        "group",
        "wire-acc",
        "spread",
        "tail",
        "other",
        "seed",
        "engine",
        "ECE",
        "MV",
        "Δ",
    ]
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    worst = 1.0
    for cell in cells(not args.quick):
        for seed in args.seeds:
            c = generate_stress(seed=seed, n_claims=args.claims, **cell)  # type: ignore[arg-type]
            r = evaluate_rows(c.rows, c.truth, c.parents or None)
            mv = r["majority_vote"]["accuracy"]  # type: ignore[index]
            d = float(r["accuracy"]) - float(mv)  # type: ignore[arg-type]
            worst = min(worst, d)
            cols = [
                cell["kind"],
                cell.get("copier_fraction", 0.0),
                cell.get("group_size", 4),
                cell.get("wire_accuracy", 0.35),
                cell.get("accuracy_range", (0.45, 0.95)),
                cell.get("tail_rate", 0.1),
                _other(cell),
                seed,
                f"{r['accuracy']:.3f}",
                f"{r['ece']:.3f}",
                f"{mv:.3f}",
                f"{d:+.3f}",
            ]
            print("| " + " | ".join(str(x) for x in cols) + " |", flush=True)
    print(f"\nworst engine - MV: {worst:+.3f}")


if __name__ == "__main__":
    main()
