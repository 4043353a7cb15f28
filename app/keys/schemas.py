from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.enums import Role
from app.validation import Text300


class KeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"name": "cms-plugin", "role": "editor"}]}
    )

    name: Text300
    role: Role


class KeyPublic(BaseModel):
    """An API key as listed: never the secret."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    role: Role
    prefix: str = Field(description="The first characters of the key, to recognise it")
    created_at: datetime
    last_used_at: datetime | None = Field(description="Updated at most once a minute")
    revoked_at: datetime | None


class KeyWithSecret(KeyPublic):
    key: str | None = Field(
        description="The secret: shown once, store it now. `null` when the response is an "
        "Idempotency-Key replay (`Idempotent-Replayed: true`): the secret is never stored, so "
        "rotate the key if the first response was lost"
    )


class Whoami(BaseModel):
    """The key making the request: what a client needs to decide which controls to show."""

    key_id: str | None = Field(description="null for anonymous reads")
    name: str
    role: Role
