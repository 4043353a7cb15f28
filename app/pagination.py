"""Cursor (keyset) pagination shared by every list endpoint.

A cursor is an opaque, URL-safe token holding the sort key of the last item of a page. The
next page is ``WHERE (k1, k2, ...) > (v1, v2, ...)`` over an index on the same columns, so
pages stay stable while rows are inserted concurrently: no row is skipped or repeated.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import orjson
from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select, tuple_
from sqlmodel import Session

from app.errors import BadRequest, FieldError

T = TypeVar("T")
M = TypeVar("M")

CURSOR_PATTERN = "^([A-Za-z0-9_-]+={0,2})?$"  # documented (empty: the first page); else a 400
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` to get the next page; null on the last page"
    )
    total: int | None = Field(
        default=None, description="Number of matching items, only with `include_total=true`"
    )


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    include_total: bool


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size")] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(
            max_length=512,
            json_schema_extra={"pattern": CURSOR_PATTERN},
            description="Opaque cursor from `next_cursor` (URL-safe base64); a cursor from "
            "another list, or edited, is a 400",
        ),
    ] = None,
    include_total: Annotated[bool, Query(description="Also count all matching items")] = False,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor, include_total=include_total)


def _bad_cursor() -> BadRequest:
    return BadRequest(
        "cursor: malformed or from another list; start again without a cursor",
        errors=[FieldError(parameter="cursor", detail="malformed cursor")],
    )


def encode_cursor(values: Sequence[Any]) -> str:
    raw = orjson.dumps([v.isoformat() if isinstance(v, datetime) else v for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: Sequence[type]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(values, list) or len(values) != len(kinds):
        raise _bad_cursor()
    out: list[Any] = []
    for value, kind in zip(values, kinds, strict=True):
        try:
            if kind is datetime:
                out.append(datetime.fromisoformat(value))
            elif kind is float:
                out.append(float(value))
            elif kind is int:
                if not isinstance(value, int):
                    raise TypeError
                out.append(value)
            else:
                if not isinstance(value, str):
                    raise TypeError
                out.append(value)
        except (TypeError, ValueError) as exc:
            raise _bad_cursor() from exc
    return out


def paginate(
    session: Session,
    stmt: Select[Any],
    order: Sequence[Any],
    params: PageParams,
    key: Callable[[M], Sequence[Any]],
    kinds: Sequence[type],
    rows: bool = False,
) -> tuple[list[M], str | None, int | None]:
    """Run ``stmt`` (selecting one entity, or with ``rows`` plain rows of several columns)
    one page at a time in ``order`` (ascending)."""
    total: int | None = None
    if params.include_total:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if params.cursor:
        last = decode_cursor(params.cursor, kinds)
        stmt = stmt.where(tuple_(*order) > tuple_(*last))
    page = stmt.order_by(*order).limit(params.limit + 1)
    items: list[M] = list(session.execute(page).all() if rows else session.scalars(page))  # type: ignore[arg-type]
    next_cursor = None
    if len(items) > params.limit:
        items = items[: params.limit]
        next_cursor = encode_cursor(key(items[-1]))
    return items, next_cursor, total
