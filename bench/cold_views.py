"""One incident's views read cold (the first read after a write computes and stores them)
and warm (ready-made), in-process with ``TestClient``: wall and CPU seconds and body size.
Import a corpus first, e.g. one incident of 20 000 claims from ``bench/corpus.py``:

    claimdesk db upgrade && claimdesk import big.ndjson
    python -m bench.cold_views --url sqlite:///big.db           # the largest incident

Run it against two checkouts back to back (``PYTHONPATH=<other checkout>``) for a ratio.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence

VIEWS = ("conflicts", "assessment", "attributions", "conflicts?limit=5")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="database URL (at the current schema)")
    parser.add_argument("--incident", help="incident id (default: the one with most claims)")
    args = parser.parse_args(argv)
    os.environ["CLAIMDESK_DATABASE_URL"] = args.url
    os.environ.setdefault("CLAIMDESK_LOG_LEVEL", "WARNING")
    os.environ["CLAIMDESK_RATE_LIMIT"] = "false"
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from app.db import session_scope
    from app.enums import Role
    from app.keys.service import create_key
    from app.main import app

    with session_scope() as session:
        _, key = create_key(session, "bench-cold-views", Role.viewer)
        incident = (
            args.incident
            or session.execute(
                text(
                    "SELECT incident_id FROM claim GROUP BY incident_id "
                    "ORDER BY count(*) DESC LIMIT 1"
                )
            ).scalar_one()
        )
    headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": "identity"}
    print(f"incident {incident}")
    with TestClient(app) as client:
        for view in VIEWS:
            for label in ("cold", "warm"):
                wall, cpu = time.perf_counter(), time.process_time()
                response = client.get(f"/v1/incidents/{incident}/{view}", headers=headers)
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                print(
                    f"{view:18} {label}: {wall:6.2f} s wall {cpu:6.2f} s CPU "
                    f"{len(response.content) / 1e6:5.2f} MB  {response.status_code}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
