"""HTTP helpers: entity tags, conditional requests (If-None-Match, If-Match), NUL characters
refused in any input. The routes' use of them is in :mod:`app.routing`."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import Header, Request, Response

from app.config import get_settings
from app.errors import FieldError, PreconditionFailed, PreconditionRequired, ValidationFailed


def etag_of(obj: Any) -> str:
    """A strong entity tag for the representation: the version, plus for an incident its
    derived fields (counters, contested), which change when claims are written."""
    token = getattr(obj, "etag_token", None)
    return f'"{token if token is not None else obj.version}"'


def _tags(header: str) -> list[str]:
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]


def names_current(if_none_match: str, current: str) -> bool:
    """Whether an ``If-None-Match`` header names the entity tag ``current`` (or is ``*``)."""
    return if_none_match.strip() == "*" or current in _tags(if_none_match)


def not_modified(request: Request, obj: Any) -> Response | None:
    """A 304 when ``If-None-Match`` names the current version."""
    header = request.headers.get("if-none-match")
    if header is None:
        return None
    current = etag_of(obj)
    if names_current(header, current):
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


NUL = "\x00"
NUL_DETAIL = "must not contain NUL (\\u0000) characters"
_JSON_NUL = b"\\u0000"  # the only way JSON can carry a NUL character


def nul_pointers(value: Any, pointer: str = "") -> list[str]:
    """JSON pointers of every string (member name or value) in ``value`` holding a NUL."""
    found: list[str] = []
    if isinstance(value, str):
        if NUL in value:
            found.append(pointer)
    elif isinstance(value, dict):
        for name, member in value.items():
            escaped = str(name).replace("~", "~0").replace("/", "~1")
            if NUL in str(name):
                found.append(f"{pointer}/{escaped}".replace(NUL, "\\u0000"))
            found += nul_pointers(member, f"{pointer}/{escaped}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += nul_pointers(item, f"{pointer}/{index}")
    return found


def json_nul_pointers(body: bytes) -> list[str]:
    """``nul_pointers`` of a JSON document, or [] when it holds none (or is not JSON)."""
    if _JSON_NUL not in body:
        return []
    try:
        return nul_pointers(orjson.loads(body))
    except orjson.JSONDecodeError:
        return []


async def reject_nul_bytes(request: Request) -> None:
    """An app-wide dependency: a NUL character in a path or query parameter or anywhere in a
    JSON body is a 422 naming the field. PostgreSQL cannot store NUL in text, and SQLite
    would store it silently: neither is what the client meant."""
    errors = [
        FieldError(parameter=name, detail=NUL_DETAIL)
        for name, value in request.path_params.items()
        if isinstance(value, str) and NUL in value
    ]
    errors += [
        FieldError(parameter=name.replace(NUL, "\\u0000"), detail=NUL_DETAIL)
        for name, value in request.query_params.multi_items()
        if NUL in name or NUL in value
    ]
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "PUT", "PATCH") and content_type.startswith(
        ("application/json", "application/merge-patch+json")
    ):
        errors += [
            FieldError(pointer=p, detail=NUL_DETAIL)
            for p in json_nul_pointers(await request.body())
        ]
    if errors:
        names = ", ".join(e.parameter or e.pointer or "body" for e in errors)
        raise ValidationFailed(f"{names}: {NUL_DETAIL}", errors=errors)
