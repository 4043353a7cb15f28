"""Server CPU per request: on a shared machine the served req/s measure the queue for the CPU,
so this reads what each request cost the server process itself. It serves an existing SQLite
file with ``claimdesk serve`` (1 worker), loads each per-incident read (incident, timeline of
100 claims, the three ready-made views, warmed first) with ``bench.loadgen`` for ``--requests``
requests on ``--connections`` connections, and reads the server's user + system time from
``/proc`` before and after; then the same for Datasette's lean table query of the incident's
claims (``_nocount=1&_nofacet=1&_size=100``) on the same file (Linux only).

    python -m bench.cpu --sqlite m1.db --port 24180
    python -m bench.cpu --sqlite m1.db --port 24190 --code <old checkout>   # old code

``--code`` is the checkout whose ``app`` is served (default: this one). It writes one API key
to the file.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from bench.loadgen import load
from bench.run import wait_for

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
VIEWS = ("conflicts", "assessment", "attributions")


def _cpu_seconds(pid: int) -> float:
    """User + system time of ``pid`` and its children (uvicorn's worker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0
    for p in [pid, *(int(c) for c in children)]:
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _measure(
    pid: int,
    port: int,
    kinds: dict[str, list[str]],
    headers: dict[str, str],
    args: argparse.Namespace,
) -> None:
    for name, paths in kinds.items():
        for path in paths:  # warm: a ready-made view is computed and stored by its first read
            req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
            with urllib.request.urlopen(req, timeout=300) as resp:
                resp.read()
        before = _cpu_seconds(pid)
        r = load(port, paths, args.connections, 600, args.requests, headers)
        cpu = _cpu_seconds(pid) - before
        print(
            f"| {name} | {cpu / max(r.requests, 1) * 1000:.2f} | {r.requests} | {r.errors} "
            f"| {r.rps:.0f} |",
            flush=True,
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", type=Path, required=True)
    parser.add_argument("--port", type=int, default=18900)
    parser.add_argument("--requests", type=int, default=300, help="per request kind")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--sample", type=int, default=100, help="incidents the load rotates")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to serve")
    args = parser.parse_args(argv)
    db = args.sqlite.resolve()
    env = os.environ | {
        "CLAIMDESK_DATABASE_URL": f"sqlite:///{db}",
        "PYTHONPATH": str(args.code.resolve()),
        "CLAIMDESK_RATE_LIMIT": "false",
    }
    key = subprocess.run(
        [str(BIN / "claimdesk"), "keys", "create", "--name", "bench-cpu", "--role", "viewer"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    key = key.splitlines()[-1]
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM incident ORDER BY id")]
    random.Random(1).shuffle(ids)
    ids = ids[: args.sample]
    kinds = {"incident": [f"/v1/incidents/{i}" for i in ids]}
    kinds["timeline (100 claims)"] = [f"/v1/incidents/{i}/claims?limit=100" for i in ids]
    kinds |= {f"/{v}": [f"/v1/incidents/{i}/{v}" for i in ids] for v in VIEWS}
    print(
        f"code: {args.code}; file: {db}; {args.connections} connections, {args.requests} requests"
    )
    print("\n| request | server CPU ms a request | requests | errors | req/s |")
    print("| --- | ---: | ---: | ---: | ---: |")
    serve = [str(BIN / "claimdesk"), "serve", "--port", str(args.port), "--no-deliver"]
    proc = subprocess.Popen(
        serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(args.code)
    )
    try:
        wait_for(args.port, "/healthz")
        _measure(proc.pid, args.port, kinds, {"Authorization": f"Bearer {key}"}, args)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    keep = sqlite3.connect(db)  # Datasette opens the file read-only: keep its -shm file
    keep.execute("SELECT count(*) FROM topic").fetchall()
    datasette = [str(BIN / "datasette"), "serve", str(db), "--port", str(args.port)]
    datasette += ["--host", "127.0.0.1", "--setting", "num_sql_threads", "3"]
    proc = subprocess.Popen(
        datasette, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(args.port, "/-/versions.json")
        lean = [
            f"/{db.stem}/claim.json?incident_id={i}&_nocount=1&_nofacet=1&_size=100" for i in ids
        ]
        _measure(proc.pid, args.port, {"Datasette lean": lean}, {}, args)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        keep.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
