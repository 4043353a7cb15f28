"""The phrase parser's request and answer."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.claims.schemas import QuantityOut


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
