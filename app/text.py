"""Text normalisation shared by the API layer. TODO: fold into app.confidence.values."""

from __future__ import annotations


def normalise_category(text: str) -> str:
    return " ".join(text.split()).casefold()
