"""CORS (origins from CLAIMDESK_CORS_ORIGINS, off by default) and gzip for large responses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.factories import Api, make_key, stored_incident, stored_source

ORIGIN = "https://cms.example.org"


@pytest.fixture
def cors_client(settings_env: pytest.MonkeyPatch) -> Iterator[TestClient]:
    settings_env.setenv("CLAIMDESK_CORS_ORIGINS", f"{ORIGIN}, https://desk.example.org")
    from app.config import get_settings
    from app.main import create_app

    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        yield client


def test_cors_is_off_by_default(app_client: TestClient) -> None:
    r = app_client.get("/healthz", headers={"Origin": ORIGIN})
    assert "access-control-allow-origin" not in r.headers
    pre = app_client.options(
        "/v1/sources", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in pre.headers


def test_cors_allows_the_configured_origins_only(cors_client: TestClient) -> None:
    key = make_key("viewer")
    pre = cors_client.options(
        "/v1/sources",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        },
    )
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == ORIGIN
    assert "idempotency-key" in pre.headers["access-control-allow-headers"].lower()
    r = cors_client.get("/v1/sources", headers={"Origin": ORIGIN, "Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ORIGIN
    assert "etag" in r.headers["access-control-expose-headers"].lower()
    other = cors_client.get(
        "/v1/sources", headers={"Origin": "https://evil.example", "Authorization": f"Bearer {key}"}
    )
    assert "access-control-allow-origin" not in other.headers


def test_a_bad_origin_setting_is_a_one_line_config_error(settings_env: pytest.MonkeyPatch) -> None:
    from app.config import ConfigError, get_settings

    settings_env.setenv("CLAIMDESK_CORS_ORIGINS", "cms.example.org/path")
    get_settings.cache_clear()
    with pytest.raises(ConfigError, match="CLAIMDESK_CORS_ORIGINS"):
        get_settings()


def test_large_responses_are_gzipped_small_ones_not(editor: Api) -> None:
    for i in range(40):
        stored_source(name=f"Outlet number {i}", external_id=f"s{i}")
    stored_incident()
    r = editor.get("/v1/sources", params={"limit": 100}, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert len(r.json()["items"]) == 40  # httpx decompresses transparently
    raw = editor.client.get(
        "/v1/sources",
        params={"limit": 100},
        headers={**editor.headers(), "Accept-Encoding": "gzip"},
    )
    assert int(raw.headers["content-length"]) < len(raw.content) / 3  # compressed on the wire
    small = editor.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
    plain = editor.get(
        "/v1/sources", params={"limit": 100}, headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    export = editor.get("/v1/export", headers={"Accept-Encoding": "gzip"})
    assert export.headers["content-encoding"] == "gzip"
    assert export.text.count("\n") >= 41
