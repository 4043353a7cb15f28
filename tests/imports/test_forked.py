"""The forked helper: the child's result, or None when it fails; never from a threaded
process unless allowed."""

from __future__ import annotations

import os
import threading

import pytest

from app.imports import forked


@pytest.fixture
def allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "ALLOW_THREADS", True)


@pytest.mark.usefixtures("allowed")
def test_the_helper_computes_from_the_parents_memory() -> None:
    data = list(range(100_000))  # not sent: the child sees it as it was at the fork
    parent = os.getpid()
    helper = forked.Helper(lambda: (sum(data), os.getpid() != parent, "x" * 200_000))
    total, elsewhere, big = helper.result() or (0, False, "")
    assert total == sum(data) and elsewhere, "computed in another process"
    assert big == "x" * 200_000, "a result larger than the pipe's buffer arrives whole"


@pytest.mark.usefixtures("allowed")
def test_a_failing_helper_gives_none() -> None:
    def boom() -> int:
        raise RuntimeError("the helper fails")

    assert forked.Helper(boom).result() is None
    assert forked.Helper(lambda: threading.Lock()).result() is None  # unpicklable result


def test_no_helper_from_a_process_with_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "ALLOW_THREADS", False)
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert not forked.available()
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert forked.available() == hasattr(os, "fork")
