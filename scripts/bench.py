"""Performance benchmark. Timings on a shared machine are noisy, so every figure is reported as
a ratio to a baseline measured in the same run (GET /healthz through the same stack), plus the
scaling ratio that matters: a per-incident view must cost the same whether the database holds
10 incidents or 50 times as many.

    python scripts/bench.py [--incidents 500] [--claims-per-incident 20] [--repeat 30]

It runs the app in-process (no network) on a temporary SQLite file, or on
CLAIMDESK_BENCH_DATABASE_URL (an empty PostgreSQL database it may wipe).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def corpus(first: int, n_incidents: int, per_incident: int) -> list[str]:
    """NDJSON for n incidents, each with competing claims from a pool of sources."""
    lines = []
    if first == 0:
        for s in range(20):
            lines.append(
                json.dumps(
                    {
                        "type": "source",
                        "external_id": f"bs{s}",
                        "name": f"Source {s}",
                        "kind": "outlet",
                        "reliability_prior": 0.3 + 0.03 * s,
                    }
                )
            )
    for i in range(first, first + n_incidents):
        lines.append(
            json.dumps(
                {
                    "type": "incident",
                    "external_id": f"bi{i}",
                    "title": f"Incident {i}",
                    "occurred_earliest": "2020-03-11T16:35:00Z",
                    "occurred_latest": "2020-03-11T16:35:59Z",
                    "country": "IQ",
                }
            )
        )
        for c in range(per_incident):
            lines.append(
                json.dumps(
                    {
                        "type": "claim",
                        "external_id": f"bc{i}-{c}",
                        "incident_external_id": f"bi{i}",
                        "source_external_id": f"bs{(i + c) % 20}",
                        "said_at": f"2020-03-11T{10 + c % 12:02d}:00:00Z",
                        "quote": f"claim {c}",
                        "topic": ["casualties.killed", "munitions.count"][c % 2],
                        "value": {"kind": "quantity", "bound": "exact", "best": (c % 3) + 2},
                        "confidence": 0.5 + (c % 5) / 10,
                    }
                )
            )
    return lines


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm up
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=500)
    ap.add_argument("--claims-per-incident", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()

    url = os.environ.get("CLAIMDESK_BENCH_DATABASE_URL") or (
        "sqlite:///" + str(Path(tempfile.mkdtemp()) / "bench.db")
    )
    os.environ["CLAIMDESK_DATABASE_URL"] = url
    os.environ.pop("CLAIMDESK_ANONYMOUS_READ", None)
    from alembic import command
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from app.db import alembic_config, get_engine, session_scope
    from app.enums import Role
    from app.imports.service import import_records
    from app.keys.service import create_key
    from app.main import app
    from app.principal import OPERATOR

    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    command.upgrade(alembic_config(url), "head")
    with session_scope() as session:
        _, key = create_key(session, "bench", Role.admin)
    headers = {"Authorization": f"Bearer {key}"}
    per = args.claims_per_incident
    small = 10

    with TestClient(app) as client:

        def measure() -> dict[str, float]:
            inc = client.get("/v1/incidents?external_id=bi0", headers=headers).json()["items"][0][
                "id"
            ]
            views = {
                "healthz (baseline)": lambda: client.get("/healthz"),
                "get incident": lambda: client.get(f"/v1/incidents/{inc}", headers=headers),
                "timeline page": lambda: client.get(f"/v1/incidents/{inc}/claims", headers=headers),
                "conflicts": lambda: client.get(f"/v1/incidents/{inc}/conflicts", headers=headers),
                "assessment": lambda: client.get(
                    f"/v1/incidents/{inc}/assessment", headers=headers
                ),
                "attributions": lambda: client.get(
                    f"/v1/incidents/{inc}/attributions", headers=headers
                ),
                "claims list page (50)": lambda: client.get("/v1/claims", headers=headers),
            }
            return {name: median_ms(fn, args.repeat) for name, fn in views.items()}

        with session_scope() as session:
            import_records(session, corpus(0, small, per), OPERATOR)
        at_small = measure()
        t = time.perf_counter()
        with session_scope() as session:
            import_records(session, corpus(small, args.incidents - small, per), OPERATOR)
        big_import = time.perf_counter() - t
        at_big = measure()
        t = time.perf_counter()
        recompute = client.post("/v1/reliability/recompute", headers=headers).json()
        recompute_s = time.perf_counter() - t

    base_small = at_small["healthz (baseline)"]
    base_big = at_big["healthz (baseline)"]
    total_claims = args.incidents * per
    print(
        f"database: {engine.dialect.name}; {args.incidents} incidents x {per} claims = "
        f"{total_claims} claims; medians of {args.repeat} requests"
    )
    print(
        f"{'request':26} {'x baseline (10 inc.)':>22} "
        f"{f'x baseline ({args.incidents} inc.)':>24} {'scaling (big/small)':>20}"
    )
    for name in at_small:
        rs = at_small[name] / base_small
        rb = at_big[name] / base_big
        print(f"{name:26} {rs:22.2f} {rb:24.2f} {rb / rs:20.2f}")
    imported = total_claims - small * per
    per_claim_ms = big_import * 1000 / imported
    print(
        f"import: {per_claim_ms:.2f} ms per claim = {per_claim_ms / base_big:.1f} x baseline "
        f"({imported / big_import:,.0f} claims/s; {big_import:.1f} s for {imported} claims)"
    )
    print(
        f"reliability recompute over {recompute['claims']} claims: {recompute_s:.2f} s "
        f"({recompute_s * 1000 / base_big:,.0f} x baseline)"
    )


if __name__ == "__main__":
    main()
