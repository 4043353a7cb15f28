"""A claim's value, stored in typed columns so SQL can filter and compare it: the one place
that maps each value kind (quantity, category, actor, statement) to those columns and back
(to the API's JSON, and to the confidence engine's value)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import TypeAdapter

from app.claims.schemas import (
    ActorOut,
    CategoryOut,
    ClaimValueIn,
    ClaimValueOut,
    QuantityOut,
    StatementOut,
)
from app.confidence.values import Bound, ClaimValue, Quantity, normalise_category
from app.errors import register_union_tags

#: The claim table's columns that hold the value (every kind sets the ones it does not use to
#: None, so a change of kind leaves nothing behind).
VALUE_COLUMNS = (
    "value_kind",
    "q_bound",
    "q_low",
    "q_best",
    "q_high",
    "category",
    "actor_id",
    "statement",
)

Stance = Literal["asserts", "denies"]


def number(x: float | None) -> int | float | None:
    """A stored number as the API writes it (integral values without ``.0``)."""
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


@dataclass(frozen=True)
class _Kind:
    #: the value as sent → the columns it sets
    columns: Callable[[Any], dict[str, Any]]
    #: a row with the value columns → the value as the API shows it (plain JSON)
    public: Callable[[Any], dict[str, Any]]
    #: a row with the value columns → the engine's value
    engine: Callable[[Any, Stance], ClaimValue]


def _quantity(row: Any) -> Quantity:
    return Quantity(Bound(row.q_bound or "unknown"), row.q_low, row.q_best, row.q_high)


KINDS: dict[str, _Kind] = {
    "quantity": _Kind(
        columns=lambda v: {
            "q_bound": v.bound.value,
            "q_low": v.low,
            "q_best": v.best,
            "q_high": v.high,
        },
        public=lambda r: {
            "kind": "quantity",
            "bound": r.q_bound or Bound.unknown.value,
            "low": number(r.q_low),
            "best": number(r.q_best),
            "high": number(r.q_high),
        },
        engine=lambda r, stance: ClaimValue.of_quantity(_quantity(r), stance),
    ),
    "category": _Kind(
        columns=lambda v: {"category": normalise_category(v.category)},
        public=lambda r: {"kind": "category", "category": r.category or ""},
        engine=lambda r, stance: ClaimValue.of_category(r.category or "", stance),
    ),
    "actor": _Kind(
        columns=lambda v: {"actor_id": v.actor_id},
        public=lambda r: {"kind": "actor", "actor_id": r.actor_id or ""},
        engine=lambda r, stance: ClaimValue.of_actor(r.actor_id or "", stance),
    ),
    "statement": _Kind(
        columns=lambda v: {"statement": v.text},
        public=lambda r: {"kind": "statement", "text": r.statement},
        engine=lambda r, stance: ClaimValue.of_statement(stance, r.statement),
    ),
}


#: The value kinds, which pydantic names in the location of an error inside a value.
VALUE_KINDS = frozenset(KINDS)
register_union_tags(VALUE_KINDS)


def _kind(name: str | None) -> _Kind:
    return KINDS.get(name or "statement", KINDS["statement"])


def value_columns(value: ClaimValueIn) -> dict[str, Any]:
    """The typed columns that store a claim value."""
    empty: dict[str, Any] = dict.fromkeys(VALUE_COLUMNS[1:])
    return {"value_kind": value.kind} | empty | KINDS[value.kind].columns(value)


def value_dict(row: Any) -> dict[str, Any]:
    """The value of a claim (or any row with the value columns) as the API's JSON."""
    return _kind(row.value_kind).public(row)


ValueOut = QuantityOut | CategoryOut | ActorOut | StatementOut
_OUT: TypeAdapter[ValueOut] = TypeAdapter(ClaimValueOut)


def value_out(row: Any) -> ValueOut:
    """The value as the API's model (``QuantityOut``, ``CategoryOut``, ...)."""
    return _OUT.validate_python(value_dict(row))


def quantity(row: Any) -> Quantity:
    """The engine's quantity of a quantity claim (or row)."""
    return _quantity(row)


def claim_value(row: Any) -> ClaimValue:
    """The engine's value of a claim (or any row with the value and stance columns)."""
    stance: Stance = "denies" if row.stance == "denies" else "asserts"
    return _kind(row.value_kind).engine(row, stance)
