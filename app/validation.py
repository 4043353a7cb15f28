"""Reusable field types: ISO country codes, BCP 47 language tags, IANA zones, URLs, tags."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from pydantic import (
    AfterValidator,
    AnyUrl,
    AwareDatetime,
    BeforeValidator,
    Field,
    StringConstraints,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return code


_BCP47 = re.compile(
    r"^(?P<lang>[A-Za-z]{2,3})"
    r"(?:-(?P<script>[A-Za-z]{4}))?"
    r"(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[A-WY-Za-wy-z0-9](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[xX](?:-[A-Za-z0-9]{1,8})+)?$"
)


def _language(value: str) -> str:
    match = _BCP47.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a BCP 47 language tag (e.g. en, ar, fa-IR)")
    lang = match.group("lang").lower()
    known = (
        pycountry.languages.get(alpha_2=lang)
        if len(lang) == 2
        else pycountry.languages.get(alpha_3=lang)
    )
    if known is None:
        raise ValueError(f"{value!r}: unknown ISO 639 language {lang!r}")
    parts = value.strip().split("-")
    # Canonical casing: language lower, script title, region upper.
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Asia/Baghdad)") from exc
    return value


def _http_url(value: str) -> str:
    try:
        url = AnyUrl(value.strip())
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid URL") from exc
    if url.scheme not in ("http", "https"):
        raise ValueError("URL must use http or https")
    if not url.host:
        raise ValueError("URL must have a host")
    return str(url)


def _instant(value: datetime) -> datetime:
    value = value.astimezone(UTC)
    if value < EPOCH:
        raise ValueError("must not be before 1970-01-01T00:00:00Z")
    if value > datetime.now(UTC) + timedelta(days=1):
        raise ValueError("must not be in the future")
    return value


def _tags(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for v in values:
        seen.setdefault(" ".join(v.split()).casefold(), None)
    return list(seen)


CountryCode = Annotated[
    str, Field(examples=["IQ"], description="ISO 3166-1 alpha-2"), AfterValidator(_country)
]
LanguageTag = Annotated[
    str, Field(examples=["en"], description="BCP 47 language tag"), AfterValidator(_language)
]
TimeZoneName = Annotated[
    str, Field(examples=["Asia/Baghdad"], description="IANA time zone"), AfterValidator(_timezone)
]
HttpUrlStr = Annotated[
    str,
    Field(max_length=2048, json_schema_extra={"format": "uri"}, examples=["https://example.org/"]),
    AfterValidator(_http_url),
]
_OFFSET = re.compile(r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$")


def _iso_with_offset(value: object) -> object:
    """Only an ISO 8601 date-time string with an offset: a number (``0.5``) is not read as
    seconds since 1970, and a naive date-time is not silently taken as UTC."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string, e.g. 2020-03-11T18:00:00Z")
    text = value.strip()
    if "T" not in text.upper() and " " not in text:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time (e.g. 2020-03-11T18:00:00Z)")
    if not _OFFSET.search(text):
        raise ValueError(f"{value!r} has no time zone offset: add Z (UTC) or one such as +03:00")
    return text


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


Instant = Annotated[AwareDatetime, BeforeValidator(_iso_with_offset), AfterValidator(_instant)]
"""A UTC instant given with an explicit offset (``Z`` or ``+03:00``), not before the epoch."""

QueryInstant = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_with_offset),
    AfterValidator(_utc),
    Field(description="An ISO 8601 date-time with an offset (Z or +03:00)"),
]
"""A query parameter's instant: ISO 8601 with an offset; numbers and naive times are 422."""

Text300 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(max_length=100_000)]
ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=26)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Tags = Annotated[list[Tag], Field(max_length=50), AfterValidator(_tags)]
Aliases = Annotated[list[Text300], Field(max_length=50)]
