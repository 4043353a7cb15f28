from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Column, Float, Index, Integer, String, Text
from sqlmodel import Field, SQLModel

from app.base import created_field, enum_check, id_field, updated_field, version_field
from app.enums import LocationPrecision, TimePrecision
from app.types import JSONType, UTCDateTime


class Incident(SQLModel, table=True):
    """An event that claims are about."""

    __tablename__ = "incident"
    __table_args__ = (
        enum_check("time_precision", TimePrecision, "time_precision"),
        enum_check("location_precision", LocationPrecision, "location_precision"),
        CheckConstraint(
            "occurred_earliest IS NULL OR occurred_latest IS NULL "
            "OR occurred_earliest <= occurred_latest",
            name="occurred_order",
        ),
        CheckConstraint(
            "latitude IS NULL OR (latitude >= -90 AND latitude <= 90)", name="latitude"
        ),
        CheckConstraint(
            "longitude IS NULL OR (longitude >= -180 AND longitude <= 180)", name="longitude"
        ),
        CheckConstraint("(latitude IS NULL) = (longitude IS NULL)", name="lat_lon_pair"),
        Index("ix_incident_occurred_earliest", "occurred_earliest", "id"),
        Index("ix_incident_occurred_latest", "occurred_latest"),
        Index("ix_incident_country", "country"),
        Index("ix_incident_lat_lon", "latitude", "longitude"),
        Index("ix_incident_contested", "contested"),
    )

    id: str = id_field()
    title: str = Field(sa_column=Column(String(500), nullable=False))
    summary: str | None = Field(default=None, sa_column=Column(Text))
    occurred_earliest: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    occurred_latest: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    time_precision: str = Field(default="day", sa_column=Column(String(16), nullable=False))
    timezone: str | None = Field(default=None, sa_column=Column(String(64)))
    local_time_text: str | None = Field(default=None, sa_column=Column(String(200)))
    place_name: str | None = Field(default=None, sa_column=Column(String(300)))
    latitude: float | None = Field(default=None, sa_column=Column(Float))
    longitude: float | None = Field(default=None, sa_column=Column(Float))
    location_precision: str | None = Field(default=None, sa_column=Column(String(16)))
    country: str | None = Field(default=None, sa_column=Column(String(2)))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    contested: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default="0")
    )
    claim_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    source_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    leading_actor_id: str | None = Field(default=None, sa_column=Column(String(26)))
    external_id: str | None = Field(default=None, sa_column=Column(String(200), unique=True))
    created_at: datetime = created_field()
    updated_at: datetime = updated_field()
    version: int = version_field()

    @property
    def etag_token(self) -> str:
        return etag_token(self)


def etag_token(row: Any) -> str:
    """An incident's entity tag (without quotes): its version and the derived fields that
    claim writes change (an ``Incident`` or a row with those columns)."""
    return f"{row.version}.{row.claim_count}.{row.source_count}.{int(row.contested)}"
