"""Score an extractor on a PolNeAR split exactly as ../shared/benchmarks/polnear/README.md says.

    python scripts/extract_eval.py [SPLIT.jsonl] [--baseline] [--limit N]

recall_all: a gold relation is found when one suggestion's quote span covers at least half of
its content span; recall_direct: the same over verbatim quotes only; precision: a suggestion is
right when at least half of its own span lies in some gold content span; speaker: over found
relations whose gold source names someone (a capitalised word that is not a pronoun or
article), the share whose suggested speaker shares such a word with the gold source, or whose
speaker span overlaps it. Each figure is pooled over every relation (suggestion) of the split.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.extract.extractor import Suggestion, extract

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()), ROOT)
DEFAULT = SHARED / "benchmarks" / "polnear" / "dev.jsonl"

NOT_NAMES = {
    "i", "me", "my", "we", "us", "our", "you", "your", "he", "him", "his", "she", "her", "it",
    "its", "they", "them", "their", "this", "that", "these", "those", "who", "which",
    "the", "a", "an", "one", "some", "someone", "everyone", "anyone",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_][\w'’.-]*")


def name_words(text: str) -> set[str]:
    """Capitalised words that are not pronouns or articles."""
    out = set()
    for w in _WORD.findall(text):
        w = w.rstrip(".'’-")
        if w and w[0].isupper() and w.lower() not in NOT_NAMES:
            out.add(w.lower().removesuffix("’s").removesuffix("'s"))
    return out


def overlap(a: Sequence[int], b: Sequence[int]) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


@dataclass
class Tally:
    gold: int = 0
    found: int = 0
    gold_direct: int = 0
    found_direct: int = 0
    suggested: int = 0
    right: int = 0
    named: int = 0
    named_right: int = 0

    def add(self, article: dict[str, Any], suggestions: Sequence[Suggestion]) -> None:
        spans = [r["content"][:2] for r in article["relations"]]
        for s in suggestions:
            self.suggested += 1
            length = s.quote_span[1] - s.quote_span[0]
            if any(2 * overlap(s.quote_span, g) >= length for g in spans):
                self.right += 1
        for rel in article["relations"]:
            g = rel["content"][:2]
            length = g[1] - g[0]
            covering = [s for s in suggestions if 2 * overlap(s.quote_span, g) >= length]
            self.gold += 1
            self.gold_direct += rel["direct"]
            if not covering:
                continue
            self.found += 1
            self.found_direct += rel["direct"]
            src = rel["source"]
            if src is None or not name_words(src[2]):
                continue
            self.named += 1
            best = max(covering, key=lambda s: overlap(s.quote_span, g))
            words = name_words(best.speaker or "")
            span = best.speaker_span
            if words & name_words(src[2]) or (span is not None and overlap(span, src[:2]) > 0):
                self.named_right += 1

    def figures(self) -> dict[str, float]:
        def ratio(a: int, b: int) -> float:
            return round(a / b, 4) if b else 0.0

        return {
            "recall_all": ratio(self.found, self.gold),
            "recall_direct": ratio(self.found_direct, self.gold_direct),
            "precision": ratio(self.right, self.suggested),
            "speaker": ratio(self.named_right, self.named),
        }


_QUOTED = re.compile(r"[“\"]([^“”\"]{2,}?)[”\"]")
_NAME = re.compile(r"(?:[A-Z][\w'’.-]*)(?:\s+[A-Z][\w'’.-]*)*")


def baseline(text: str) -> list[Suggestion]:
    """Quoted strings; the speaker is the nearest capitalised name after, else before."""
    out = []
    for m in _QUOTED.finditer(text):
        after = [n for n in _NAME.finditer(text, m.end(), min(len(text), m.end() + 80))]
        after = [n for n in after if n.group().lower() not in NOT_NAMES]
        before = [n for n in _NAME.finditer(text, max(0, m.start() - 120), m.start())]
        before = [n for n in before if n.group().lower() not in NOT_NAMES]
        name = after[0] if after else (before[-1] if before else None)
        out.append(
            Suggestion(
                quote=m.group(1),
                quote_span=(m.start(1), m.end(1)),
                direct=True,
                cue=None,
                cue_span=None,
                speaker=name.group() if name else None,
                speaker_span=(name.start(), name.end()) if name else None,
                firmness=0.8,
            )
        )
    return out


def evaluate(
    path: Path, extractor: Callable[[str], list[Suggestion]], limit: int | None = None
) -> tuple[dict[str, float], Tally]:
    tally = Tally()
    with path.open(encoding="utf-8") as f:
        for i, line in enumerate(f):
            if limit is not None and i >= limit:
                break
            article = json.loads(line)
            tally.add(article, extractor(article["text"]))
    return tally.figures(), tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("split", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    t0 = time.perf_counter()
    base, _ = evaluate(args.split, baseline, args.limit)
    ours, tally = evaluate(args.split, extract, args.limit)
    print(json.dumps({"split": str(args.split.name), "baseline": base, "extractor": ours,
                      "relations": tally.gold, "suggestions": tally.suggested,
                      "seconds": round(time.perf_counter() - t0, 2)}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
