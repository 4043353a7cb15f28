"""The import's derived-state refresh alone: CPU of ``refresh_incidents`` over every incident
of an imported corpus, this checkout against a ``--baseline`` checkout, with the forked
helper off and on, and a check that every code and mode leaves the same incidents and events.

The corpus (``bench/corpus.py``) is imported once into a SQLite file by this checkout. Each
measurement runs in its own ``nice``d process with the code on ``PYTHONPATH``: it resets
every incident's counters and derived state, runs ``refresh_incidents`` as the import would
(collector thresholds as the import sets them), reads the incidents and the events the
refresh emitted, and rolls back. Reported: CPU seconds of this process (the import's thread)
and of the helper processes it forked (``RUSAGE_CHILDREN``).

    python -m bench.refresh --incidents 1000 --per-incident 100 --baseline <checkout>
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import corpus
from bench.imports import code_env, run_driver

HERE = Path(__file__).resolve().parent.parent

DRIVER = r"""
import gc, hashlib, json, os, sys, time
from sqlalchemy import text
from app.db import session_scope
from app.imports import forked, refresh

if sys.argv[1] == "off":
    forked.available = lambda: False
gc.set_threshold(100_000, 50, 100)  # as an import runs
with session_scope() as session:
    ids = [i for (i,) in session.execute(text("SELECT id FROM incident"))]
    session.execute(text(
        "UPDATE incident SET contested = false, leading_actor_id = NULL, claim_count = 0, "
        "source_count = 0"
    ))
    last = session.scalar(text("SELECT coalesce(max(id), 0) FROM event"))
    session.expire_all()
    before, wall, cpu = os.times(), time.perf_counter(), time.process_time()
    refresh.refresh_incidents(session, ids)
    cpu, wall, after = time.process_time() - cpu, time.perf_counter() - wall, os.times()
    state = [list(map(str, r)) for r in session.execute(text(
        "SELECT id, claim_count, source_count, contested, leading_actor_id, typeof(updated_at) "
        "FROM incident ORDER BY id"
    ))]
    events = [list(map(str, r)) for r in session.execute(text(
        "SELECT type, entity_type, entity_id, incident_id, payload FROM event WHERE id > :m "
        "ORDER BY id"
    ), {"m": last})]
    session.rollback()
helper = (after.children_user + after.children_system) - (
    before.children_user + before.children_system
)
digest = hashlib.sha256(json.dumps([state, events]).encode()).hexdigest()
print(json.dumps({"cpu": cpu, "helper": helper, "wall": wall, "events": len(events),
                  "digest": digest}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--per-incident", type=int, default=100)
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--rounds", type=int, default=2, help="runs per code and mode")
    parser.add_argument("--keep", type=Path, help="keep the corpus here (reused if present)")
    args = parser.parse_args(argv)
    codes = [("new", HERE)]
    if args.baseline is not None:
        codes.append(("baseline", args.baseline.resolve()))
    claims = args.incidents * args.per_incident
    with tempfile.TemporaryDirectory(prefix="claimdesk-bench-refresh-") as tmp:
        workdir = Path(tmp)
        path = args.keep or workdir / "corpus.ndjson"
        if not path.exists():
            corpus.write(path, args.incidents, args.per_incident)
        url = f"sqlite:///{workdir / 'bench.db'}"
        for command in (["db", "upgrade"], ["import", str(path)]):
            subprocess.run(
                [sys.executable, "-m", "app.cli", *command],
                env=code_env(HERE, url),
                cwd=workdir,
                check=True,
                capture_output=True,
            )
        best: dict[tuple[str, str], dict[str, Any]] = {}
        digests: set[str] = set()
        for _ in range(args.rounds):
            for mode in ("off", "on"):
                for code, root in codes:
                    figures = run_driver(DRIVER, mode, root, url, workdir)
                    print(json.dumps({"code": code, "mode": mode} | figures), flush=True)
                    digests.add(figures["digest"])
                    key = (code, mode)
                    total = figures["cpu"] + figures["helper"]
                    if key not in best or total < best[key]["cpu"] + best[key]["helper"]:
                        best[key] = figures
        load = os.getloadavg()
        print(
            f"\n{claims:,} claims; load average at the end: {load[0]:.1f} {load[1]:.1f} "
            f"{load[2]:.1f}; the best of {args.rounds} rounds (least CPU), ratio old / new\n"
        )
        print("| helper | code | CPU s: import's thread | helper | both | µs a claim (both) |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        for mode in ("off", "on"):
            base = best.get(("baseline", mode))
            for code, _ in codes:
                f = best[(code, mode)]
                both = f["cpu"] + f["helper"]

                def ratio(new: float, old: float | None) -> str:
                    return f" ({old / new:.2f}x)" if old is not None and new > 0 else ""

                old_cpu = base["cpu"] if base is not None and code == "new" else None
                old_helper = base["helper"] if base is not None and code == "new" else None
                old_both = old_cpu + old_helper if old_cpu is not None and old_helper else old_cpu
                print(
                    f"| {mode} | {code} | {f['cpu']:.2f}{ratio(f['cpu'], old_cpu)} "
                    f"| {f['helper']:.2f}{ratio(f['helper'], old_helper) if f['helper'] else ''} "
                    f"| {both:.2f}{ratio(both, old_both)} | {both / claims * 1e6:.1f} |"
                )
        same = len(digests) == 1
        print(f"\nincidents and events the same for every code and mode: {same}")
        return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
