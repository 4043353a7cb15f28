"""Deliveries follow Standard Webhooks: a receiver verifies them with the standardwebhooks
package (any secret), rejects replays by timestamp, and de-duplicates retries by webhook-id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook, WebhookVerificationError

from app.types import utcnow
from app.webhooks.service import deliver_due, signing_key, standard_headers
from tests.factories import Api, new_claim, new_incident, new_source
from tests.servers import Receiver


def _verify(secret: str, request: dict[str, Any]) -> dict[str, Any]:
    """The event a Standard Webhooks receiver reads from a recorded request (or raises)."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    event: dict[str, Any] = Webhook(secret).verify(request["body"], headers)
    return event


def test_generated_secret_verifies_with_the_standard_library(
    admin: Api, editor: Api, receiver: Receiver
) -> None:
    hook = admin.post(
        "/v1/webhooks", json={"url": receiver.url, "events": ["claim.created"]}
    ).json()
    secret = hook["secret"]
    assert secret.startswith("whsec_")
    receiver.codes = [500]  # first attempt fails: the retry carries the same webhook-id
    new_claim(editor, new_incident(editor)["id"], new_source(editor)["id"])
    assert deliver_due() == 0
    from app.db import session_scope
    from app.webhooks.models import WebhookDelivery

    with session_scope() as session:  # make the retry due now
        for d in session.scalars(select(WebhookDelivery)):
            d.next_attempt_at = utcnow() - timedelta(seconds=1)
    assert deliver_due() == 1
    first, retry = receiver.requests
    for request in (first, retry):
        event = _verify(secret, request)
        assert event["type"] == "claim.created"
    assert first["headers"]["webhook-id"] == retry["headers"]["webhook-id"]
    assert abs(int(retry["headers"]["webhook-timestamp"]) - utcnow().timestamp()) < 60
    # the older header is still sent
    assert retry["headers"]["X-Claimdesk-Signature"].startswith("sha256=")
    # a tampered body does not verify
    with pytest.raises(WebhookVerificationError):
        _verify(secret, {**retry, "body": retry["body"].replace(b"claim", b"clam")})


def test_operator_chosen_secret_and_replay_rejection(
    admin: Api, editor: Api, receiver: Receiver
) -> None:
    secret = "s3cret-for-the-newsroom-cms"
    admin.post(
        "/v1/webhooks", json={"url": receiver.url, "events": ["claim.created"], "secret": secret}
    )
    new_claim(editor, new_incident(editor)["id"], new_source(editor)["id"])
    assert deliver_due() == 1
    (request,) = receiver.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    # a secret the operator chose: its UTF-8 bytes are the key
    Webhook(secret.encode()).verify(request["body"], headers)
    # replayed ten minutes later, with a re-signed old timestamp: refused by the receiver
    old = standard_headers(
        secret, headers["webhook-id"], request["body"], utcnow() - timedelta(minutes=10)
    )
    with pytest.raises(WebhookVerificationError):
        Webhook(signing_key(secret)).verify(request["body"], old)
