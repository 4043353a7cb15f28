"""Reusable field types: ISO country codes, BCP 47 language tags, IANA zones, URLs, tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pycountry
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Strict,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from pydantic_core import Url as CoreUrl

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


@lru_cache(maxsize=4096)
def _language(value: str) -> str:
    """The tag in canonical casing (cached: a bulk import or an export's re-import names the
    same few tags on every claim line; the lookup costs ~2 µs; errors are not cached)."""
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
        # pydantic-core's URL: what ``AnyUrl`` (no constraints) validates, without building
        # the wrapper class through a type adapter (a sixth of the cost; a bulk import
        # validates a link a claim)
        url = CoreUrl(value.strip())
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
# JSON numbers and booleans as they are: pydantic's lax mode would read true as 1.0, "0.8" as
# 0.8 and 0 or "yes" as a boolean, which the OpenAPI document does not allow.
Fraction = Annotated[float, Strict(), Field(ge=0, le=1)]
"""A number from 0 to 1 (a JSON number: not a string, not a boolean)."""
Flag = Annotated[bool, Strict()]
"""true or false (not 0/1, not "yes")."""


def without_null(schema: JsonSchemaValue) -> JsonSchemaValue:
    options = schema.get("anyOf")
    if isinstance(options, list):
        rest = [o for o in options if o.get("type") != "null"]
        if len(rest) == 1:
            del schema["anyOf"]
            schema.update(rest[0])
        else:
            schema["anyOf"] = rest
    return schema


@dataclass(frozen=True)
class NotNull:
    """Marks a PATCH member that may be left out (unchanged) but not sent as ``null``:
    ``name: Annotated[Text300 | None, NotNull()] = None``. An explicit null is refused while
    the body is parsed — a 422 naming the member, before any lookup or If-Match precondition —
    and the OpenAPI schema of the member does not allow null."""

    hint: str = "leave the member out to keep the stored value"

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        hint = self.hint

        def refuse_null(value: Any) -> Any:
            if value is None:
                raise PydanticCustomError(
                    "null_forbidden", "may not be null ({hint})", {"hint": hint}
                )
            return value

        return core_schema.no_info_before_validator_function(refuse_null, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return without_null(handler(schema))


def _patch_schema(schema: dict[str, Any]) -> None:
    """A member left out of a PATCH is unchanged, not set to a default: no ``default: null``
    on members that may not be null."""
    for prop in schema.get("properties", {}).values():
        nullable = prop.get("type") == "null" or any(
            o.get("type") == "null" for o in prop.get("anyOf", [])
        )
        if "default" in prop and prop["default"] is None and not nullable:
            del prop["default"]


class Patch(BaseModel):
    """Base of every XUpdate body: members sent replace the stored ones, members left out are
    unchanged, unknown members are refused; see ``NotNull`` for members that may not be null."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_patch_schema)
