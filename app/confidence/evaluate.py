"""Measure the engine on a truth-discovery benchmark in the Population CSV layout.

``claims.csv``: ``ObjectID,PropertyID,PropertyValue,SourceID[,TimeStamp]``;
``truth.csv``: ``ObjectID,PropertyID,PropertyValue``; optional hierarchy CSV ``value,parent``.
Each (ObjectID, PropertyID) is one item. How values are read (nothing here is specific to one
data set; see docs/confidence.md):

* an item is **numeric** when every value of the item parses as a number, a clock time or an
  ISO date (:func:`app.confidence.similarity.parse_number`); near numbers support each other;
* a property is **set-valued** when its values encode lists (``;`` or ``|``, or ``,``-separated
  full names, :func:`~app.confidence.similarity.detect_separator`); values are compared as sets
  of names and overlapping sets support each other;
* otherwise values are normalised text (case and spaces); with a hierarchy an ancestor's claim
  supports its descendants.

A source that gives several values for one item splits one vote between them. The engine is
:func:`app.confidence.truth.solve` (the same core ``learn_reliability`` uses). An item is
right when its top value equals the gold value (numbers: equal; sets: the same names).
"""

from __future__ import annotations

import csv
import time
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from app.confidence import similarity as sim
from app.confidence.metrics import (
    accuracy,
    expected_calibration_error,
    majority_vote,
    reliability_table,
    spearman,
)
from app.confidence.truth import FlatCorpus, Solution, solve
from app.confidence.values import normalise_category

__all__ = ["Loaded", "build_corpus", "evaluate_csv", "evaluate_rows", "read_rows", "score"]

#: Sources need this many claims on gold items before their empirical accuracy is compared
#: with the learned one (Spearman).
SPEARMAN_MIN_CLAIMS = 5

Row = tuple[str, str, str, str]  # object, property, value, source


@dataclass
class Loaded:
    corpus: FlatCorpus
    items: list[tuple[str, str]]
    value_keys: list[Hashable]
    sources: list[str]
    kinds: dict[str, str]  # property -> "number" / "set" / "text"
    separators: dict[str, str | None]
    parents: dict[str, str]
    row_item: npt.NDArray[np.int64]  # per CSV row: its item (majority vote counts rows)
    row_key: npt.NDArray[np.int64]  # per CSV row: its value key (index into key_list)
    key_list: list[Hashable]


def read_rows(claims_path: Path) -> list[Row]:
    with Path(claims_path).open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            return []
        col = {h.strip(): i for i, h in enumerate(header)}
        missing = {"ObjectID", "PropertyID", "PropertyValue", "SourceID"} - set(col)
        if missing:
            raise ValueError(f"claims CSV lacks column(s): {', '.join(sorted(missing))}")
        o, p, v, s = col["ObjectID"], col["PropertyID"], col["PropertyValue"], col["SourceID"]
        width = max(o, p, v, s)
        return [(r[o], r[p], r[v], r[s]) for r in reader if len(r) > width]


def read_truth(truth_path: Path) -> dict[tuple[str, str], str]:
    truth: dict[tuple[str, str], str] = {}
    with Path(truth_path).open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            truth[(row["ObjectID"], row["PropertyID"])] = row["PropertyValue"]
    return truth


