"""The clauses SQLite and PostgreSQL spell differently: the same question, one function."""

from __future__ import annotations

from typing import Any

from sqlalchemy import column, exists, func, literal_column, select
from sqlalchemy import table as sql_table
from sqlmodel import Session


def json_array_contains(session: Session, column_: Any, value: str) -> Any:
    """A WHERE clause: the JSON array in ``column_`` contains the string ``value``.

    PostgreSQL uses JSONB's ``?`` operator (GIN-indexable); SQLite scans ``json_each``.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column_.op("?")(value)
    each = func.json_each(column_).table_valued("value")
    return exists(select(literal_column("1")).select_from(each).where(each.c.value == value))


def _words(text: str) -> list[str]:
    return [w for w in "".join(ch if ch.isalnum() else " " for ch in text).split() if w]


def tsvector_match(tsv: Any, text: str) -> Any:
    """PostgreSQL: the tsvector ``tsv`` contains every word of ``text`` (see below)."""
    words = _words(text)
    if not words:
        return literal_column("1") == literal_column("0")
    return tsv.op("@@")(func.plainto_tsquery("simple", " ".join(words)))


def full_text_match(session: Session, table: str, key_column: Any, text: str) -> Any:
    """A WHERE clause: the row's searchable text contains every word of ``text``.

    SQLite: the FTS5 table ``<table>_fts`` (kept in step by triggers); PostgreSQL: the
    generated ``search_tsv`` column with ``plainto_tsquery`` (GIN index). Both use a
    language-neutral tokenizer and need all words (AND), in any order."""
    words = _words(text)
    if not words:
        return literal_column("1") == literal_column("0")
    if session.get_bind().dialect.name == "postgresql":
        return tsvector_match(literal_column(f"{table}.search_tsv"), text)
    fts = sql_table(f"{table}_fts", column(f"{table}_id"))
    query = " ".join('"' + w.replace('"', '""') + '"' for w in words)
    match = literal_column(f"{table}_fts").op("MATCH")(query)
    return key_column.in_(select(fts.c[f"{table}_id"]).where(match))
