"""Operators' parts: reproducible Docker builds (pinned digests, constraints, .dockerignore,
multi-stage), migrations run once, a worker healthcheck, forwarded_allow_ips from a setting."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.conftest import TEST_URL, is_postgres

ROOT = Path(__file__).resolve().parents[2]
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}\b")
runner = CliRunner()


def test_dockerfile_is_multi_stage_pinned_and_constrained() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    froms = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(froms) >= 2  # build and runtime stages
    base = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", dockerfile, re.MULTILINE)
    assert base and DIGEST.search(base.group(1))
    assert all("${PYTHON_IMAGE}" in line for line in froms)
    assert "--constraint constraints.txt" in dockerfile
    assert "USER claimdesk" in dockerfile


def test_compose_pins_images_and_migrates_once() -> None:
    compose = (ROOT / "compose.yaml").read_text()
    images = re.findall(r"^\s+image:\s*(\S+)", compose, re.MULTILINE)
    assert images and all(DIGEST.search(i) for i in images)
    migrate = compose.split("\n  migrate:\n")[1].split("\n  app:\n")[0]
    assert '["claimdesk", "db", "upgrade"]' in migrate and 'restart: "no"' in migrate
    app = compose.split("\n  app:\n")[1].split("\n  worker:\n")[0]
    assert "condition: service_completed_successfully" in app
    assert "db upgrade" not in app  # replicas never migrate
    assert "CLAIMDESK_FORWARDED_ALLOW_IPS" in app
    worker = compose.split("\n  worker:\n")[1]
    assert '["CMD", "claimdesk", "worker", "--check"]' in worker


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", ".ci-venv", "*.db", ".git", "tests", "**/__pycache__"} <= ignored


def test_constraints_pin_every_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        assert name in pinned, f"{name}: run scripts/lock.sh"


@pytest.mark.skipif(not is_postgres(), reason="the advisory lock is PostgreSQL's")
def test_replicas_upgrading_at_once_take_turns() -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(TEST_URL)
    name = f"{url.database}_migrate_{os.getpid()}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    target = url.set(database=name).render_as_string(False)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMDESK_")}
    command = [sys.executable, "-c", "from app.cli import main; main()", "db", "upgrade"]
    try:
        procs = [
            subprocess.Popen(
                [*command, "--database-url", target],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
        assert all(code == 0 for code, _ in results), results
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_worker_healthcheck_follows_the_heartbeat(tmp_path: Path) -> None:
    beat = tmp_path / "beat"
    check = ["worker", "--check", "--heartbeat", str(beat)]
    missing = runner.invoke(cli, check)
    assert missing.exit_code == 1 and "no heartbeat" in missing.output
    beat.touch()
    assert runner.invoke(cli, check).exit_code == 0
    old = time.time() - 300
    os.utime(beat, (old, old))
    stale = runner.invoke(cli, check)
    assert stale.exit_code == 1 and "unhealthy" in stale.output


def test_worker_loop_touches_the_heartbeat(tmp_path: Path) -> None:
    from app.webhooks.service import DeliveryLoop

    beat = tmp_path / "beat"
    loop = DeliveryLoop(0.1, heartbeat=beat)
    loop.start()
    try:
        deadline = time.monotonic() + 30
        while not beat.exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        loop.stop()


def test_serve_passes_forwarded_allow_ips_from_the_setting(
    settings_env: pytest.MonkeyPatch,
) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    settings_env.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    settings_env.setenv("CLAIMDESK_FORWARDED_ALLOW_IPS", "10.0.0.2,10.0.0.3")
    settings_env.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    result = runner.invoke(cli, ["serve", "--port", "18598"])
    assert result.exit_code == 0, result.output
    assert seen["forwarded_allow_ips"] == "10.0.0.2,10.0.0.3"
    assert seen["proxy_headers"] is True
    assert seen["log_config"]["formatters"]["json"]["()"] == "app.logging.json_formatter"
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ  # serve removed the one it made
