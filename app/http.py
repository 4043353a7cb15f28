"""HTTP helpers shared by routers: ETags, conditional requests, Location headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Header, Request, Response

from app.config import get_settings
from app.errors import PreconditionFailed, PreconditionRequired


def etag_of(obj: Any) -> str:
    """A strong entity tag for the representation: the version, plus for an incident its
    derived fields (counters, contested), which change when claims are written."""
    token = getattr(obj, "etag_token", None)
    return f'"{token if token is not None else obj.version}"'


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def set_etag(response: Response, obj: Any) -> None:
    response.headers["ETag"] = etag_of(obj)


def not_modified(request: Request, obj: Any) -> Response | None:
    """A 304 when ``If-None-Match`` names the current version."""
    header = request.headers.get("if-none-match")
    if header is None:
        return None
    current = etag_of(obj)
    if header.strip() == "*" or current in _tags(header):
        return Response(status_code=304, headers={"ETag": current})
    return None


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="The ETag you last read; the write is refused with 412 if the resource "
        "has changed since",
    ),
]


def check_if_match(if_match: str | None, obj: Any) -> None:
    if if_match is None:
        if get_settings().require_if_match:
            raise PreconditionRequired(
                "this server requires If-Match on updates: send the ETag from your last GET"
            )
        return
    current = etag_of(obj)
    if if_match.strip() != "*" and current not in _tags(if_match):
        raise PreconditionFailed(
            f"the resource is at version {current}, not {if_match.strip()}: GET it again, "
            "re-apply your change and retry",
            headers={"ETag": current},
        )


T = TypeVar("T")


def for_write(get: Callable[..., T], session: Any, ident: str, if_match: str | None) -> T:
    """The row to change, locked for this transaction, after checking ``If-Match``."""
    obj = get(session, ident, lock=True)
    check_if_match(if_match, obj)
    return obj
