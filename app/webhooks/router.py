from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from sqlmodel import Session

from app.auth import admin
from app.db import WriteSession, get_session
from app.errors import problem_responses
from app.pagination import Page, PageParams, page_params
from app.principal import Principal
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryPublic,
    WebhookCreate,
    WebhookPublic,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
READ = problem_responses(400, 401, 403, 404, 422, 500)
WRITE = problem_responses(400, 401, 403, 404, 409, 422, 500)


@router.post("", status_code=201, responses=WRITE)
def create_webhook(
    data: WebhookCreate,
    response: Response,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
) -> WebhookWithSecret:
    """Subscribe an HTTPS endpoint to event types. The signing secret is shown once."""
    hook = service.create_webhook(session, data)
    response.headers["Location"] = f"/v1/webhooks/{hook.id}"
    return WebhookWithSecret.model_validate(hook)


@router.get("", responses=READ)
def list_webhooks(
    principal: Annotated[Principal, Depends(admin)],
    session: Annotated[Session, Depends(get_session)],
    page: Annotated[PageParams, Depends(page_params)],
) -> Page[WebhookPublic]:
    """Webhooks (never their secrets)."""
    items, next_cursor, total = service.list_webhooks(session, page)
    return Page[WebhookPublic](
        items=[WebhookPublic.model_validate(w) for w in items], next_cursor=next_cursor, total=total
    )


@router.get("/{webhook_id}", responses=READ)
def get_webhook(
    webhook_id: str,
    principal: Annotated[Principal, Depends(admin)],
    session: Annotated[Session, Depends(get_session)],
) -> WebhookPublic:
    """One webhook."""
    return WebhookPublic.model_validate(service.get_webhook(session, webhook_id))


@router.patch("/{webhook_id}", responses=WRITE)
def update_webhook(
    webhook_id: str,
    data: WebhookUpdate,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
) -> WebhookPublic:
    """Change the URL, the event types, or pause it (`active: false`)."""
    hook = service.update_webhook(
        session, service.get_webhook(session, webhook_id, lock=True), data
    )
    return WebhookPublic.model_validate(hook)


@router.delete("/{webhook_id}", status_code=204, responses=WRITE)
def delete_webhook(
    webhook_id: str,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
) -> None:
    """Unsubscribe (pending deliveries are dropped; the change feed keeps every event)."""
    service.delete_webhook(session, service.get_webhook(session, webhook_id, lock=True))


@router.get("/{webhook_id}/deliveries", responses=READ)
def list_webhook_deliveries(
    webhook_id: str,
    principal: Annotated[Principal, Depends(admin)],
    session: Annotated[Session, Depends(get_session)],
    page: Annotated[PageParams, Depends(page_params)],
    status: Literal["pending", "delivered", "failed"] | None = None,
) -> Page[DeliveryPublic]:
    """Deliveries with their status, attempts, last answer and next attempt."""
    hook = service.get_webhook(session, webhook_id)
    items, next_cursor, total = service.list_deliveries(session, hook, status, page)
    return Page[DeliveryPublic](
        items=[DeliveryPublic.model_validate(d) for d in items],
        next_cursor=next_cursor,
        total=total,
    )


@router.post("/{webhook_id}/deliveries/{delivery_id}/retry", responses=WRITE)
def retry_webhook_delivery(
    webhook_id: str,
    delivery_id: str,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
) -> DeliveryPublic:
    """Send a delivery again as soon as possible (e.g. one that failed after every retry)."""
    hook = service.get_webhook(session, webhook_id)
    return DeliveryPublic.model_validate(service.retry_delivery(session, hook, delivery_id))
