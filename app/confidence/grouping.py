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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from app.confidence.values import ClaimValue, compatible, value_sort_key

__all__ = ["group_compatible"]

T = TypeVar("T")


def group_compatible(
    items: Sequence[T],
    key: Callable[[T], ClaimValue],
    actor_parents: Mapping[str, str | None] | None = None,
    ident: Callable[[T], str] = repr,
) -> list[list[T]]:
    """Partition ``items`` into groups of pairwise-compatible values (see module docstring)."""
    parents: Mapping[str, str | None] = actor_parents or {}
    decorated = sorted(
        ((value_sort_key(key(it)), ident(it), key(it), it) for it in items),
        key=lambda d: (d[0], d[1]),
    )
    groups: list[list[tuple[ClaimValue, T]]] = []
    for _, _, value, item in decorated:
        for group in groups:
            if all(compatible(value, other, parents) for other, _ in group):
                group.append((value, item))
                break
        else:
            groups.append([(value, item)])
    return [[item for _, item in group] for group in groups]
