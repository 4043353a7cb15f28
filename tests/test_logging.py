"""Structured JSON logs: one request id on every line of a request, whoever logs it (our
loggers, uvicorn's, code running in the thread pool), and uvicorn's own lines as JSON."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.browser import free_port


def test_every_line_of_a_request_carries_its_request_id(
    capfd: pytest.CaptureFixture[str],
) -> None:
    from app.main import create_app

    app = create_app()

    @app.get("/logs-test", include_in_schema=False)
    def noisy() -> dict[str, str]:  # a sync route: runs in the thread pool
        logging.getLogger("claimdesk.test").warning("from our code", extra={"step": 1})
        logging.getLogger("uvicorn.error").warning("from uvicorn's logger")
        return {"ok": "yes"}

    with TestClient(app) as client:
        capfd.readouterr()
        r = client.get("/logs-test", headers={"X-Request-ID": "req-42"})
        assert r.status_code == 200
        client.get("/healthz", headers={"X-Request-ID": "req-43"})
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.strip()]
    mine = [line for line in lines if line.get("request_id") == "req-42"]
    assert [(m["logger"], m["message"]) for m in mine] == [
        ("claimdesk.test", "from our code"),
        ("uvicorn.error", "from uvicorn's logger"),
        ("claimdesk.access", "request"),
    ]
    assert mine[0]["step"] == 1 and mine[0]["level"] == "warning"
    assert list(mine[0])[:4] == ["time", "level", "logger", "message"]
    assert [m["request_id"] for m in lines if m.get("path") == "/healthz"] == ["req-43"]


def test_serve_writes_only_json_lines_uvicorn_included(tmp_path: Path) -> None:
    db = tmp_path / "logs.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMDESK_", "PROMETHEUS"))}
    env |= {"CLAIMDESK_DATABASE_URL": f"sqlite:///{db}", "CLAIMDESK_DELIVER_WEBHOOKS": "false"}
    entry = [sys.executable, "-c", "from app.cli import main; main()"]
    subprocess.run([*entry, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [*entry, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 180  # a loaded CI machine
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]  # all JSON
    loggers = {line["logger"] for line in lines}
    assert "uvicorn.error" in loggers and "claimdesk.access" in loggers
    assert any("Application startup complete" in line["message"] for line in lines)
