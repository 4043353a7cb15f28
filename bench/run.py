"""Claimdesk benchmark harness: one run builds a corpus through the product's own import,
serves it, and loads the product, Datasette on the same SQLite file and a bare ASGI app with
the same generator, printing req/s, p50, p99 and the ratios; plus import claims/s, recompute
seconds and peak RSS per database.

    pip install -e '.[bench]'
    python -m bench.run --quick                    # CI: small corpus, asserts no N+1
    python -m bench.run --incidents 10000 --per-incident 100          # 1M claims
    python -m bench.run --postgres postgresql+psycopg://postgres@127.0.0.1:5432/claimdesk_bench

Everything listens on 127.0.0.1 (ports from ``--port``, default 18800); every load is bounded
in time and in request count; servers are stopped at the end. Timings on a shared machine are
noisy: compare the ratios printed by one run, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import corpus
from bench.loadgen import Result, load

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
VIEWS = ("conflicts", "assessment", "attributions")
SEARCH_WORDS = ("rocket", "drone official", "checkpoint village market", "claim 3-4", "zzzz")
# Statements one request may run, whatever the incident's size (auth, lookups, a few reads;
# a cold view also stores itself). An N+1 would add one per claim (30 in --quick).
MAX_STATEMENTS = 24
# A warm read (key checked, view stored) in the fast lane (app/fastlane.py): BEGIN and one
# statement (the incident; a view joined to its versions), two for the timeline (claims, links).
MAX_WARM = {"incident": 2, "timeline (100 claims)": 3, "/conflicts": 2, "/assessment": 2}
MAX_WARM |= {"/attributions": 2}


@dataclass
class Timed:
    seconds: float
    peak_rss_mb: float
    stdout: str
    cpu_seconds: float = 0.0  # the command's own user + system time (not the database server's)


def _timed(cmd: Sequence[str], env: dict[str, str]) -> Timed:
    """Run ``cmd`` (through a wrapper that reports its child's peak RSS)."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:])\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print('PEAK_RSS_KB', u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr)\n"
        "sys.exit(r.returncode)\n"
    )
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, *cmd], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    rss, cpu = next(
        (
            (int(line.split()[1]), float(line.split()[2]))
            for line in proc.stderr.splitlines()
            if line.startswith("PEAK_RSS_KB")
        ),
        (0, 0.0),
    )
    return Timed(seconds, rss / 1024, proc.stdout, cpu)


def _claimdesk(*args: str) -> list[str]:
    return [str(BIN / "claimdesk"), *args]


def wait_for(port: int, path: str, seconds: float = 240.0) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"nothing answered on 127.0.0.1:{port}{path}")


@contextmanager
def _server(cmd: Sequence[str], env: dict[str, str], port: int, ready: str) -> Iterator[None]:
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(ROOT)
    )
    try:
        wait_for(port, ready)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _get(port: int, path: str, key: str | None = None) -> tuple[float, bytes]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=120) as resp:
        body = resp.read()
    return (time.perf_counter() - started) * 1000, body


def build(url: str, env: dict[str, str], path: Path, claims: int) -> dict[str, float]:
    """Schema, import, recompute: the figures per database."""
    subprocess.run(_claimdesk("db", "upgrade"), env=env, check=True, capture_output=True)
    imported = _timed(_claimdesk("import", str(path)), env)
    recompute = _timed(_claimdesk("reliability", "recompute"), env)
    return {
        "import_seconds": imported.seconds,
        "import_claims_per_s": claims / imported.seconds,
        "import_peak_rss_mb": imported.peak_rss_mb,
        "import_claims_per_cpu_s": claims / max(imported.cpu_seconds, 1e-9),
        "recompute_seconds": recompute.seconds,
        "recompute_cpu_seconds": recompute.cpu_seconds,
        "recompute_peak_rss_mb": recompute.peak_rss_mb,
    }


