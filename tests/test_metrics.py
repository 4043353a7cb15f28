"""Metrics with prometheus-client: route templates as labels (never raw paths, /docs and
/openapi.json named), an access setting, and consistent scrapes across worker processes."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.factories import Api, make_key
from tests.servers import claimdesk_serve


def test_routes_are_labelled_by_template(viewer: Api) -> None:
    viewer.get("/v1/topics")
    viewer.get("/v1/claims/01ARZ3NDEKTSV4RRFFQ69G5FAV")
    viewer.client.get("/docs")
    viewer.client.get("/openapi.json")
    viewer.client.get("/docs-assets/swagger-ui.css")
    viewer.client.get("/no/such/path")
    r = viewer.client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'claimdesk_requests_total{method="GET",route="/v1/topics",status="200"}' in text
    assert 'route="/v1/claims/{claim_id}",status="404"' in text
    assert 'route="/docs",status="200"' in text
    assert 'route="/openapi.json",status="200"' in text
    assert 'route="/docs-assets/{path}",status="200"' in text
    assert 'route="unmatched",status="404"' in text
    assert "01ARZ3NDEKTSV4RRFFQ69G5FAV" not in text
    assert 'claimdesk_request_seconds_bucket{le="0.005",route="/v1/topics"}' in text


@pytest.mark.parametrize("setting", ["key", "off"])
def test_metrics_access_setting(setting: str, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("CLAIMDESK_METRICS", setting)
    from app.config import get_settings
    from app.main import create_app

    get_settings.cache_clear()
    with TestClient(create_app()) as client:
        anonymous = client.get("/metrics")
        viewer = client.get("/metrics", headers={"Authorization": f"Bearer {make_key('viewer')}"})
        admin = client.get("/metrics", headers={"Authorization": f"Bearer {make_key('admin')}"})
    if setting == "off":
        assert anonymous.status_code == viewer.status_code == admin.status_code == 404
    else:
        assert anonymous.status_code == 401 and viewer.status_code == 403
        assert admin.status_code == 200 and "claimdesk_requests_total" in admin.text
    assert anonymous.headers["content-type"] == "application/problem+json"


def _healthz_count(text: str) -> float:
    found = re.search(
        r'^claimdesk_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)$',
        text,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0


def test_two_workers_give_the_same_totals_on_every_scrape(tmp_path: Path) -> None:
    """`claimdesk serve --workers 2`: whichever worker answers, a scrape counts both."""
    with claimdesk_serve(tmp_path, "--workers", "2", ready="/readyz") as served:
        for _ in range(40):  # new connections: both workers answer some
            assert httpx.get(f"{served.base}/healthz", timeout=5).status_code == 200
        scrapes = {
            _healthz_count(httpx.get(f"{served.base}/metrics", timeout=5).text) for _ in range(8)
        }
        assert scrapes == {40.0}
