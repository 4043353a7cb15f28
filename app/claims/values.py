"""A claim's value, stored in typed columns so SQL can filter and compare it: the mapping of
each value kind (quantity, category, actor, statement) to those columns and back."""

from __future__ import annotations

from typing import Any, Literal

from app.claims.models import Claim
from app.claims.schemas import (
    ActorOut,
    CategoryOut,
    ClaimValueIn,
    QuantityOut,
    StatementOut,
)
from app.confidence.values import Bound, ClaimValue, Quantity, normalise_category


def value_columns(value: ClaimValueIn) -> dict[str, Any]:
    """The typed columns that store a claim value (so SQL can filter and compare it)."""
    cols: dict[str, Any] = {
        "value_kind": value.kind,
        "q_bound": None,
        "q_low": None,
        "q_best": None,
        "q_high": None,
        "category": None,
        "actor_id": None,
        "statement": None,
    }
    if value.kind == "quantity":
        cols.update(
            q_bound=value.bound.value, q_low=value.low, q_best=value.best, q_high=value.high
        )
    elif value.kind == "category":
        cols["category"] = normalise_category(value.category)
    elif value.kind == "actor":
        cols["actor_id"] = value.actor_id
    else:
        cols["statement"] = value.text
    return cols


def _num(x: float | None) -> int | float | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def value_out(claim: Claim) -> QuantityOut | CategoryOut | ActorOut | StatementOut:
    if claim.value_kind == "quantity":
        return QuantityOut(
            bound=Bound(claim.q_bound or Bound.unknown),
            low=_num(claim.q_low),
            best=_num(claim.q_best),
            high=_num(claim.q_high),
        )
    if claim.value_kind == "category":
        return CategoryOut(category=claim.category or "")
    if claim.value_kind == "actor":
        return ActorOut(actor_id=claim.actor_id or "")
    return StatementOut(text=claim.statement)


def value_dict(claim: Any) -> dict[str, Any]:
    if claim.value_kind == "quantity":
        return {
            "kind": "quantity",
            "bound": claim.q_bound or Bound.unknown.value,
            "low": _num(claim.q_low),
            "best": _num(claim.q_best),
            "high": _num(claim.q_high),
        }
    if claim.value_kind == "category":
        return {"kind": "category", "category": claim.category or ""}
    if claim.value_kind == "actor":
        return {"kind": "actor", "actor_id": claim.actor_id or ""}
    return {"kind": "statement", "text": claim.statement}


def claim_value(claim: Any) -> ClaimValue:
    """The engine's value of a claim: a Claim, or any row with the claim's value columns."""
    stance: Literal["asserts", "denies"] = "denies" if claim.stance == "denies" else "asserts"
    if claim.value_kind == "quantity":
        q = Quantity(Bound(claim.q_bound or "unknown"), claim.q_low, claim.q_best, claim.q_high)
        return ClaimValue.of_quantity(q, stance)
    if claim.value_kind == "category":
        return ClaimValue.of_category(claim.category or "", stance)
    if claim.value_kind == "actor":
        return ClaimValue.of_actor(claim.actor_id or "", stance)
    return ClaimValue.of_statement(stance, claim.statement)
