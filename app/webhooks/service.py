"""Webhooks: every event is owed to every matching active webhook (a delivery row written in
the same transaction as the event), then pushed, signed with HMAC-SHA256 and retried with
exponential backoff until the receiver answers 2xx. Workers coordinate through the database:
a batch of due deliveries is leased (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's write
lock) so any number of API processes and ``claimdesk worker``s can deliver safely."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import orjson
from sqlalchemy import select, update
from sqlmodel import Session, col
from standardwebhooks import Webhook as StandardWebhook

from app.config import get_settings, mask_url
from app.db import session_scope
from app.errors import invalid
from app.events.models import Event
from app.pagination import PageParams, paginate
from app.repository.base import apply_changes, flush_or_conflict, get_or_404
from app.types import utcnow
from app.urls import UnsafeURL, check_url, safe_client
from app.webhooks.models import Webhook, WebhookDelivery
from app.webhooks.schemas import WebhookCreate, WebhookUpdate

log = logging.getLogger("claimdesk.webhooks")

LEASE = timedelta(minutes=2)
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_MAX = timedelta(hours=1)
MAX_ATTEMPTS = 25  # about 18 hours of retries, then "failed" (an admin can retry it)
#: The name of the in-process delivery thread.
DELIVERY_THREAD = "claimdesk-webhooks"
TIMEOUT_SECONDS = 10.0
BATCH = 20


# --- management ---------------------------------------------------------------------------


def _safe(url: str, pointer: str = "/url") -> None:
    try:
        check_url(url, get_settings().allow_private_urls)
    except UnsafeURL as exc:
        raise invalid(pointer, str(exc)) from exc


def create_webhook(session: Session, data: WebhookCreate) -> Webhook:
    _safe(data.url)
    hook = Webhook(
        url=data.url,
        events=list(data.events),
        description=data.description,
        secret=data.secret or new_secret(),
        active=data.active,
    )
    session.add(hook)
    session.flush()
    return hook


def get_webhook(session: Session, webhook_id: str, lock: bool = False) -> Webhook:
    return get_or_404(session, Webhook, webhook_id, "webhook", lock=lock)


def list_webhooks(
    session: Session, page: PageParams
) -> tuple[list[Webhook], str | None, int | None]:
    return paginate(session, select(Webhook), [col(Webhook.id)], page, lambda w: (w.id,), (str,))


def update_webhook(session: Session, hook: Webhook, data: WebhookUpdate) -> Webhook:
    changes = data.model_dump(exclude_unset=True)
    if "url" in changes:
        _safe(changes["url"])
    apply_changes(hook, changes)
    flush_or_conflict(session)
    return hook


def delete_webhook(session: Session, hook: Webhook) -> None:
    session.delete(hook)  # deliveries cascade
    session.flush()


def list_deliveries(
    session: Session, hook: Webhook, status: str | None, page: PageParams
) -> tuple[list[WebhookDelivery], str | None, int | None]:
    stmt = select(WebhookDelivery).where(col(WebhookDelivery.webhook_id) == hook.id)
    if status:
        stmt = stmt.where(col(WebhookDelivery.status) == status)
    return paginate(session, stmt, [col(WebhookDelivery.id)], page, lambda d: (d.id,), (str,))


def retry_delivery(session: Session, hook: Webhook, delivery_id: str) -> WebhookDelivery:
    delivery = get_or_404(session, WebhookDelivery, delivery_id, "delivery", lock=True)
    if delivery.webhook_id != hook.id:
        raise invalid("/delivery_id", "the delivery belongs to another webhook")
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    session.flush()
    return delivery


# --- delivery -----------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    """``X-Claimdesk-Signature``: sha256=hex HMAC-SHA256 of the raw body with the secret's
    UTF-8 bytes as the key (kept for receivers written before Standard Webhooks)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def signing_key(secret: str) -> bytes:
    """The Standard Webhooks HMAC key: the base64 after ``whsec_`` for a generated (standard)
    secret, else the secret's UTF-8 bytes (for one an operator chose)."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except ValueError:
            pass
    return secret.encode()


def standard_headers(secret: str, message_id: str, body: bytes, now: datetime) -> dict[str, str]:
    """``webhook-id`` (the same on every retry, for de-duplication), ``webhook-timestamp``
    (seconds, so receivers can reject replays) and ``webhook-signature`` (``v1,`` + base64
    HMAC-SHA256 of ``id.timestamp.body``), as the standardwebhooks package computes them."""
    signature = StandardWebhook(signing_key(secret)).sign(message_id, now, body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def event_body(event: Event) -> bytes:
    return orjson.dumps(
        {
            "id": event.id,
            "type": event.type,
            "at": event.at.isoformat().replace("+00:00", "Z"),
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "incident_id": event.incident_id,
            "payload": event.payload,
        }
    )


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s, … capped at one hour."""
    delay: timedelta = BACKOFF_BASE * (2 ** max(0, attempts - 1))
    return min(delay, BACKOFF_MAX)


