"""Structured JSON logs: one request id on every line of a request, whoever logs it (our
loggers, uvicorn's, code running in the thread pool), and uvicorn's own lines as JSON."""

from __future__ import annotations

import json
import logging
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.servers import claimdesk_serve


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
    with claimdesk_serve(tmp_path, stderr=subprocess.PIPE) as served:
        pass
    lines = [json.loads(line) for line in served.stderr.splitlines() if line.strip()]  # all JSON
    loggers = {line["logger"] for line in lines}
    assert "uvicorn.error" in loggers and "claimdesk.access" in loggers
    assert any("Application startup complete" in line["message"] for line in lines)
