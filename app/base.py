"""Shared table machinery: the constraint naming convention and common columns."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Integer, String
from sqlmodel import Field, SQLModel

from app.types import UTCDateTime, new_id, utcnow

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def id_field() -> str:
    return Field(default_factory=new_id, sa_column=Column(String(26), primary_key=True))  # type: ignore[no-any-return]


def created_field() -> datetime:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))  # type: ignore[no-any-return]


def updated_field() -> datetime:
    return Field(  # type: ignore[no-any-return]
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )


def version_field() -> int:
    return Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))  # type: ignore[no-any-return]


def enum_check(
    column: str, values: Iterable[StrEnum] | Iterable[str], name: str
) -> CheckConstraint:
    allowed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


def unit_interval_check(column: str, name: str, nullable: bool = False) -> CheckConstraint:
    cond = f"{column} >= 0 AND {column} <= 1"
    if nullable:
        cond = f"{column} IS NULL OR ({cond})"
    return CheckConstraint(cond, name=name)
