"""The enumerations of the domain, exactly as SPEC.md names them."""

from __future__ import annotations

from enum import StrEnum

from app.confidence.values import Bound

__all__ = [
    "ActorKind",
    "Bound",
    "ClaimStatus",
    "LinkKind",
    "LocationPrecision",
    "Role",
    "SourceKind",
    "Stance",
    "TimePrecision",
    "TopicKind",
]


class SourceKind(StrEnum):
    outlet = "outlet"
    official = "official"
    agency = "agency"
    organisation = "organisation"
    person = "person"
    social_account = "social_account"


class ActorKind(StrEnum):
    state = "state"
    armed_group = "armed_group"
    organisation = "organisation"
    person = "person"


class TopicKind(StrEnum):
    quantity = "quantity"
    category = "category"
    actor = "actor"
    statement = "statement"


class TimePrecision(StrEnum):
    minute = "minute"
    hour = "hour"
    time_of_day = "time_of_day"
    day = "day"
    week = "week"
    month = "month"
    year = "year"


class LocationPrecision(StrEnum):
    exact = "exact"
    site = "site"
    locality = "locality"
    region = "region"
    country = "country"


class Stance(StrEnum):
    asserts = "asserts"
    denies = "denies"


class ClaimStatus(StrEnum):
    active = "active"
    retracted = "retracted"
    superseded = "superseded"


class LinkKind(StrEnum):
    original = "original"
    archive = "archive"
    screenshot = "screenshot"
    mirror = "mirror"
    related = "related"


class Role(StrEnum):
    viewer = "viewer"
    editor = "editor"
    admin = "admin"

    @property
    def rank(self) -> int:
        return {"viewer": 1, "editor": 2, "admin": 3}[self.value]
