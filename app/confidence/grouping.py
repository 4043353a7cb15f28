"""Group mutually compatible claims into candidate values (SPEC §3, "Conflicts").

Rule (deterministic, independent of input order):

1. sort the items canonically: by :func:`~app.confidence.values.value_sort_key` (kind, stance,
   effective interval low then high, bound / normalised category / actor id), then by
   ``ident(item)`` (``repr`` by default) to break ties between equal values;
2. walk them in that order and put each item in the *first* existing group whose members are
   all compatible with it; otherwise open a new group.

Every group is therefore pairwise compatible (a clique of the compatibility graph) and the
groups partition the input. A wide value compatible with several groups ("at least 3" next
to "5" and "20") joins the first one in canonical order (the one with the lowest interval).

**How it stays near-linear** (20 000 claims on one item must not cost 20 000² checks). The
result is exactly the rule above (a hypothesis test compares it with the plain quadratic walk,
``tests/confidence/test_grouping.py``); three facts make the walk cheap:

* whether two values are compatible depends only on their *compatibility key* (kind, stance,
  and the effective interval, normalised category, actor id; nothing for statements), so a
  group is checked against its distinct keys, not its members, and each pair of keys once;
* an item whose key was seen before goes where the last one went: the groups before that one
  were incompatible with the key and still are (groups only grow), and everything added to that
  group since was checked against the key;
* asserted quantities arrive in increasing order of their interval's low end, so a group of
  asserted quantities accepts the next one exactly when the lowest high end among its members
  reaches the new low end, and once it does not it never will again (a *sweep*: the live
  groups in a queue, the dead ones dropped from its front). A fresh asserted category (its
  normalised text not seen before) can only open a group: every earlier group of its kind holds
  another category.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from app.confidence.values import (
    ClaimValue,
    compatible,
    effective_interval,
    normalise_category,
    value_sort_key,
)

__all__ = ["compatibility_key", "group_compatible"]

T = TypeVar("T")


def compatibility_key(v: ClaimValue) -> Hashable:
    """Everything :func:`~app.confidence.values.compatible` reads of a value: two values with
    the same key are compatible with exactly the same values."""
    if v.kind == "quantity":
        assert v.quantity is not None
        if v.is_unknown:
            return ("quantity", v.stance, "unknown")
        lo, hi = effective_interval(v.quantity)
        return ("quantity", v.stance, lo, hi)
    if v.kind == "category":
        return ("category", v.stance, normalise_category(v.category or ""))
    if v.kind == "actor":
        return ("actor", v.stance, v.actor_id or "")
    return (v.kind, v.stance)


@dataclass
class _Group(Generic[T]):
    kind: str
    members: list[T] = field(default_factory=list)
    #: distinct compatibility keys of the members, each with one of its values
    keys: dict[Hashable, ClaimValue] = field(default_factory=dict)
    #: the lowest high end among the members (asserted quantities swept)
    min_hi: float = math.inf


def _sweepable(v: ClaimValue) -> tuple[float, float] | None:
    """The interval of an asserted, known quantity with low <= high (no NaN), else None."""
    if v.kind != "quantity" or v.stance != "asserts" or v.is_unknown:
        return None
    assert v.quantity is not None
    lo, hi = effective_interval(v.quantity)
    return (lo, hi) if lo <= hi else None


def group_compatible(
    items: Sequence[T],
    key: Callable[[T], ClaimValue],
    actor_parents: Mapping[str, str | None] | None = None,
    ident: Callable[[T], str] = repr,
) -> list[list[T]]:
    """Partition ``items`` into groups of pairwise-compatible values (see module docstring)."""
    parents: Mapping[str, str | None] = actor_parents or {}
    # claims that share one value object (a corpus reads each distinct value once) share
    # what is derived from it: its sort key and compatibility key
    derived: dict[int, tuple[tuple[str, str, float, float, str], Hashable]] = {}

    def sort_key(v: ClaimValue) -> tuple[str, str, float, float, str]:
        found = derived.get(id(v))
        if found is None:
            found = derived[id(v)] = (value_sort_key(v), compatibility_key(v))
        return found[0]

    decorated = sorted(
        ((sort_key(v), ident(it), v, it) for it in items for v in (key(it),)),
        key=lambda d: (d[0], d[1]),
    )
    # the sweep needs every asserted known quantity to be a proper interval
    sweep = all(
        _sweepable(v) is not None
        for _, _, v, _ in decorated
        if v.kind == "quantity" and v.stance == "asserts" and not v.is_unknown
    )
    groups: list[_Group[T]] = []
    by_kind: dict[str, list[_Group[T]]] = {}
    last: dict[Hashable, _Group[T]] = {}  # the group the key's last item went to
    self_ok: dict[Hashable, bool] = {}
    pair_ok: dict[tuple[Hashable, Hashable], bool] = {}
    live: deque[_Group[T]] = deque()  # swept groups that may still accept, in creation order
    general_quantity = False  # a quantity placed by the general walk: no more sweeping
    denials: set[str] = set()  # kinds with a denial placed

    def fits(group: _Group[T], k: Hashable, v: ClaimValue) -> bool:
        for other_key, other in group.keys.items():
            ok = pair_ok.get((k, other_key))
            if ok is None:
                ok = compatible(v, other, parents)
                pair_ok[(k, other_key)] = ok
            if not ok:
                return False
        return True

    def open_group(kind: str) -> _Group[T]:
        group: _Group[T] = _Group(kind)
        groups.append(group)
        by_kind.setdefault(kind, []).append(group)
        return group

    for _, _, value, item in decorated:
        k = derived[id(value)][1]
        interval = _sweepable(value) if sweep and not general_quantity else None
        chosen: _Group[T] | None = None
        if interval is not None:
            lo, hi = interval
            while live and live[0].min_hi < lo:
                live.popleft()  # its lowest high end is below every later low end
            chosen = live[0] if live else None
            if chosen is None:
                chosen = open_group(value.kind)
                live.append(chosen)
            chosen.min_hi = min(chosen.min_hi, hi)
        else:
            if value.kind == "quantity":
                general_quantity = True
            if value.stance == "denies":
                denials.add(value.kind)
            same = last.get(k)
            if same is not None:
                ok = self_ok.get(k)
                if ok is None:
                    ok = self_ok[k] = compatible(value, value, parents)
                if ok:
                    chosen = same
            if chosen is None and not (
                value.kind == "category"
                and value.stance == "asserts"
                and value.kind not in denials
                and same is None
            ):
                chosen = next((g for g in by_kind.get(value.kind, ()) if fits(g, k, value)), None)
            if chosen is None:
                chosen = open_group(value.kind)
        chosen.members.append(item)
        chosen.keys.setdefault(k, value)
        last[k] = chosen
    return [g.members for g in groups]
