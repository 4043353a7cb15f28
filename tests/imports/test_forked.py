"""The forked helper: every item's result in order, computed from both ends; what the child
does not deliver (it fails, sends something unreadable, cannot be forked) is computed here;
never forked from a threaded process unless allowed."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from app.imports import forked


@pytest.fixture
def allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "ALLOW_THREADS", True)


@pytest.mark.usefixtures("allowed")
def test_the_two_ends_meet(tmp_path: Path) -> None:
    """The child computes from the parent's memory as it was at the fork (nothing is sent to
    it). Here this process waits in item 0 until the child has sent the last item, so the
    last result is the child's whatever the machine's load."""
    data = list(range(100_000))
    parent = os.getpid()
    sent = tmp_path / "the-child-sent-the-last-item"

    def work(index: int) -> tuple[int, int, int]:
        if os.getpid() != parent and index == 3:
            sent.touch()
        if os.getpid() == parent and index == 0:
            deadline = time.monotonic() + 120
            while not sent.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        return index, sum(data), os.getpid()

    results = forked.BothEnds(5, work).result()
    assert [r[:2] for r in results] == [(i, sum(data)) for i in range(5)]
    assert results[0][2] == parent and results[4][2] != parent, "both ends computed"


@pytest.mark.usefixtures("allowed")
def test_results_larger_than_the_pipes_buffer() -> None:
    results = forked.BothEnds(6, lambda i: str(i) * 200_000).result()
    assert results == [str(i) * 200_000 for i in range(6)]


@pytest.mark.usefixtures("allowed")
def test_what_a_failing_child_does_not_deliver_is_computed_here() -> None:
    parent = os.getpid()

    def fails_at_the_start(index: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("the helper fails")
        return index * 2

    assert forked.BothEnds(6, fails_at_the_start).result() == [0, 2, 4, 6, 8, 10]

    def unpicklable(index: int) -> object:
        return threading.Lock() if os.getpid() != parent else index

    assert forked.BothEnds(4, unpicklable).result() == [0, 1, 2, 3]


def test_without_a_helper_everything_is_computed_here() -> None:
    parent = os.getpid()
    results = forked.BothEnds(4, lambda i: (i, os.getpid()), helper=False).result()
    assert results == [(i, parent) for i in range(4)]


def test_no_helper_from_a_process_with_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "ALLOW_THREADS", False)
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not forked.available()
    parent = os.getpid()
    assert forked.BothEnds(3, lambda i: os.getpid()).result() == [parent] * 3
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert forked.available() == hasattr(os, "fork")