def read_hierarchy(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    with Path(path).open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            v, p = normalise_category(row["value"]), normalise_category(row["parent"] or "")
            if v and p and v != p:
                out[v] = p
    return out


class _Keyer:
    """Turns a property's text values into comparable keys (each distinct text parsed once)."""

    def __init__(self, rows: Sequence[Row]) -> None:
        texts: dict[str, list[str]] = defaultdict(list)
        numbers: dict[str, float | None] = {}
        non_numeric: set[tuple[str, str]] = set()
        for o, p, v, _ in rows:
            x = numbers.get(v, 0.0) if v in numbers else numbers.setdefault(v, sim.parse_number(v))
            if x is None:
                non_numeric.add((o, p))
                if len(texts[p]) < 5000:
                    texts[p].append(v)
        self.numbers = numbers
        self.non_numeric = non_numeric
        self.separators = {p: sim.detect_separator(ts) for p, ts in texts.items()}

    def is_numeric(self, item: tuple[str, str]) -> bool:
        return item not in self.non_numeric

    def key_numeric(self, text: str) -> Hashable:
        x = self.numbers.get(text)
        return x if x is not None else normalise_category(text)

    def key_text(self, prop: str, text: str) -> Hashable:
        sep = self.separators.get(prop)
        if sep is not None:
            return sim.split_set(text, sep) or normalise_category(text)
        return normalise_category(text)


H = TypeVar("H", bound=Hashable)


def _encode(seq: Sequence[H]) -> tuple[npt.NDArray[np.int64], list[H]]:
    """Integer codes in order of first appearance, and the distinct values."""
    ids: dict[H, int] = {}
    codes = np.fromiter((ids.setdefault(x, len(ids)) for x in seq), np.int64, len(seq))
    return codes, list(ids)


def build_corpus(rows: Sequence[Row], parents: Mapping[str, str] | None = None) -> Loaded:
    """Flatten text claims into a :class:`FlatCorpus` with similarity support edges.

    Rows are encoded to integers once; grouping and de-duplication are numpy sorts, so the
    cost is a few dictionary look-ups per row plus O(N log N) array work.
    """
    hier: dict[str, str] = dict(parents or {})
    keyer = _Keyer(rows)
    row_item, items = _encode([(o, p) for o, p, _, _ in rows])
    row_src, sources = _encode([r[3] for r in rows])
    numeric = np.array([keyer.is_numeric(it) for it in items], bool)
    row_text, triples = _encode(
        [(bool(numeric[i]), r[1], r[2]) for i, r in zip(row_item.tolist(), rows, strict=True)]
    )
    text_keys = [keyer.key_numeric(v) if num else keyer.key_text(p, v) for num, p, v in triples]
    text_key_id, key_list = _encode(text_keys)
    row_key = text_key_id[row_text]
    n_keys = max(1, len(key_list))
    n_src = max(1, len(sources))
    # values: distinct (item, key), sorted by item
    vcode, row_value = np.unique(row_item * n_keys + row_key, return_inverse=True)
    value_item = vcode // n_keys
    value_key = vcode % n_keys
    # claims: distinct (value, source); a source naming m values of an item weighs 1/m each
    ccode = np.unique(row_value.reshape(-1) * n_src + row_src)
    c_val, c_src = ccode // n_src, ccode % n_src
    per = value_item[c_val] * n_src + c_src
    _, inv, counts = np.unique(per, return_inverse=True, return_counts=True)
    c_w = 1.0 / counts[inv.reshape(-1)]
    props_codes, props = _encode([p for _, p in items])
    e_from: list[int] = []
    e_to: list[int] = []
    e_w: list[float] = []
    n_items = len(items)
    starts = np.searchsorted(value_item, np.arange(n_items))
    ends = np.searchsorted(value_item, np.arange(n_items), side="right")
    for ii in np.nonzero(ends - starts >= 2)[0].tolist():
        lo, hi = int(starts[ii]), int(ends[ii])
        keys = [key_list[k] for k in value_key[lo:hi].tolist()]
        if all(isinstance(k, float) for k in keys):
            edges = sim.number_edges([float(k) for k in keys])
        elif all(isinstance(k, frozenset) for k in keys):
            edges = sim.set_edges([k for k in keys if isinstance(k, frozenset)])
        elif hier:
            edges = sim.hierarchy_edges([str(k) for k in keys], hier)
        else:
            continue
        for a, b, f in edges:
            e_from.append(lo + a)
            e_to.append(lo + b)
            e_w.append(f)
    fc = FlatCorpus(
        n_sources=len(sources),
        value_item=value_item.astype(np.int64),
        item_property=props_codes,
        claim_source=c_src.astype(np.int64),
        claim_value=c_val.astype(np.int64),
        claim_weight=c_w.astype(np.float64),
        prior=np.full(len(sources), 0.5),
        support_from=np.array(e_from, np.int64),
        support_to=np.array(e_to, np.int64),
        support_weight=np.array(e_w, np.float64),
        value_key=value_key.astype(np.int64),
    )
    numeric_props = {
        p for it, num in zip(items, numeric.tolist(), strict=True) if num for p in (it[1],)
    }
    kinds = {
        p: "set" if keyer.separators.get(p) else ("number" if p in numeric_props else "text")
        for p in props
    }
    return Loaded(
        fc,
        items,
        [key_list[k] for k in value_key.tolist()],
        sources,
        kinds,
        dict(keyer.separators),
        hier,
        row_item,
        row_key,
        key_list,
    )


def _gold_key(loaded: Loaded, item: tuple[str, str], gold: str) -> Hashable:
    x = sim.parse_number(gold)
    sep = loaded.separators.get(item[1])
    return (
        x
        if x is not None and sep is None
        else (sim.split_set(gold, sep) if sep is not None else normalise_category(gold))
    )


def score(loaded: Loaded, sol: Solution, truth: Mapping[tuple[str, str], str]) -> dict[str, object]:
    """Accuracy, ECE, majority vote, reliability table and Spearman on the gold items."""
    fc = loaded.corpus
    index = {item: i for i, item in enumerate(loaded.items)}
    starts = np.searchsorted(fc.value_item, np.arange(fc.n_items))
    ends = np.searchsorted(fc.value_item, np.arange(fc.n_items), side="right")
    probs: list[float] = []
    correct: list[bool] = []
    mv_probs: list[float] = []
    mv_correct: list[bool] = []
    gold_value: dict[int, Hashable] = {}
    order = np.argsort(loaded.row_item, kind="stable")
    row_items = loaded.row_item[order]
    for item in sorted(truth):
        ii = index.get(item)
        if ii is None:
            continue
        gold = _gold_key(loaded, item, truth[item])
        gold_value[ii] = gold
        lo, hi = int(starts[ii]), int(ends[ii])
        p = sol.prob[lo:hi]
        # ties: the first value in order of appearance
        top = lo + int(np.argmax(p))
        probs.append(float(min(1.0, max(0.0, sol.prob[top]))))
        correct.append(_same(loaded.value_keys[top], gold))
        r0, r1 = np.searchsorted(row_items, [ii, ii + 1])
        votes = loaded.row_key[order[r0:r1]].tolist()
        value_id, share = majority_vote(votes)
        value = loaded.key_list[value_id]
        mv_probs.append(share)
        mv_correct.append(_same(value, gold))
    # empirical accuracy of each source on the gold items (an ancestor of the gold counts)
    hits: Counter[int] = Counter()
    seen: Counter[int] = Counter()
    item_of_claim = fc.value_item[fc.claim_value]
    for c in range(fc.claim_source.shape[0]):
        ii = int(item_of_claim[c])
        gold = gold_value.get(ii)
        if gold is None:
            continue
        s = int(fc.claim_source[c])
        key = loaded.value_keys[int(fc.claim_value[c])]
        ok = _same(key, gold) or (
            isinstance(gold, str) and key in sim.ancestors(gold, loaded.parents)
        )
        seen[s] += 1
        hits[s] += ok
    scored = sorted(s for s, n in seen.items() if n >= SPEARMAN_MIN_CLAIMS)
    rho = (
        spearman([float(sol.reliability[s]) for s in scored], [hits[s] / seen[s] for s in scored])
        if len(scored) >= 3
        else None
    )
    return {
        "items": len(probs),
        "claims": int(fc.claim_source.shape[0]),
        "sources": fc.n_sources,
        "accuracy": round(accuracy(correct), 4),
        "ece": round(expected_calibration_error(probs, correct), 4),
        "majority_vote": {
            "accuracy": round(accuracy(mv_correct), 4),
            "ece": round(expected_calibration_error(mv_probs, mv_correct), 4),
        },
        "reliability_table": reliability_table(probs, correct),
        "spearman": None if rho is None else round(rho, 4),
        "sources_scored": len(scored),
        "value_kinds": dict(Counter(loaded.kinds.values())),
    }


def _same(a: Hashable, b: Hashable) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    if isinstance(a, frozenset) and isinstance(b, frozenset):
        return sim.set_overlap(a, b) == 1.0
    return a == b


def evaluate_rows(
    rows: Sequence[Row],
    truth: Mapping[tuple[str, str], str],
    parents: Mapping[str, str] | None = None,
) -> dict[str, object]:
    started = time.perf_counter()
    loaded = build_corpus(rows, parents)
    built = time.perf_counter()
    sol = solve(loaded.corpus)
    solved = time.perf_counter()
    out = score(loaded, sol, truth)
    out["seconds"] = round(solved - started, 3)
    out["seconds_engine"] = round(solved - built, 3)
    return out


def evaluate_csv(
    claims_path: Path, truth_path: Path, hierarchy_path: Path | None = None
) -> dict[str, object]:
    """Run the engine on a CSV benchmark and score the gold items present in the claims.

    Returns accuracy, ECE, majority vote's accuracy and ECE, a 10-bin reliability table, the
    Spearman correlation of learned vs empirical source accuracy (sources with at least
    :data:`SPEARMAN_MIN_CLAIMS` claims on gold items), and ``seconds`` (reading values and the
    engine, excluding CSV parsing).
    """
    rows = read_rows(Path(claims_path))
    truth = read_truth(Path(truth_path))
    parents = read_hierarchy(Path(hierarchy_path)) if hierarchy_path is not None else None
    return evaluate_rows(rows, truth, parents)
