"""``q=`` timed in-process on an existing database: each word's first page and next page of
50, ``--rounds`` times, median and max per word (the service call and the page's shaping, no
HTTP). Words: the harness's five (common to absent) and two more.

    python -m bench.search --url sqlite:///m1.db
    python -m bench.search --url postgresql+psycopg://postgres@127.0.0.1:5432/claimdesk_bench
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Sequence

from bench.run import SEARCH_WORDS

WORDS = (*SEARCH_WORDS, "rocket attack", "claim 7-42")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="database URL (at the current schema)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--incident", help="search inside this incident's timeline instead")
    args = parser.parse_args(argv)
    os.environ["CLAIMDESK_DATABASE_URL"] = args.url
    os.environ.setdefault("CLAIMDESK_LOG_LEVEL", "WARNING")
    from app.claims import service
    from app.db import session_scope
    from app.pagination import PageParams

    medians: list[float] = []
    for word in WORDS:
        times: list[float] = []
        found = 0
        for _ in range(args.rounds):
            cursor = None
            for _page in range(2):
                with session_scope() as session:
                    started = time.perf_counter()
                    filters = service.ClaimFilters(q=word, incident_id=args.incident)
                    items, cursor, _ = service.list_claims(
                        session, filters, PageParams(50, cursor, False)
                    )
                    service.public_dicts(session, items)
                    times.append((time.perf_counter() - started) * 1000)
                found = max(found, len(items))
                if cursor is None:
                    break
        medians.append(statistics.median(times))
        print(
            f"{word!r:30} median {medians[-1]:8.1f} ms  max {max(times):8.1f} ms  page {found}",
            flush=True,
        )
    print(f"median of the word medians: {statistics.median(medians):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
