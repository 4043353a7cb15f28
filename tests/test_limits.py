"""Body size limits (413), rate limits (429), and the headers every response carries."""

from __future__ import annotations

from collections.abc import Iterator

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient

from app.config import get_settings
from app.limits import LIMITER
from tests.conftest import row_counts
from tests.factories import Api, make_key

SOURCE = {"name": "Press TV", "kind": "outlet", "country": "IR"}
NDJSON = {"Content-Type": "application/x-ndjson"}


def _problem(r: httpx.Response, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = r.json()
    assert body["status"] == status
    return body


def _import_lines(n: int, pad: int = 0) -> bytes:
    return b"".join(
        b'{"type": "source", "external_id": "s%d", "name": "Source %d %s", "kind": "outlet"}\n'
        % (i, i, b"x" * pad)
        for i in range(n)
    )


def test_bodies_over_the_limit_are_413(
    settings_env: pytest.MonkeyPatch, app_client: TestClient
) -> None:
    settings_env.setenv("CLAIMDESK_MAX_BODY_BYTES", "4096")
    settings_env.setenv("CLAIMDESK_MAX_IMPORT_BYTES", "200000")
    get_settings.cache_clear()
    editor = Api(app_client, make_key("editor"))
    big = SOURCE | {"notes": "x" * 5000}
    problem = _problem(editor.post("/v1/sources", json=big), 413)
    assert "4096" in str(problem["detail"])
    _problem(editor.post("/v1/sources", json=big, headers={"Idempotency-Key": "big"}), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"name": "Press TV", "kind": "outlet", "notes": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    r = editor.client.post(
        "/v1/sources",
        content=chunks(),
        headers=editor.headers({"Content-Type": "application/json"}),
    )
    _problem(r, 413)
    assert editor.post("/v1/sources", json=SOURCE).status_code == 201  # under the limit
    # the import has its own, larger limit
    body = _import_lines(100, pad=250)
    assert 4096 < len(body) < 200000
    r = editor.client.post("/v1/import", content=body, headers=editor.headers(NDJSON))
    assert r.status_code == 200, r.text
    r = editor.client.post(
        "/v1/import", content=_import_lines(800, pad=250), headers=editor.headers(NDJSON)
    )
    assert "CLAIMDESK_MAX_IMPORT_BYTES" in str(_problem(r, 413)["detail"])
    assert row_counts()["source"] == 101
    assert row_counts()["idempotency_key"] == 0


def test_idempotency_reads_no_body_before_authentication() -> None:
    """An anonymous or wrong-key POST with Idempotency-Key is passed on unread: the app
    answers 401 without the middleware buffering (or storing) anything."""
    from app.idempotency.middleware import IdempotencyMiddleware

    received: list[object] = []
    answered: list[int] = []

    async def app(scope: object, receive: object, send: object) -> None:
        answered.append(401)

    async def receive() -> dict[str, object]:
        received.append(1)
        return {"type": "http.request", "body": b"x" * 1_000_000, "more_body": True}

    async def send(message: object) -> None:
        pass

    for auth in ([], [(b"authorization", b"Bearer cdk_wrong")]):
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/v1/import",
            "query_string": b"",
            "headers": [(b"idempotency-key", b"k"), *auth],
        }
        anyio.run(IdempotencyMiddleware(app), scope, receive, send)
    assert answered == [401, 401]
    assert received == []


@pytest.fixture
def limited(settings_env: pytest.MonkeyPatch) -> Iterator[None]:
    settings_env.setenv("CLAIMDESK_RATE_LIMIT", "true")
    settings_env.setenv("CLAIMDESK_RATE_LIMIT_FAILED_AUTH", "5")
    settings_env.setenv("CLAIMDESK_RATE_LIMIT_PER_KEY", "10")
    get_settings.cache_clear()
    LIMITER.reset()
    yield
    LIMITER.reset()


def test_failed_authentications_are_limited_per_address(
    limited: None, app_client: TestClient
) -> None:
    good = Api(app_client, make_key("viewer"))
    wrong = Api(app_client, "cdk_wrong")
    for _ in range(5):
        _problem(wrong.get("/v1/sources"), 401)
    problem = _problem(wrong.get("/v1/sources"), 429)
    assert "failed authentications" in str(problem["detail"])
    r = good.get("/v1/sources")  # the address is refused until its budget refills
    _problem(r, 429)
    assert 1 <= int(r.headers["retry-after"]) <= 60
    _problem(wrong.post("/v1/sources", json=SOURCE, headers={"Idempotency-Key": "x"}), 429)


def test_each_key_has_a_request_rate(limited: None, app_client: TestClient) -> None:
    busy = Api(app_client, make_key("editor"))
    other = Api(app_client, make_key("viewer"))
    for _ in range(10):
        assert busy.get("/v1/sources").status_code == 200
    r = busy.get("/v1/sources")
    assert "request rate" in str(_problem(r, 429)["detail"])
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert other.get("/v1/sources").status_code == 200  # per key


def test_the_off_switch(settings_env: pytest.MonkeyPatch, app_client: TestClient) -> None:
    settings_env.setenv("CLAIMDESK_RATE_LIMIT", "false")
    settings_env.setenv("CLAIMDESK_RATE_LIMIT_FAILED_AUTH", "1")
    get_settings.cache_clear()
    wrong = Api(app_client, "cdk_wrong")
    assert [wrong.get("/v1/sources").status_code for _ in range(5)] == [401] * 5


def test_security_headers(viewer: Api, anonymous: Api) -> None:
    r = viewer.get("/v1/sources")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert "server" not in r.headers
    missing = viewer.get("/v1/sources/nope")
    assert missing.headers["x-content-type-options"] == "nosniff"
    assert missing.headers["cache-control"] == "no-store"
    health = anonymous.get("/healthz")
    assert health.headers["x-content-type-options"] == "nosniff"
    assert "cache-control" not in health.headers
