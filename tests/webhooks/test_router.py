"""Webhooks: subscription, SSRF refusal, signed delivery, retries with backoff, at-least-once."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from app.types import utcnow
from app.webhooks.service import backoff, deliver_due
from tests.conftest import FakeDNS
from tests.factories import Api, new_claim, new_incident, new_source
from tests.servers import Receiver


def test_private_and_plain_http_urls_are_refused(admin: Api) -> None:
    for url in (
        "https://127.0.0.1/hook",
        "https://10.0.0.5/hook",
        "https://169.254.169.254/x",
        "https://[::1]/hook",
        "http://93.184.216.34/hook",
        "https://localhost/hook",
    ):
        r = admin.post("/v1/webhooks", json={"url": url})
        assert r.status_code == 422, url
        assert r.json()["errors"][0]["pointer"] == "/url"
    r = admin.post(
        "/v1/webhooks", json={"url": "https://93.184.216.34/hook", "events": ["claim.created"]}
    )
    assert r.status_code == 201
    assert r.json()["secret"].startswith("whsec_")
    listed = admin.get("/v1/webhooks").json()["items"]
    assert "secret" not in listed[0]
    assert (
        admin.post(
            "/v1/webhooks", json={"url": "https://93.184.216.34/", "events": ["claim.exploded"]}
        ).status_code
        == 422
    )


def test_signed_delivery_at_least_once(admin: Api, editor: Api, receiver: Receiver) -> None:
    secret = "s3cret-for-the-newsroom-cms"
    hook = admin.post(
        "/v1/webhooks",
        json={
            "url": receiver.url,
            "events": ["claim.created", "incident.contested"],
            "secret": secret,
        },
    ).json()
    inc = new_incident(editor)
    src = new_source(editor)
    claim = new_claim(editor, inc["id"], src["id"])
    assert receiver.requests == []  # written with the claim, sent by a worker
    assert deliver_due() == 1
    (request,) = receiver.requests
    body = request["body"]
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert request["headers"]["X-Claimdesk-Signature"] == expected
    assert request["headers"]["X-Claimdesk-Event"] == "claim.created"
    event = json.loads(body)
    assert event["type"] == "claim.created" and event["payload"]["id"] == claim["id"]
    assert request["headers"]["X-Claimdesk-Event-Id"] == str(event["id"])
    deliveries = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in deliveries] == [
        ("delivered", 1, 200)
    ]
    assert deliver_due() == 0  # nothing twice


def test_receiver_down_means_retry_with_backoff(
    admin: Api, editor: Api, receiver: Receiver
) -> None:
    hook = admin.post(
        "/v1/webhooks", json={"url": receiver.url, "events": ["incident.created"]}
    ).json()
    receiver.codes = [500, 503]
    new_incident(editor)
    assert deliver_due() == 0
    (d,) = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert (d["status"], d["attempts"], d["last_status_code"], d["last_error"]) == (
        "pending",
        1,
        500,
        "HTTP 500",
    )
    assert deliver_due() == 0  # not due yet: backing off
    later = utcnow() + timedelta(seconds=11)
    assert deliver_due(now=later) == 0  # 503
    assert deliver_due(now=later + timedelta(seconds=21)) == 1
    (d,) = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert (d["status"], d["attempts"]) == ("delivered", 3)
    ids = {json.loads(r["body"])["id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1  # the same event id every time


def test_unreachable_receiver_and_manual_retry(admin: Api, editor: Api, receiver: Receiver) -> None:
    hook = admin.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/closed", "events": []}
    ).json()
    new_incident(editor)
    assert deliver_due() == 0
    (d,) = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert d["status"] == "pending" and d["last_error"].startswith("ConnectError")
    admin.patch(f"/v1/webhooks/{hook['id']}", json={"url": receiver.url})
    r = admin.post(f"/v1/webhooks/{hook['id']}/deliveries/{d['id']}/retry")
    assert r.status_code == 200
    assert deliver_due() == 1
    paused = admin.patch(f"/v1/webhooks/{hook['id']}", json={"active": False}).json()
    assert paused["active"] is False
    new_incident(editor, title="while paused")
    assert deliver_due() == 0
    assert (
        admin.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"status": "pending"}).json()[
            "items"
        ]
        == []
    )
    assert admin.delete(f"/v1/webhooks/{hook['id']}").status_code == 204
    assert admin.get(f"/v1/webhooks/{hook['id']}").status_code == 404


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert backoff(30) == timedelta(hours=1)


def test_in_process_delivery_loop(admin: Api, editor: Api, receiver: Receiver) -> None:
    import time

    from app.webhooks.service import DeliveryLoop

    admin.post("/v1/webhooks", json={"url": receiver.url, "events": ["incident.created"]})
    loop = DeliveryLoop(interval=0.05)
    loop.start()
    try:
        new_incident(editor)
        deadline = time.monotonic() + 10
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        loop.stop()
    assert len(receiver.requests) == 1
    assert not loop.thread.is_alive()


def test_paused_webhook_does_not_send_what_was_already_queued(
    admin: Api, editor: Api, receiver: Receiver
) -> None:
    """Break: ``active`` ignored at delivery time. Deliveries queued while the webhook was
    active are held while it is paused (not sent), and go out once it is resumed."""
    hook = admin.post(
        "/v1/webhooks", json={"url": receiver.url, "events": ["incident.created"]}
    ).json()
    new_incident(editor)
    (queued,) = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert queued["status"] == "pending"
    r = admin.patch(f"/v1/webhooks/{hook['id']}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert deliver_due() == 0
    assert deliver_due(now=utcnow() + timedelta(minutes=5)) == 0
    assert receiver.requests == []
    (held,) = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert held["id"] == queued["id"] and held["status"] != "delivered"
    assert held["delivered_at"] is None
    admin.patch(f"/v1/webhooks/{hook['id']}", json={"active": True})
    assert deliver_due(now=utcnow() + timedelta(hours=2)) == 1
    assert len(receiver.requests) == 1
    (sent,) = admin.get(f"/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert sent["status"] == "delivered"


def test_ssrf_is_checked_again_at_delivery_time(
    admin: Api, editor: Api, settings_env: pytest.MonkeyPatch
) -> None:
    """Break: the URL check at delivery removed. The host resolved to a public address when
    the webhook was saved; by delivery time its DNS points into the private network, and
    nothing may be sent there."""
    import httpx

    settings_env.delenv("CLAIMDESK_ALLOW_PRIVATE_URLS", raising=False)
    dns = FakeDNS(settings_env)
    dns.table["hooks.newsroom.test"] = "93.184.216.34"
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(200)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    hook = admin.post(
        "/v1/webhooks",
        json={"url": "https://hooks.newsroom.test/claimdesk", "events": ["incident.created"]},
    )
    assert hook.status_code == 201, hook.text
    hook_id = hook.json()["id"]
    new_incident(editor, title="while public")
    assert deliver_due(client) == 1
    assert sent == ["https://hooks.newsroom.test/claimdesk"]

    for private in ("10.0.0.7", "127.0.0.1", "169.254.169.254", "::1"):
        dns.table["hooks.newsroom.test"] = private
        new_incident(editor, title=f"after the DNS moved to {private}")
        assert deliver_due(client) == 0, private
        assert len(sent) == 1, private
    pending = admin.get(f"/v1/webhooks/{hook_id}/deliveries", params={"status": "pending"}).json()[
        "items"
    ]
    assert len(pending) == 4
    assert all(d["last_error"] for d in pending)
    assert all(d["last_status_code"] is None for d in pending)


def test_refusal_names_the_address_and_how_the_operator_allows_it(
    admin: Api, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.delenv("CLAIMDESK_ALLOW_PRIVATE_URLS", raising=False)
    dns = FakeDNS(settings_env)
    dns.table["intranet.example.test"] = "10.0.0.7"
    r = admin.post("/v1/webhooks", json={"url": "https://intranet.example.test/hook"})
    assert r.status_code == 422
    (error,) = r.json()["errors"]
    assert error["pointer"] == "/url"
    assert error["detail"] == (
        "intranet.example.test resolves to 10.0.0.7, which is not a public internet address "
        "(the operator may allow it with CLAIMDESK_ALLOW_PRIVATE_URLS=true)"
    )
    r = admin.post("/v1/webhooks", json={"url": "http://93.184.216.34/hook"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["detail"] == "must be an https URL"
    r = admin.post("/v1/webhooks", json={"url": "https://nowhere.example.test/hook"})
    assert r.status_code == 422
    assert "'nowhere.example.test' cannot be resolved" in r.json()["errors"][0]["detail"]
    assert admin.get("/v1/webhooks").json()["items"] == []
