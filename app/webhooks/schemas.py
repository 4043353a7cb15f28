from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.events.schemas import EventType
from app.validation import Flag, HttpUrlStr, NotNull, Patch

Secret = Annotated[str, StringConstraints(min_length=16, max_length=200)]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://cms.example.org/hooks/claimdesk",
                    "events": ["incident.contested", "attribution.changed"],
                }
            ]
        },
    )

    url: HttpUrlStr = Field(description="HTTPS endpoint; private addresses are refused")
    events: Annotated[list[EventType], Field(max_length=20)] = Field(
        default_factory=list, description="Event types to deliver; empty means all"
    )
    description: str | None = Field(default=None, max_length=1000)
    secret: Secret | None = Field(
        default=None, description="HMAC secret; generated (and shown once) when omitted"
    )
    active: Flag = True


class WebhookUpdate(Patch):
    url: Annotated[HttpUrlStr | None, NotNull()] = None
    events: Annotated[Annotated[list[EventType], Field(max_length=20)] | None, NotNull()] = None
    description: str | None = Field(default=None, max_length=1000)
    active: Annotated[Flag | None, NotNull()] = None


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    events: list[str]
    description: str | None
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int


class WebhookWithSecret(WebhookPublic):
    secret: str = Field(
        description="Verify each delivery with any Standard Webhooks library "
        "(webhook-id, webhook-timestamp, webhook-signature headers), e.g. Python's "
        "`standardwebhooks.Webhook(secret).verify(body, headers)`; or check "
        "X-Claimdesk-Signature = sha256=HMAC-SHA256(secret, raw body), hex. Shown once."
    )


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    webhook_id: str
    event_id: int
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
