from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.enums import ActorKind
from app.fuzzy import NameMatch, possible_duplicates_field
from app.validation import (
    Aliases,
    CountryCode,
    ExternalId,
    Identifier,
    NotNull,
    Patch,
    Text300,
)

_EXAMPLE: JsonDict = {
    "name": "Kataib Hezbollah",
    "kind": "armed_group",
    "aliases": ["Kata'ib Hizballah", "KH"],
    "country": "IQ",
}


class ActorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    name: Text300
    kind: ActorKind
    aliases: Aliases = Field(default_factory=list)
    parent_id: Identifier | None = Field(
        default=None, description="e.g. a militia within a coalition of militias"
    )
    country: CountryCode | None = None
    external_id: ExternalId | None = None


class ActorUpdate(Patch):
    name: Annotated[Text300 | None, NotNull()] = None
    kind: Annotated[ActorKind | None, NotNull()] = None
    aliases: Annotated[Aliases | None, NotNull()] = None
    parent_id: Identifier | None = None
    country: CountryCode | None = None
    external_id: ExternalId | None = None


class ActorPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    kind: ActorKind
    aliases: list[str]
    parent_id: str | None
    country: str | None
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class ActorCreated(ActorPublic):
    possible_duplicates: list[NameMatch] = possible_duplicates_field("actors")