def _key(env: dict[str, str]) -> str:
    out = subprocess.run(
        _claimdesk("keys", "create", "--name", f"bench-{os.getpid()}", "--role", "viewer"),
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.strip().splitlines()[-1]


def _incident_ids(db: Path, n: int) -> list[str]:
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM incident ORDER BY id")]
    random.Random(1).shuffle(ids)
    return ids[:n]


def count_statements(url: str, incident_ids: Sequence[str]) -> dict[str, int]:
    """The most SQL statements any request of each kind ran (in-process, cold and warm)."""
    os.environ["CLAIMDESK_DATABASE_URL"] = url
    os.environ["CLAIMDESK_LOG_LEVEL"] = "WARNING"
    # One key reads everything: it is looked up once, not again each time the (5 s) cache
    # lapses on a slow machine between a cold and a warm read.
    os.environ["CLAIMDESK_AUTH_CACHE_SECONDS"] = "300"
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from app.config import get_settings
    from app.db import CHECKPOINT_THREAD, get_engine, reset_engine, session_scope
    from app.enums import Role
    from app.keys.service import USAGE, USAGE_THREAD, create_key
    from app.main import app
    from app.webhooks.service import DELIVERY_THREAD

    background = (USAGE_THREAD, DELIVERY_THREAD, CHECKPOINT_THREAD)

    get_settings.cache_clear()
    reset_engine()
    with session_scope() as session:
        _, key = create_key(session, "bench-count", Role.viewer)
    seen: list[str] = []

    def count(*_: Any) -> None:
        # The service's own clocks run statements on threads of their own (the key's last use
        # at most once a minute, the webhook outbox's poll, SQLite's checkpoints): one landing
        # during a read is not the read's.
        if not threading.current_thread().name.startswith(background):
            seen.append("x")

    most: dict[str, int] = {}
    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        with TestClient(app) as client:
            headers = {"Authorization": f"Bearer {key}"}
            for incident_id in incident_ids:
                for name, path in _paths(incident_id).items():
                    for label in ("", " warm"):  # cold (computes) then warm (served ready)
                        seen.clear()
                        r = client.get(path, headers=headers)
                        USAGE.drain()  # a last-use write that is due ends before the next read
                        assert r.status_code == 200, (path, r.status_code, r.text[:300])
                        most[name + label] = max(most.get(name + label, 0), len(seen))
            for word in SEARCH_WORDS:
                seen.clear()
                r = client.get("/v1/claims", params={"q": word, "limit": 50}, headers=headers)
                assert r.status_code == 200, r.text[:300]
                most["search q="] = max(most.get("search q=", 0), len(seen))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return most


def _paths(incident_id: str) -> dict[str, str]:
    base = f"/v1/incidents/{incident_id}"
    return {
        "incident": base,
        "timeline (100 claims)": f"{base}/claims?limit=100",
        **{f"/{v}": f"{base}/{v}" for v in VIEWS},
    }


def serve_and_load(
    db: Path | None,
    url: str,
    env: dict[str, str],
    ids: list[str],
    args: argparse.Namespace,
    workers: int = 1,
    peers: bool = True,
) -> dict[str, Result]:
    key = _key(env)
    port = args.port + 1
    results: dict[str, Result] = {}
    product = [
        *_claimdesk("serve", "--port", str(port), "--workers", str(workers), "--no-deliver"),
    ]
    auth = {"Authorization": f"Bearer {key}"}
    with _server(product, env, port, "/healthz"):
        cold = [_get(port, f"/v1/incidents/{i}/assessment", key)[0] for i in ids[: args.cold]]
        results["_cold_assessment_p50"] = Result(len(cold), 0, 0.0, cold)
        for i in ids:  # warm the sample once (the ready-made views)
            for v in VIEWS:
                _get(port, f"/v1/incidents/{i}/{v}", key)
        names = list(_paths(ids[0]))
        for name in names:
            paths = [_paths(i)[name] for i in ids]
            results[name] = load(
                port, paths, args.connections, args.seconds, args.max_requests, auth
            )
        search: list[float] = []
        for _ in range(args.search_rounds):
            for word in SEARCH_WORDS:
                q = urllib.parse.quote(word)
                search.append(_get(port, f"/v1/claims?q={q}&limit=50", key)[0])
        results["search q= (sequential)"] = Result(len(search), 0, 0.0, search)
        # The same number of plain reads, one at a time: the machine's baseline for q=.
        plain = [
            _get(port, f"/v1/incidents/{ids[n % len(ids)]}", key)[0] for n in range(len(search))
        ]
        results["GET incident (sequential, baseline for q=)"] = Result(len(plain), 0, 0.0, plain)
    if not peers or db is None:
        return results
    ds_port = args.port + 2
    datasette = [
        str(BIN / "datasette"),
        "serve",
        str(db),
        "--port",
        str(ds_port),
        "--host",
        "127.0.0.1",
        "--setting",
        "num_sql_threads",
        "3",
        "--setting",
        "sql_time_limit_ms",
        "5000",
    ]
    # Datasette opens the file read-only; a WAL database then needs its -shm file, which
    # exists while some connection has the database open: hold one for the run.
    keep = sqlite3.connect(db)
    keep.execute("SELECT count(*) FROM topic").fetchall()
    with _server(datasette, env, ds_port, "/-/versions.json"):
        stem = db.stem
        paths = [f"/{stem}/claim.json?incident_id={i}&_nocount=1&_nofacet=1&_size=100" for i in ids]
        results["Datasette claim table, _nocount&_nofacet"] = load(
            ds_port, paths, args.connections, args.seconds, args.max_requests
        )
        paths = [f"/{stem}/claim.json?incident_id={i}&_size=100" for i in ids]
        results["Datasette claim table (default)"] = load(
            ds_port, paths, args.connections, args.seconds, args.max_requests
        )
    keep.close()
    ceiling_port = args.port + 3
    ceiling = [
        str(BIN / "uvicorn"),
        "bench.ceiling:app",
        "--port",
        str(ceiling_port),
        "--host",
        "127.0.0.1",
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    with _server(ceiling, env, ceiling_port, "/"):
        results["bare ASGI ceiling"] = load(
            ceiling_port, ["/"], args.connections, args.seconds, args.max_requests
        )
    return results


def report(title: str, results: dict[str, Result], figures: dict[str, float]) -> str:
    lean = results.get("Datasette claim table, _nocount&_nofacet")
    ceiling = results.get("bare ASGI ceiling")
    lines = [f"### {title}", ""]
    for name, value in figures.items():
        lines.append(f"- {name.replace('_', ' ')}: {value:,.1f}")
    lines += [
        "",
        "| request | req/s | p50 ms | p99 ms | x Datasette lean | x ceiling | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, r in results.items():
        if name.startswith("_") or r.seconds == 0:
            continue
        vs_lean = f"{r.rps / lean.rps:.2f}" if lean and lean.rps else "-"
        vs_ceiling = f"{r.rps / ceiling.rps:.2f}" if ceiling and ceiling.rps else "-"
        lines.append(
            f"| {name} | {r.rps:,.0f} | {r.p50:.1f} | {r.p99:.1f} | {vs_lean} | {vs_ceiling} "
            f"| {r.errors} |"
        )
    for name, r in results.items():
        if r.seconds == 0 and r.latencies_ms:
            lines.append(
                f"\n{name.strip('_').replace('_', ' ')}: median {r.p50:.1f} ms, "
                f"max {max(r.latencies_ms):.1f} ms over {r.requests} requests"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small corpus; assert no N+1")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--per-incident", type=int, default=100)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0, help="per load (bounded)")
    parser.add_argument("--max-requests", type=int, default=50_000, help="per load (bounded)")
    parser.add_argument("--sample", type=int, default=200, help="incidents the load rotates")
    parser.add_argument("--cold", type=int, default=20, help="cold /assessment reads timed")
    parser.add_argument("--search-rounds", type=int, default=5)
    parser.add_argument("--port", type=int, default=18800)
    parser.add_argument("--postgres", help="also import/recompute/serve on this (empty) database")
    parser.add_argument("--workers", default="1", help="PostgreSQL scale-out, e.g. 1,2,4")
    parser.add_argument("--keep", action="store_true", help="keep the corpus and database")
    parser.add_argument(
        "--sqlite",
        type=Path,
        help="serve and load this existing SQLite file (at the current schema) instead of "
        "building one: no import, no recompute (e.g. a corpus kept with --keep)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.incidents, args.per_incident = 20, 30
        args.connections, args.seconds, args.max_requests = 4, 1.0, 2000
        args.sample, args.cold, args.search_rounds = 10, 3, 1
    claims = args.incidents * args.per_incident
    if args.sqlite:
        with sqlite3.connect(args.sqlite) as conn:
            claims = conn.execute("SELECT count(*) FROM claim").fetchone()[0]
    workdir = Path(tempfile.mkdtemp(prefix="claimdesk-bench-"))
    out: list[str] = [
        f"corpus: {args.incidents:,} incidents x {args.per_incident} claims = {claims:,} claims; "
        f"{args.connections} connections, {args.seconds:g} s per load, 1 worker unless stated"
    ]
    print(out[0], flush=True)
    try:
        path = workdir / "corpus.ndjson"
        db = args.sqlite.resolve() if args.sqlite else workdir / "bench.db"
        url = f"sqlite:///{db}"
        env = os.environ | {
            "CLAIMDESK_DATABASE_URL": url,
            "PYTHONPATH": str(ROOT),
            "CLAIMDESK_RATE_LIMIT": "false",  # one key sends everything: measure, don't throttle
        }
        if args.sqlite:
            figures: dict[str, float] = {}
            out[0] = (
                f"corpus: {args.sqlite} ({claims:,} claims, not rebuilt); "
                + out[0].split("; ", 1)[1]
            )
        else:
            corpus.write(path, args.incidents, args.per_incident)
            figures = build(url, env, path, claims)
        ids = _incident_ids(db, args.sample)
        if args.quick:
            most = count_statements(url, ids[:3])
            print("statements per request (max):", most)
            too_many = {k: v for k, v in most.items() if v > MAX_STATEMENTS}
            assert not too_many, f"more than {MAX_STATEMENTS} statements per request: {too_many}"
            warm = {k: v for k, v in most.items() if v > MAX_WARM.get(k.removesuffix(" warm"), 99)}
            warm = {k: v for k, v in warm.items() if k.endswith(" warm")}
            assert not warm, f"a warm read ran more statements than {MAX_WARM}: {warm}"
        results = serve_and_load(db, url, env, ids, args)
        out.append(report("SQLite", results, figures))
        print(out[-1], flush=True)  # each section as soon as it is measured
        if args.postgres:
            pg_env = env | {"CLAIMDESK_DATABASE_URL": args.postgres}
            if not path.exists():
                corpus.write(path, args.incidents, args.per_incident)
            pg_figures = build(args.postgres, pg_env, path, claims)
            for workers in [int(w) for w in args.workers.split(",")]:
                pg_results = serve_and_load(
                    None,
                    args.postgres,
                    pg_env,
                    ids_pg(args.postgres, args.sample),
                    args,
                    workers=workers,
                    peers=False,
                )
                out.append(report(f"PostgreSQL, {workers} worker(s)", pg_results, pg_figures))
                print(out[-1], flush=True)
                pg_figures = {}
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("\n\n".join(out))
    return 0


def ids_pg(url: str, n: int) -> list[str]:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM incident ORDER BY id")]
    random.Random(1).shuffle(ids)
    return ids[:n]


if __name__ == "__main__":
    raise SystemExit(main())
