"""What an import reports."""

from __future__ import annotations

from pydantic import BaseModel


class ImportReport(BaseModel):
    created: dict[str, int]
    unchanged: dict[str, int]
    lines: int
