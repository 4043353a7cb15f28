"""``POST /v1/quantities/parse``: common English phrasings of a count, as a quantity value."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends

from app.auth import viewer
from app.claims.schemas import QuantityOut
from app.confidence.parser import QuantityParseError, parse_quantity
from app.confidence.values import Quantity, effective_interval
from app.errors import invalid, problem_responses
from app.principal import Principal
from app.quantities.schemas import Interval, ParsedPart, ParseRequest, ParseResponse

router = APIRouter(prefix="/v1/quantities", tags=["quantities"])


def _out(q: Quantity) -> tuple[QuantityOut, Interval]:
    def num(x: float | None) -> int | float | None:
        return None if x is None else (int(x) if float(x).is_integer() else x)

    lo, hi = effective_interval(q)
    return (
        QuantityOut(bound=q.bound, low=num(q.low), best=num(q.best), high=num(q.high)),
        Interval(low=lo, high=None if math.isinf(hi) else hi),
    )


@router.post("/parse", responses=problem_responses(400, 401, 403, 422, 500))
def parse_quantity_text(
    data: ParseRequest, principal: Annotated[Principal, Depends(viewer)]
) -> ParseResponse:
    """Turn "more than 15", "nearly a dozen", "no immediate reports of anyone wounded" or
    "two Americans and one Briton" into a quantity. Text it cannot read is a 422, never a
    guess dressed as certain."""
    try:
        parsed = parse_quantity(data.text)
    except QuantityParseError as exc:
        raise invalid("/text", str(exc)) from exc
    value, interval = _out(parsed.total)
    parts = []
    for part in parsed.parts:
        pv, pi = _out(part.quantity)
        parts.append(
            ParsedPart(qualifiers=part.qualifiers, text=part.text, value=pv, effective_interval=pi)
        )
    return ParseResponse(
        text=data.text,
        matched=parsed.matched,
        value=value,
        effective_interval=interval,
        parts=parts,
    )
