from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from app.base import created_field, enum_check, id_field
from app.enums import Role
from app.types import UTCDateTime


class ApiKey(SQLModel, table=True):
    """A credential with a role. Only the SHA-256 of the secret is stored."""

    __tablename__ = "api_key"
    __table_args__ = (enum_check("role", Role, "role"),)

    id: str = id_field()
    name: str = Field(sa_column=Column(String(200), nullable=False))
    role: str = Field(sa_column=Column(String(16), nullable=False))
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    prefix: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = created_field()
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
