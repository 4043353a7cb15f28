"""Build app/extract/lexicon.json from the PolNeAR training split (the shipped lexicon holds
word statistics only, never article text).

    python scripts/extract_train.py [TRAIN.jsonl] [--min-count N]

For every word, the share of its occurrences in the training articles that fall inside an
annotated attribution cue (a smoothed ratio). Words reaching 0.2 with at least N occurrences
are written; the extractor uses those at or above its threshold.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.extract.extractor import tokenize

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()), ROOT)
DEFAULT = SHARED / "benchmarks" / "polnear" / "train.jsonl"
OUT = ROOT / "app" / "extract" / "lexicon.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--min-count", type=int, default=4)
    args = parser.parse_args()
    inside: Counter[str] = Counter()
    total: Counter[str] = Counter()
    articles = 0
    with args.train.open(encoding="utf-8") as f:
        for line in f:
            article = json.loads(line)
            articles += 1
            cues = sorted(r["cue"][:2] for r in article["relations"] if r["cue"])
            for tok in tokenize(article["text"]):
                if not tok.text[0].isalpha():
                    continue
                total[tok.lower] += 1
                if any(a <= tok.start < b for a, b in cues):
                    inside[tok.lower] += 1
    cues_out = {
        w: round(inside[w] / (total[w] + 1), 3)
        for w in sorted(inside)
        if total[w] >= args.min_count and inside[w] / (total[w] + 1) >= 0.2
    }
    OUT.write_text(
        json.dumps({"source": "PolNeAR v1.0.0 train split (word statistics only)",
                    "articles": articles, "cues": cues_out}, indent=0, sort_keys=True) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    print(f"{len(cues_out)} cue words from {articles} articles → {OUT}")


if __name__ == "__main__":
    main()
