"""Similarity between plain-text values of one item: numbers, times, sets, hierarchies.

Used by :mod:`app.confidence.evaluate` for corpora given as CSV (values are text) and by the
synthetic families. Each function returns *support edges* ``(a, b, f)``: a claim of value ``a``
also counts ``f`` (0 < f ≤ 1) of its vote for value ``b``. Edges never merge values, so a
wrong similarity only lends partial support, it cannot make two answers one.

* **Numbers and times** (``parse_number``): ``1,234``, ``12.5%``, ``-3``, ``1e6``, clock times
  ``10:41`` / ``10:41:30`` (minutes), ISO dates ``2020-03-11`` (days). Two numbers support each
  other with a triangular kernel of relative width :data:`NUMBER_TOLERANCE`:
  ``f = SIMILARITY_WEIGHT · max(0, 1 - |a - b| / (NUMBER_TOLERANCE · max(|a|, |b|)))``.
* **Sets** (``split_set``): a value is a list of names when it contains ``;`` or ``|``
  (those win, in that order, because names themselves contain commas: "Ullman, Jeffrey"),
  else when it splits on ``,`` / `` and `` / ``&`` into parts that each look like a full
  name (two or more words). Elements are compared by their words (case, punctuation and order
  ignored; initials dropped when the longer words agree), and two sets support each other by
  ``SIMILARITY_WEIGHT · shared names / all names`` (Jaccard).
* **Hierarchies** (``value,parent`` pairs): a claim of an ancestor supports each of its
  descendants fully (f = 1), never the reverse, and never a rival branch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date

__all__ = [
    "NUMBER_TOLERANCE",
    "SIMILARITY_WEIGHT",
    "hierarchy_edges",
    "name_key",
    "number_edges",
    "parse_number",
    "set_edges",
    "split_set",
]

#: Relative width of the number kernel and the weight of similar-value support.
NUMBER_TOLERANCE = 0.01
SIMILARITY_WEIGHT = 0.5

_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def parse_number(text: str) -> float | None:
    """A number, a clock time (minutes) or an ISO date (days), else None."""
    t = text.strip().replace("\u2212", "-")
    if not t:
        return None
    if t.endswith("%"):
        t = t[:-1].strip()
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    t = t.replace(" ", "").replace("_", "")
    if _NUM.match(t):
        x = float(t)
        return x if math.isfinite(x) else None
    m = _TIME.match(t)
    if m:
        h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if h < 48 and mi < 60 and s < 60:
            return h * 60.0 + mi + s / 60.0
    m = _DATE.match(t)
    if m:
        try:
            return float(date(int(m.group(1)), int(m.group(2)), int(m.group(3))).toordinal())
        except ValueError:
            return None
    return None


def number_edges(values: Sequence[float]) -> list[tuple[int, int, float]]:
    """Support between near numbers (both directions), by the triangular kernel."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out: list[tuple[int, int, float]] = []
    for pos, i in enumerate(order):
        a = values[i]
        for j in order[pos + 1 :]:
            b = values[j]
            scale = NUMBER_TOLERANCE * max(abs(a), abs(b))
            if scale <= 0 or b - a >= scale:
                break
            f = SIMILARITY_WEIGHT * (1.0 - (b - a) / scale)
            if f > 0:
                out.append((i, j, f))
                out.append((j, i, f))
    return out


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SPLIT_STRONG = (";", "|")
_SPLIT_WEAK = re.compile(r"\s*(?:,|&|\band\b)\s*", re.IGNORECASE)


def name_key(name: str) -> frozenset[str]:
    """The words of a name, case-folded, initials dropped unless the name is only initials."""
    words = [w.casefold() for w in _WORD.findall(name)]
    long = frozenset(w for w in words if len(w) > 1)
    return long or frozenset(words)


def split_set(text: str, separator: str | None) -> frozenset[frozenset[str]]:
    """The elements of a set value split on ``separator`` (None: the whole text)."""
    if separator is None:
        parts = [text]
    elif separator == ",":
        parts = _SPLIT_WEAK.split(text)
    else:
        parts = text.split(separator)
    return frozenset(k for k in (name_key(p) for p in parts) if k)


def detect_separator(texts: Sequence[str]) -> str | None:
    """How a property's values encode lists (see the module docstring), or None."""
    if not texts:
        return None
    for sep in _SPLIT_STRONG:
        if sum(sep in t for t in texts) >= max(1, len(texts) // 20):
            return sep
    listy = [t for t in texts if _SPLIT_WEAK.search(t)]
    if len(listy) < max(1, len(texts) // 20):
        return None
    full = sum(all(len(_WORD.findall(p)) >= 2 for p in _SPLIT_WEAK.split(t) if p) for t in listy)
    return "," if full >= 0.7 * len(listy) else None


def _element_match(a: frozenset[str], b: frozenset[str]) -> bool:
    return a == b or (len(a) >= 1 and len(b) >= 1 and (a <= b or b <= a))


def set_overlap(a: frozenset[frozenset[str]], b: frozenset[frozenset[str]]) -> float:
    """Jaccard overlap of two name sets, names matched by words (see name_key)."""
    if not a or not b:
        return 0.0
    matched = 0
    used: set[frozenset[str]] = set()
    for x in a:
        for y in b:
            if y not in used and _element_match(x, y):
                used.add(y)
                matched += 1
                break
    union = len(a) + len(b) - matched
    return matched / union if union else 0.0


def set_edges(values: Sequence[frozenset[frozenset[str]]]) -> list[tuple[int, int, float]]:
    """Support between overlapping sets (both directions), by Jaccard overlap."""
    out: list[tuple[int, int, float]] = []
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            o = set_overlap(values[i], values[j])
            if o > 0:
                f = SIMILARITY_WEIGHT * o
                out.append((i, j, f))
                out.append((j, i, f))
    return out


def ancestors(value: str, parents: Mapping[str, str]) -> list[str]:
    """Parents of ``value``, nearest first (cycle-safe)."""
    seen = {value}
    out: list[str] = []
    cur = parents.get(value)
    while cur is not None and cur not in seen:
        out.append(cur)
        seen.add(cur)
        cur = parents.get(cur)
    return out


def hierarchy_edges(
    values: Sequence[str], parents: Mapping[str, str]
) -> list[tuple[int, int, float]]:
    """Ancestor → descendant support (f = 1) among the values of one item."""
    index = {v: i for i, v in enumerate(values)}
    out: list[tuple[int, int, float]] = []
    for j, v in enumerate(values):
        for anc in ancestors(v, parents):
            i = index.get(anc)
            if i is not None:
                out.append((i, j, 1.0))
    return out
