"""Category taxonomies: a topic's category values as a hierarchy (pure, no I/O).

"katyusha rocket" ⊂ "small rocket" ⊂ "rocket": a claim of Katyusha rockets and a claim of
small rockets can both be true, exactly as an attribution to Kataib Hezbollah and one to
Iran-backed groups can. Two categories are *related* when they are equal or one is an
ancestor of the other; related categories are compatible, unrelated ones compete.

A taxonomy is stored as ``{value: parent or None}`` over normalised values (case and
whitespace folded, :func:`app.confidence.values.normalise_category`). The views hand category
claims of a topic with a taxonomy to the engine as hierarchical values, through the same
parent mapping the actor hierarchy uses: :func:`hierarchy_id` names a category in that
mapping without colliding with actor ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from app.confidence.values import normalise_category

__all__ = [
    "MAX_TERMS",
    "TaxonomyError",
    "ancestors",
    "category_of",
    "hierarchy_id",
    "hierarchy_parents",
    "merge",
    "normalise_terms",
    "related",
]

MAX_TERMS = 1000
_PREFIX = "category\x1f"


class TaxonomyError(ValueError):
    """An invalid taxonomy; ``pointer`` is relative to the list of terms."""

    def __init__(self, pointer: str, detail: str) -> None:
        super().__init__(detail)
        self.pointer, self.detail = pointer, detail


def ancestors(value: str, parents: Mapping[str, str | None]) -> list[str]:
    """The parents of ``value``, nearest first (cycle-safe)."""
    seen = {value}
    out: list[str] = []
    current = parents.get(value)
    while current is not None and current not in seen:
        out.append(current)
        seen.add(current)
        current = parents.get(current)
    return out


def related(a: str, b: str, parents: Mapping[str, str | None]) -> bool:
    """Equal (after normalising), or one is an ancestor of the other."""
    a, b = normalise_category(a), normalise_category(b)
    return a == b or a in ancestors(b, parents) or b in ancestors(a, parents)


def normalise_terms(terms: Iterable[tuple[str, str | None]]) -> dict[str, str | None]:
    """``[(value, parent)]`` as a taxonomy; a parent not listed becomes a root.

    Raises :class:`TaxonomyError` for an empty or duplicate value, a value that is its own
    parent, or a cycle.
    """
    out: dict[str, str | None] = {}
    declared: set[str] = set()
    for i, (raw_value, raw_parent) in enumerate(terms):
        if i >= MAX_TERMS:
            raise TaxonomyError("", f"at most {MAX_TERMS} values")
        value = normalise_category(raw_value)
        if not value:
            raise TaxonomyError(f"/{i}/value", "must not be empty")
        if value in declared:
            raise TaxonomyError(f"/{i}/value", f"{value!r} is declared twice")
        declared.add(value)
        parent = normalise_category(raw_parent) if raw_parent is not None else None
        if parent == "":
            raise TaxonomyError(f"/{i}/parent", "must not be empty (null for a root)")
        if parent == value:
            raise TaxonomyError(f"/{i}/parent", "a value cannot be its own parent")
        if parent is not None and value in [parent, *ancestors(parent, out)]:
            raise TaxonomyError(f"/{i}/parent", f"{parent!r} is below {value!r}: a cycle")
        out[value] = parent
        if parent is not None:
            out.setdefault(parent, None)
    return out


def merge(
    existing: Mapping[str, str | None], terms: Iterable[tuple[str, str | None]]
) -> dict[str, str | None]:
    """Add ``terms`` to a taxonomy. A value already there keeps its parent; giving it a
    different one is an error (re-declaring the same term is fine: imports are idempotent)."""
    new = normalise_terms(terms)
    out = dict(existing)
    for i, (value, parent) in enumerate(new.items()):
        if value in out and parent is not None and out[value] not in (None, parent):
            raise TaxonomyError(
                f"/{i}/parent", f"{value!r} is already under {out[value]!r}, not {parent!r}"
            )
        if value not in out or (out[value] is None and parent is not None):
            out[value] = parent
    for value in out:
        chain = ancestors(value, out)
        if chain and out.get(chain[-1]) is not None:
            raise TaxonomyError("", f"{value!r} would be its own ancestor")
    return out


def hierarchy_id(topic: str, value: str) -> str:
    """A category's name in the hierarchy mapping the engine shares with actors."""
    return f"{_PREFIX}{topic}\x1f{normalise_category(value)}"


def category_of(ident: str) -> str | None:
    """The category named by :func:`hierarchy_id`, or None for anything else (an actor)."""
    if not ident.startswith(_PREFIX):
        return None
    return ident[len(_PREFIX) :].split("\x1f", 1)[1]


def hierarchy_parents(topic: str, taxonomy: Mapping[str, str | None]) -> dict[str, str | None]:
    """The taxonomy of ``topic`` as a parent mapping over :func:`hierarchy_id` names."""
    return {
        hierarchy_id(topic, value): hierarchy_id(topic, parent) if parent is not None else None
        for value, parent in taxonomy.items()
    }