def _lease(now: datetime) -> list[str]:
    """Take a batch of due deliveries so no other worker sends them at the same time."""
    with session_scope() as session:
        stmt = (
            select(WebhookDelivery)
            .where(
                col(WebhookDelivery.status) == "pending",
                col(WebhookDelivery.next_attempt_at) <= now,
            )
            .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
            .limit(BATCH)
        )
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        due = list(session.execute(stmt).scalars())
        ids = [d.id for d in due]
        if ids:
            session.execute(
                update(WebhookDelivery)
                .where(col(WebhookDelivery.id).in_(ids))
                .values(next_attempt_at=now + LEASE)
            )
        return ids


def _attempt(client: httpx.Client, delivery_id: str) -> bool:
    with session_scope(write=False) as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "pending":
            return False
        hook = session.get(Webhook, delivery.webhook_id)
        event = session.get(Event, delivery.event_id)
        if hook is None or event is None:
            return False
        url, secret, active = hook.url, hook.secret, hook.active
        body = event_body(event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Claimdesk-Webhooks/1",
            "X-Claimdesk-Event": event.type,
            "X-Claimdesk-Event-Id": str(event.id),
            "X-Claimdesk-Delivery": delivery.id,
            "X-Claimdesk-Signature": sign(secret, body),
            **standard_headers(secret, delivery.id, body, utcnow()),
        }
    status: int | None = None
    error: str | None = None
    if not active:
        error = "webhook inactive"
    else:
        try:
            check_url(url, get_settings().allow_private_urls)
            response = client.post(url, content=body, headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except UnsafeURL as exc:
            error = f"refused: {exc}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
    now = utcnow()
    with session_scope() as session:
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None:
            return False
        delivery.attempts += 1
        delivery.last_status_code = status
        delivery.last_error = error
        if error is None:
            delivery.status = "delivered"
            delivery.delivered_at = now
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
    if error is not None:
        log.warning(
            "webhook delivery failed", extra={"delivery": delivery_id, "error": mask_url(error)}
        )
    return error is None


def deliver_due(client: httpx.Client | None = None, now: datetime | None = None) -> int:
    """Send every delivery that is due now; returns how many were delivered."""
    own = client is None
    client = client or safe_client(TIMEOUT_SECONDS, get_settings().allow_private_urls)
    delivered = 0
    try:
        while True:
            ids = _lease(now or utcnow())
            if not ids:
                return delivered
            delivered += sum(_attempt(client, i) for i in ids)
            if now is not None:
                return delivered  # a fixed clock: one pass (tests)
    finally:
        if own:
            client.close()


class DeliveryLoop:
    """Delivers in a background thread (in-process delivery of ``claimdesk serve``)."""

    def __init__(self, interval: float = 2.0, heartbeat: Path | None = None) -> None:
        self.interval = interval
        self.heartbeat = heartbeat  # touched after every successful pass (worker healthcheck)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name=DELIVERY_THREAD, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def run(self) -> None:
        with safe_client(TIMEOUT_SECONDS, get_settings().allow_private_urls) as client:
            while not self.stopping.is_set():
                try:
                    deliver_due(client)
                    if self.heartbeat is not None:
                        self.heartbeat.touch()
                except Exception:  # keep delivering after a transient database error
                    log.exception("webhook delivery loop error")
                self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=TIMEOUT_SECONDS + 5)
