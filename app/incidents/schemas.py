from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict
from pydantic.config import JsonDict

from app.enums import LocationPrecision, TimePrecision
from app.validation import (
    CountryCode,
    ExternalId,
    Instant,
    NotNull,
    Patch,
    Tags,
    Text500,
    TimeZoneName,
)

_EXAMPLE: JsonDict = {
    "title": "Rocket attack on Camp Taji",
    "summary": "More than 15 small rockets hit Camp Taji, north of Baghdad.",
    "occurred_earliest": "2020-03-11T16:35:00Z",
    "occurred_latest": "2020-03-11T16:35:59Z",
    "time_precision": "minute",
    "timezone": "Asia/Baghdad",
    "local_time_text": "7:35 p.m. Iraq time",
    "place_name": "Camp Taji, north of Baghdad",
    "latitude": 33.53,
    "longitude": 44.26,
    "location_precision": "site",
    "country": "IQ",
    "tags": ["iraq", "rocket-attack"],
}


class _IncidentFields(BaseModel):
    summary: str | None = Field(default=None, max_length=20_000)
    occurred_earliest: Instant | None = Field(
        default=None, description="UTC instant: the earliest the incident can have happened"
    )
    occurred_latest: Instant | None = Field(
        default=None, description="UTC instant: the latest the incident can have happened"
    )
    timezone: TimeZoneName | None = None
    local_time_text: str | None = Field(default=None, max_length=200)
    place_name: str | None = Field(default=None, max_length=300)
    latitude: Annotated[float, Strict(), Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Strict(), Field(ge=-180, le=180)] | None = None
    location_precision: LocationPrecision | None = None
    country: CountryCode | None = None
    external_id: ExternalId | None = None


class IncidentCreate(_IncidentFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    title: Text500
    time_precision: TimePrecision = TimePrecision.day
    tags: Tags = Field(default_factory=list)


class IncidentUpdate(_IncidentFields, Patch):
    title: Annotated[Text500 | None, NotNull()] = None
    time_precision: Annotated[TimePrecision | None, NotNull()] = None
    tags: Annotated[Tags | None, NotNull()] = None


class IncidentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    title: str
    summary: str | None
    occurred_earliest: datetime | None
    occurred_latest: datetime | None
    time_precision: TimePrecision
    timezone: str | None
    local_time_text: str | None
    place_name: str | None
    latitude: float | None
    longitude: float | None
    location_precision: LocationPrecision | None
    country: str | None
    tags: list[str]
    contested: bool = Field(description="Some topic has conflicting active claims")
    claim_count: int = Field(description="Claims recorded about the incident (all statuses)")
    source_count: int = Field(description="Distinct sources with a claim about the incident")
    leading_actor_id: str | None = Field(
        description="The most probable responsible actor (see /attributions); null if none"
    )
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    version: int
