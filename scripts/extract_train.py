"""Train the extractor's cue detector on the PolNeAR training split and write what it ships:
app/extract/lexicon.json (word statistics) and app/extract/cue_model.json (feature weights).
No article text is written.

    python scripts/extract_train.py [TRAIN.jsonl] [--holdout N] [--epochs E]

1. Lexicon: for every word, the share of its occurrences that fall inside an annotated cue
   (add-one smoothed), kept when at least 0.02 over at least 3 occurrences.
2. Cue model: logistic regression (AdaGrad, L2) over token features (the word, its lexicon
   share, its neighbours and their classes: quotation, pronoun, "that", capitalised...; see
   ``cue_features``), on every unquoted word whose share is at least 0.02, labelled by whether
   it lies in an annotated cue.

With ``--holdout N`` about N training articles (every k-th, so every publisher) are held out
first: the models are trained on the rest, and the script prints cue precision/recall and the
benchmark figures on the held-out articles at several keep thresholds (docs/extraction.md,
"train holdout"); then it trains on all 840. ``--out DIR`` writes the files there instead.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.extract import extractor
from app.extract.extractor import cue_features, is_candidate, sentences, tokenize
from scripts.extract_eval import Tally, overlap

ROOT = Path(__file__).resolve().parents[1]
SHARED = next((p for p in (ROOT.parent / "shared", ROOT.parents[1] / "shared") if p.is_dir()), ROOT)
DEFAULT = SHARED / "benchmarks" / "polnear" / "train.jsonl"
LEXICON = ROOT / "app" / "extract" / "lexicon.json"
MODEL = ROOT / "app" / "extract" / "cue_model.json"
SOURCE = "PolNeAR v1.0.0 train split (statistics only)"


def build_lexicon(articles: list[dict[str, Any]]) -> dict[str, float]:
    inside: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for article in articles:
        cues = [r["cue"][:2] for r in article["relations"] if r["cue"]]
        for tok in tokenize(article["text"]):
            if not tok.text[0].isalpha():
                continue
            total[tok.lower] += 1
            if any(a <= tok.start < b for a, b in cues):
                inside[tok.lower] += 1
    return {
        w: round(inside[w] / (total[w] + 1), 3)
        for w in sorted(inside)
        if total[w] >= 3 and inside[w] / (total[w] + 1) >= 0.02
    }


def examples(articles: list[dict[str, Any]]) -> list[tuple[list[str], int]]:
    out = []
    for article in articles:
        cues = [r["cue"][:2] for r in article["relations"] if r["cue"]]
        for s in sentences(article["text"]):
            has_quote = any(t.quoted for t in s.toks)
            for k, tok in enumerate(s.toks):
                if is_candidate(tok):
                    label = int(any(a <= tok.start < b for a, b in cues))
                    out.append((cue_features(s.toks, k, has_quote), label))
    return out


def train(data: list[tuple[list[str], int]], epochs: int, seed: int = 0) -> dict[str, float]:
    rng = random.Random(seed)
    w: defaultdict[str, float] = defaultdict(float)
    g2: defaultdict[str, float] = defaultdict(lambda: 1e-8)
    rate, l2 = 0.3, 1e-5
    order = list(range(len(data)))
    for _ in range(epochs):
        rng.shuffle(order)
        for i in order:
            feats, y = data[i]
            z = sum(w[f] for f in feats)
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            g = p - y
            for f in feats:
                grad = g + l2 * w[f]
                g2[f] += grad * grad
                w[f] -= rate * grad / math.sqrt(g2[f])
    return {f: round(v, 4) for f, v in sorted(w.items()) if abs(v) >= 1e-3}


def write(
    lexicon: dict[str, float],
    weights: dict[str, float],
    n: int,
    keep: dict[str, float] | None = None,
) -> None:
    LEXICON.write_text(
        json.dumps({"source": SOURCE, "articles": n, "cues": lexicon}, indent=0) + "\n",
        encoding="utf-8",
    )
    MODEL.write_text(
        json.dumps(
            {"source": SOURCE, "articles": n, "weights": weights, "keep": keep or {}}, indent=0
        )
        + "\n",
        encoding="utf-8",
    )
    extractor.lexicon.cache_clear()
    extractor.cue_model.cache_clear()
    extractor.keep_model.cache_clear()


def fit_cues(
    articles: list[dict[str, Any]], epochs: int
) -> tuple[dict[str, float], dict[str, float]]:
    lex = build_lexicon(articles)
    write(lex, {}, len(articles))  # features read the lexicon
    data = examples(articles)
    weights = train(data, epochs)
    write(lex, weights, len(articles))
    positives = sum(y for _, y in data)
    print(f"{len(articles)} articles: {len(lex)} lexicon words, {len(data)} candidate tokens "
          f"({positives} in cues), {len(weights)} weights")  # fmt: skip
    return lex, weights


def keep_examples(articles: list[dict[str, Any]]) -> list[tuple[list[str], int]]:
    """Every candidate suggestion, labelled right when half of it lies in a gold content."""
    out = []
    for article in articles:
        spans = [r["content"][:2] for r in article["relations"]]
        for s in extractor.extract(article["text"], keep_all=True):
            length = s.quote_span[1] - s.quote_span[0]
            right = any(2 * overlap(s.quote_span, g) >= length for g in spans)
            out.append((list(s.features), int(right)))
    return out


def fit(articles: list[dict[str, Any]], epochs: int, folds: int = 2) -> None:
    """Cue model on all articles; the keep model on candidates that cue models trained on the
    other folds produced (so it learns from suggestions like those on unseen text)."""
    data: list[tuple[list[str], int]] = []
    for k in range(folds):
        train_part = [a for i, a in enumerate(articles) if i % folds != k]
        test_part = [a for i, a in enumerate(articles) if i % folds == k]
        fit_cues(train_part, epochs)
        data += keep_examples(test_part)
    lex, weights = fit_cues(articles, epochs)
    keep = train(data, epochs)
    write(lex, weights, len(articles), keep)
    right = sum(y for _, y in data)
    print(f"keep model: {len(data)} candidate suggestions ({right} right), {len(keep)} weights")


def cue_scores(articles: list[dict[str, Any]]) -> dict[str, float]:
    tp = fp = fn = 0
    for article in articles:
        cues = [r["cue"][:2] for r in article["relations"] if r["cue"]]
        for s in sentences(article["text"]):
            found = {k for a, b in extractor._cues(s.toks) for k in range(a, b + 1)}
            for k, tok in enumerate(s.toks):
                gold = any(a <= tok.start < b for a, b in cues) and tok.text[0].isalpha()
                got = k in found and tok.text[0].isalpha()
                tp += gold and got
                fp += got and not gold
                fn += gold and not got
    precision, recall = tp / max(1, tp + fp), tp / max(1, tp + fn)
    return {"cue_precision": round(precision, 3), "cue_recall": round(recall, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--holdout", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--out", type=Path, default=None, help="write here, not into app/")
    args = parser.parse_args()
    global LEXICON, MODEL
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        LEXICON, MODEL = args.out / LEXICON.name, args.out / MODEL.name
        extractor._LEXICON_PATH, extractor._MODEL_PATH = LEXICON, MODEL
    with args.train.open(encoding="utf-8") as f:
        articles = [json.loads(line) for line in f]
    if args.holdout:
        step = max(2, len(articles) // args.holdout)  # every step-th article: all publishers
        fit([a for i, a in enumerate(articles) if i % step], args.epochs)
        held = articles[::step]
        print(json.dumps({"holdout_articles": len(held), **cue_scores(held)}))
        for threshold in (0.2, 0.3, 0.4, 0.5):
            tally = Tally()
            for article in held:
                found = extractor.extract(article["text"], keep_all=True)
                tally.add(article, [s for s in found if s.score >= threshold])
            print(json.dumps({"keep_threshold": threshold, **tally.figures()}))
    fit(articles, args.epochs)
    print(f"wrote {LEXICON.name} ({LEXICON.stat().st_size} bytes) and {MODEL.name} "
          f"({MODEL.stat().st_size} bytes)")  # fmt: skip


if __name__ == "__main__":
    main()
