"""Progress bars for long CLI jobs (rich): shown on a terminal, silent with ``--quiet`` or when
stderr is not a TTY (cron, pipes, CI), so logs never fill with redraws."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

Advance = Callable[[int], None]


def _noop(_: int = 1) -> None:
    return None


class Bar:
    """A started task: ``total(n)`` once known, ``advance(n)`` as work is done."""

    def __init__(self, progress: Progress | None, description: str) -> None:
        self._progress = progress
        self._task = progress.add_task(description, total=None) if progress else None

    def total(self, n: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=n)

    def advance(self, n: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, n)


def enabled(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, *, quiet: bool = False, in_bytes: bool = False) -> Iterator[Bar]:
    """A progress bar on stderr while the block runs (removed when it ends), or a no-op.
    ``in_bytes``: the total and the advances are bytes (shown as 9.1/16.0 MB)."""
    if not enabled(quiet):
        yield Bar(None, description)
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn() if in_bytes else MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        yield Bar(progress, description)
