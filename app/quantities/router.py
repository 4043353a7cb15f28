"""``POST /v1/quantities/parse``: common English phrasings of a count, as a quantity value."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.auth import viewer
from app.claims.schemas import QuantityOut
from app.confidence.parser import QuantityParseError, parse_quantity
from app.confidence.values import Quantity, effective_interval
from app.errors import invalid, problem_responses
from app.principal import Principal

router = APIRouter(prefix="/v1/quantities", tags=["quantities"])


class ParseRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"text": "two Americans and one Briton"}]},
    )

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class Interval(BaseModel):
    low: float
    high: float | None = Field(description="null means unbounded")


class ParsedPart(BaseModel):
    qualifiers: dict[str, str] = Field(examples=[{"nationality": "US"}])
    text: str
    value: QuantityOut
    effective_interval: Interval


class ParseResponse(BaseModel):
    text: str
    matched: str = Field(description="The part of the text that was read")
    value: QuantityOut = Field(description="Use as a claim's `value`; the analyst may override")
    effective_interval: Interval = Field(description="What the value is compared as")
    parts: list[ParsedPart] = Field(
        description='Qualified parts of a sum: "two Americans and one Briton" → 2 (US), 1 (GB)'
    )


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
