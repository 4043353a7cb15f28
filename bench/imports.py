"""Bulk import benchmark: claims/s (wall and per CPU-second), the derived-state refresh's
share and peak RSS, for this checkout and optionally a baseline checkout of the code (another
worktree) on the same corpus, on SQLite and PostgreSQL, in one run, printed with the ratios.

    python -m bench.imports --incidents 1000 --per-incident 100 \\
        --baseline /path/to/baseline-worktree \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/claimdesk_bench_import
    python -m bench.imports --incidents 10000 --per-incident 100 --only new --rounds 1  # 1M RSS

Each import runs in its own process (``nice``d), on a fresh database migrated by that code,
with ``PYTHONPATH`` pointing at the code under test; runs alternate between the codes
(``--rounds``) so that the machine's load hits both alike. CPU is the import process's own
(user + system), with any helper processes it forked and waited for, and apart the CPU of the
import's own thread (the critical path: a writer thread and a helper process work beside it,
so on an idle two-core machine the wall time tends to it); on PostgreSQL the server backend's
CPU is read from ``/proc`` and shown apart. The refresh (the engine run once per touched
incident at the end) is timed inside the import and reported apart, so the import's own speed
can be read with and without it. The wall ends at the commit; a checkpoint the commit left to
a thread (SQLite, a large import: ``app.db.checkpoint_later``) is waited for and shown apart
(``+ checkpoint``), its CPU counted in the process's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import corpus

HERE = Path(__file__).resolve().parent.parent

# Runs inside the import process: the product's own import (as `claimdesk import` runs it),
# with the refresh timed apart and the server backend's CPU read from /proc on PostgreSQL.
DRIVER = r"""
import json, os, resource, sys, time
import app.imports.service as service
from app.db import session_scope
from app.principal import OPERATOR
from sqlalchemy import text

spent = {"refresh_wall": 0.0, "refresh_cpu": 0.0}
real = service.refresh_incidents

def timed(*args, **kwargs):
    w, c = time.perf_counter(), time.process_time()
    try:
        return real(*args, **kwargs)
    finally:
        spent["refresh_wall"] += time.perf_counter() - w
        spent["refresh_cpu"] += time.process_time() - c

service.refresh_incidents = timed

def backend_cpu(pid):
    if pid is None:
        return 0.0
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
with session_scope() as session, open(sys.argv[1], "rb") as fh:
    pid = None
    if session.get_bind().dialect.name == "postgresql":
        pid = session.scalar(text("SELECT pg_backend_pid()"))
    server = backend_cpu(pid)
    report = service.import_records(session, fh, OPERATOR)
    server_spent = backend_cpu(pid) - server
committed = time.perf_counter() - wall
# a checkpoint the commit left to a thread (SQLite, a large import): timed apart, its CPU counted
import app.db
checkpoints = getattr(app.db, "CHECKPOINTS", None)
if checkpoints is not None:
    checkpoints.wait()
children = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "wall": committed,
    "checkpoint_wall": time.perf_counter() - wall - committed,
    "cpu": time.process_time() - cpu + children.ru_utime + children.ru_stime,
    "main_cpu": time.thread_time() - main,
    "server_cpu": server_spent,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "created": report.created,
    **spent,
}))
"""


@dataclass
class Run:
    code: str
    database: str
    claims: int
    figures: dict[str, Any]

    def rate(self, key: str, minus: str | None = None) -> float:
        spent = float(self.figures[key]) - (float(self.figures[minus]) if minus else 0.0)
        return self.claims / max(spent, 1e-9)


def code_env(root: Path, url: str) -> dict[str, str]:
    """The environment of a process that runs the code at ``root`` on the database at ``url``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(root)
    env["CLAIMDESK_DATABASE_URL"] = url
    env.setdefault("CLAIMDESK_LOG_LEVEL", "WARNING")
    return env


def _fresh(root: Path, url: str, workdir: Path) -> None:
    """An empty database at ``url``, migrated by the code at ``root``."""
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg

        name = url.rsplit("/", 1)[1]
        admin = url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(f"{admin}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"],
        env=code_env(root, url),
        cwd=workdir,
        check=True,
        capture_output=True,
    )


