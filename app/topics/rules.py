"""The topics' implication rules and category taxonomies, as the engine reads them."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from app.confidence.implications import Implication as Rule
from app.confidence.implications import parse_implications
from app.topics.models import Topic


def rules_and_taxonomies(
    session: Session,
) -> tuple[list[Rule], dict[str, dict[str, str | None]]]:
    """Every declared implication and every non-empty taxonomy (a few rows: read per view)."""
    rules: list[Rule] = []
    taxonomies: dict[str, dict[str, str | None]] = {}
    rows = session.execute(
        select(col(Topic.key), col(Topic.implications), col(Topic.categories))
    ).all()
    for key, implications, categories in rows:
        if implications:
            rules.extend(parse_implications(key, implications))
        if categories:
            taxonomies[key] = dict(categories)
    return rules, taxonomies
