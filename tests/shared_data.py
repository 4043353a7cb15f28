"""Where the tests find ``../shared`` (benchmarks and the seed article), which lives outside
the repository. First found wins: ``CLAIMDESK_SHARED`` (the folder itself), ``../shared`` next
to this checkout, and, for a ``git worktree``, next to the main checkout.

Without it a test that needs it skips on a developer's machine but FAILS under CI (``CI`` set,
as .ci/run does): the real-data checks must never vanish silently."""

from __future__ import annotations

import os
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@cache
def candidates() -> tuple[Path, ...]:
    found = []
    if os.environ.get("CLAIMDESK_SHARED"):
        found.append(Path(os.environ["CLAIMDESK_SHARED"]))
    found.append(ROOT.parent / "shared")
    try:
        common = subprocess.run(
            ["git", "rev-parse", "--path-format=absolute", "--git-common-dir"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        found.append(Path(common).parent.parent / "shared")
    except (OSError, subprocess.SubprocessError):
        pass
    return tuple(found)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def shared_path(*parts: str) -> Path:
    """The first existing ``shared/<parts>``; skip (locally) or fail (under CI) when none is."""
    places = [base.joinpath(*parts) for base in candidates()]
    for place in places:
        if place.exists():
            return place
    message = f"{'/'.join(parts)} not found in any of {[str(p) for p in places]}"
    if in_ci():
        pytest.fail(message + " (CI is set: the real-data checks must run)")
    pytest.skip(message)
