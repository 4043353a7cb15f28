"""What a reliability recompute reports."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ReliabilityReport(BaseModel):
    sources: int = Field(description="Sources whose reliability was learned")
    claims: int = Field(description="Claims read (all statuses; only active ones count)")
    items: int = Field(description="Distinct incident + topic + qualifiers items")
    topics: int = Field(
        0, description="Topics whose domain size (number of plausible false values) was learned"
    )
    copying_pairs: int = Field(0, description="Source pairs found copying (copier, original)")
    seconds: float
