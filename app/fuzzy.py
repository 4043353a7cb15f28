"""Name search that forgives typos and knows aliases, and near-duplicate detection for the
source and actor registries.

PostgreSQL uses the ``pg_trgm`` extension (trigram similarity over ``name_key`` and every
alias, with a GIN index on ``name_key``; migration 0008 creates both when the server offers
the extension). SQLite, or a PostgreSQL without ``pg_trgm``, scores every name and alias with
``rapidfuzz`` in Python: registries are thousands of rows, not millions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field
from rapidfuzz import fuzz, process, utils
from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

# Similarity at or above which a name is a search hit, and a likely duplicate on create.
# Trigram similarity (0-1) and rapidfuzz's token-sort ratio (0-100, scaled) are different
# measures: each backend has thresholds that find one-letter typos and reordered words.
SEARCH_THRESHOLD = {"trigram": 0.35, "rapidfuzz": 0.70}
DUPLICATE_THRESHOLD = {"trigram": 0.6, "rapidfuzz": 0.86}

#: The ``name`` query parameter of the source and actor lists: a fuzzy search (:func:`search`).
FuzzyName = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=300,
        description="Fuzzy search: names and aliases like this one (typos, word order), "
        "best match first; one page of at most `limit`, other filters ignored",
    ),
]


class NameMatch(BaseModel):
    id: str
    name: str
    matched: str = Field(description="The name or alias that matched")
    score: float = Field(ge=0, le=1, description="Similarity, 1 for the same name")


def possible_duplicates_field(registry: str) -> Any:
    """The ``possible_duplicates`` member of a registry's answer to a create."""
    return Field(
        default_factory=list,
        description=f"Registered {registry} whose name or an alias closely matches this one's "
        "(typos, word order, aliases), best first: check before citing the new one",
    )


def name_key(name: str) -> str:
    """A name as the registries look it up and sort it: spaces collapsed, case folded."""
    return " ".join(name.split()).casefold()


_trigram_engines: dict[int, bool] = {}


def has_trigram(session: Session) -> bool:
    """True on PostgreSQL with the pg_trgm extension installed (checked once per engine)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    engine: Engine = bind if isinstance(bind, Engine) else bind.engine
    key = id(engine)
    if key not in _trigram_engines:
        found = session.execute(
            text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        ).scalar()
        _trigram_engines[key] = found is not None
    return _trigram_engines[key]


def similar_names(
    session: Session,
    model: Any,
    query: str,
    *,
    limit: int = 10,
    duplicates: bool = False,
) -> list[NameMatch]:
    """Rows of ``model`` (Source or Actor) whose name or an alias is like ``query``, best
    first; ``duplicates`` uses the stricter threshold meant for "is this the same one?"."""
    wanted = name_key(query)
    if not wanted:
        return []
    if has_trigram(session):
        threshold = (DUPLICATE_THRESHOLD if duplicates else SEARCH_THRESHOLD)["trigram"]
        return _trigram(session, str(model.__tablename__), wanted, threshold, limit)
    threshold = (DUPLICATE_THRESHOLD if duplicates else SEARCH_THRESHOLD)["rapidfuzz"]
    return _rapidfuzz(session, model, wanted, threshold, limit)


def _trigram(
    session: Session, table: str, wanted: str, threshold: float, limit: int
) -> list[NameMatch]:
    sql = text(
        f"""
        SELECT id, name, matched, score FROM (
            SELECT DISTINCT ON (t.id) t.id, t.name, c.candidate AS matched,
                   similarity(c.candidate, :q) AS score
            FROM {table} t
            CROSS JOIN LATERAL (
                SELECT t.name_key AS candidate
                UNION ALL
                SELECT lower(a) FROM jsonb_array_elements_text(t.aliases::jsonb) AS a
            ) c
            WHERE c.candidate % :q OR t.name_key % :q  -- pg_trgm.similarity_threshold (0.3)
            ORDER BY t.id, similarity(c.candidate, :q) DESC
        ) best
        WHERE score >= :threshold
        ORDER BY score DESC, name
        LIMIT :limit
        """
    )
    rows = session.execute(sql, {"q": wanted, "threshold": threshold, "limit": limit}).all()
    return [NameMatch(id=r[0], name=r[1], matched=r[2], score=round(float(r[3]), 3)) for r in rows]


def _rapidfuzz(
    session: Session, model: Any, wanted: str, threshold: float, limit: int
) -> list[NameMatch]:
    rows = session.execute(select(col(model.id), col(model.name), col(model.aliases))).all()
    best: dict[str, NameMatch] = {}
    choices: list[tuple[str, str, str]] = []  # (id, display name, candidate)
    for ident, name, aliases in rows:
        choices.append((ident, name, name))
        choices.extend((ident, name, alias) for alias in aliases or [])
    scored = process.extract(
        wanted,
        [c[2] for c in choices],
        scorer=fuzz.token_sort_ratio,
        processor=utils.default_process,
        score_cutoff=threshold * 100,
        limit=None,
    )
    for _, score, index in scored:
        ident, name, candidate = choices[index]
        if ident not in best or best[ident].score < score / 100:
            best[ident] = NameMatch(
                id=ident, name=name, matched=candidate, score=round(score / 100, 3)
            )
    return sorted(best.values(), key=lambda m: (-m.score, m.name))[:limit]


def search(session: Session, model: Any, query: str, limit: int) -> list[Any]:
    """The rows of ``model`` like ``query``, best first."""
    matches = similar_names(session, model, query, limit=limit)
    ids = [m.id for m in matches]
    rows = {r.id: r for r in session.scalars(select(model).where(col(model.id).in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def possible_duplicates(
    session: Session, model: Any, name: str, aliases: list[str]
) -> list[NameMatch]:
    """Registered rows whose name or an alias closely matches ``name`` or one of ``aliases``
    (call before inserting the new row), best first."""
    best: dict[str, NameMatch] = {}
    for wanted in [name, *aliases]:
        for match in similar_names(session, model, wanted, duplicates=True):
            if match.id not in best or best[match.id].score < match.score:
                best[match.id] = match
    return sorted(best.values(), key=lambda m: (-m.score, m.name))
