"""Metrics with prometheus-client: route templates as labels (never raw paths, /docs and
/openapi.json named), an access setting, and consistent scrapes across worker processes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.browser import free_port
from tests.conftest import Api, make_key


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
    db = tmp_path / "metrics.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMDESK_", "PROMETHEUS"))}
    env |= {"CLAIMDESK_DATABASE_URL": f"sqlite:///{db}", "CLAIMDESK_DELIVER_WEBHOOKS": "false"}
    entry = [sys.executable, "-c", "from app.cli import main; main()"]
    subprocess.run([*entry, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*entry, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # a loaded CI machine
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        for _ in range(40):  # new connections: both workers answer some
            assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
        scrapes = {_healthz_count(httpx.get(f"{base}/metrics", timeout=5).text) for _ in range(8)}
        assert scrapes == {40.0}
    finally:
        server.terminate()
        server.wait(timeout=30)
