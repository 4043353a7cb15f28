"""Who is making a request or running a command: a principal with a role (no HTTP here, so
services and the CLI can name one without importing FastAPI)."""

from __future__ import annotations

from dataclasses import dataclass

from app.enums import Role


@dataclass(frozen=True)
class Principal:
    key_id: str | None
    name: str
    role: Role


ANONYMOUS = Principal(key_id=None, name="anonymous", role=Role.viewer)
OPERATOR = Principal(key_id=None, name="operator (claimdesk command)", role=Role.admin)
