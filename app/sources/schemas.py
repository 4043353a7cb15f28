from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.enums import SourceKind
from app.fuzzy import NameMatch, possible_duplicates_field
from app.validation import (
    Aliases,
    CountryCode,
    ExternalId,
    Flag,
    Fraction,
    HttpUrlStr,
    Identifier,
    NotNull,
    Patch,
    Text300,
)

_EXAMPLE: JsonDict = {
    "name": "Press TV",
    "kind": "outlet",
    "homepage_url": "https://www.presstv.ir/",
    "country": "IR",
    "affiliation": "Iranian state media",
    "aliases": ["PressTV"],
    "reliability_prior": 0.5,
}


class SourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    name: Text300
    kind: SourceKind
    homepage_url: HttpUrlStr | None = None
    country: CountryCode | None = None
    affiliation: str | None = Field(default=None, max_length=1000)
    parent_id: Identifier | None = Field(
        default=None, description="The organisation a spokesperson belongs to"
    )
    aliases: Aliases = Field(default_factory=list)
    independent_voice: Flag = Field(
        default=False,
        description="Count this source as its own voice even though it has a parent "
        "(by default a spokesperson and their organisation are one voice)",
    )
    reliability_prior: Fraction = 0.5
    external_id: ExternalId | None = None


class SourceUpdate(Patch):
    name: Annotated[Text300 | None, NotNull()] = None
    kind: Annotated[SourceKind | None, NotNull()] = None
    homepage_url: HttpUrlStr | None = None
    country: CountryCode | None = None
    affiliation: str | None = Field(default=None, max_length=1000)
    parent_id: Identifier | None = None
    aliases: Annotated[Aliases | None, NotNull()] = None
    independent_voice: Annotated[Flag | None, NotNull()] = None
    reliability_prior: Annotated[Fraction | None, NotNull()] = None
    external_id: ExternalId | None = None


class SourcePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: SourceKind
    homepage_url: str | None
    country: str | None
    affiliation: str | None
    parent_id: str | None
    aliases: list[str]
    independent_voice: bool
    reliability_prior: float
    reliability: float | None = Field(
        description="Learned by truth discovery (`claimdesk reliability recompute`); "
        "null until first computed"
    )
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class SourceCreated(SourcePublic):
    possible_duplicates: list[NameMatch] = possible_duplicates_field("sources")