def run_driver(driver: str, arg: str, root: Path, url: str, workdir: Path) -> dict[str, Any]:
    """Runs ``driver`` (a Python script taking ``arg``) in a ``nice``d process on the code at
    ``root`` and returns the JSON figures it prints last."""
    out = subprocess.run(
        ["nice", "-n", "10", sys.executable, "-c", driver, arg],
        env=code_env(root, url),
        cwd=workdir,
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def _row(run: Run, base: Run | None) -> str:
    f = run.figures

    def ratio(key: str, minus: str | None = None) -> str:
        if base is None or base is run:
            return ""
        return f" ({run.rate(key, minus) / base.rate(key, minus):.2f}x)"

    server = f" + server {f['server_cpu']:.1f}" if f["server_cpu"] else ""
    later = f" (+{f['checkpoint_wall']:.1f})" if f.get("checkpoint_wall", 0.0) >= 0.05 else ""
    per = 1e6 / run.claims  # seconds for the import -> µs a claim
    micro = f"{f.get('main_cpu', 0.0) * per:.0f} / {f['cpu'] * per:.0f}" + (
        f" / {f['server_cpu'] * per:.0f}" if f["server_cpu"] else " / -"
    )
    return (
        f"| {run.code} | {run.database} | {run.claims:,} "
        f"| {run.rate('wall'):,.0f}{ratio('wall')} "
        f"| {run.rate('cpu'):,.0f}{ratio('cpu')} "
        f"| {run.rate('wall', 'refresh_wall'):,.0f}{ratio('wall', 'refresh_wall')} "
        f"| {run.rate('cpu', 'refresh_cpu'):,.0f}{ratio('cpu', 'refresh_cpu')} "
        f"| {f['wall']:.1f}{later} / {f['cpu']:.1f} ({f.get('main_cpu', 0.0):.1f}){server} "
        f"/ {f['refresh_cpu']:.1f} "
        f"| {micro} "
        f"| {f['peak_rss_mb']:.0f} |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--per-incident", type=int, default=100)
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--postgres", help="also on this PostgreSQL database (dropped, made)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per code and database")
    parser.add_argument("--only", choices=("new", "baseline"), help="run one code only")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the corpus here (reused if present)")
    args = parser.parse_args(argv)

    codes: list[tuple[str, Path]] = []
    if args.only != "baseline":
        codes.append(("new", HERE))
    if args.baseline is not None and args.only != "new":
        codes.append(("baseline", args.baseline.resolve()))
    with tempfile.TemporaryDirectory(prefix="claimdesk-bench-import-") as tmp:
        workdir = Path(tmp)
        path = args.keep or workdir / "corpus.ndjson"
        claims = args.incidents * args.per_incident
        if not path.exists():
            started = time.perf_counter()
            corpus.write(path, args.incidents, args.per_incident)
            print(
                f"corpus: {claims:,} claims, {path.stat().st_size / 1e6:.0f} MB "
                f"in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
        databases: list[tuple[str, str]] = []
        if not args.no_sqlite:
            databases.append(("sqlite", f"sqlite:///{workdir / 'bench.db'}"))
        if args.postgres:
            databases.append(("postgresql", args.postgres))
        runs: list[Run] = []
        for _ in range(args.rounds):
            for database, url in databases:
                for code, root in codes:
                    _fresh(root, url, workdir)
                    figures = run_driver(DRIVER, str(path), root, url, workdir)
                    run = Run(code, database, claims, figures)
                    runs.append(run)
                    print(json.dumps({"code": code, "database": database} | figures), flush=True)
        load = os.getloadavg()
        print(
            f"\nload average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
            "claims/s, ratio to the baseline's run of the same round and database\n"
        )
        print(
            "| code | database | claims | claims/s wall | claims per CPU-s | wall, refresh "
            "excluded | per CPU-s, refresh excluded "
            "| wall s (+ checkpoint after the commit) / CPU s (import thread) / refresh CPU s "
            "| µs CPU a claim: import thread / all / server | peak RSS MB |"
        )
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for i, run in enumerate(runs):
            base = next(
                (
                    r
                    for r in runs[i - i % len(codes) : i - i % len(codes) + len(codes)]
                    if r.code == "baseline" and r.database == run.database
                ),
                None,
            )
            print(_row(run, base))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
