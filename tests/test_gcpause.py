"""The cyclic garbage collector is paused around big computations and always turned back on
(only if it was on), however many overlap, in however many threads."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from app.gcpause import paused


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_inside_and_back_on_after() -> None:
    gc.enable()
    with paused():
        assert not gc.isenabled()
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer computation is still running
    assert gc.isenabled()


def test_back_on_after_an_error_and_as_a_decorator() -> None:
    gc.enable()

    @paused()
    def compute() -> bool:
        return gc.isenabled()

    assert compute() is False
    assert gc.isenabled()
    with pytest.raises(RuntimeError), paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    with paused():
        pass
    assert not gc.isenabled()


def test_overlapping_threads_turn_it_on_when_the_last_leaves() -> None:
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def worker() -> None:
        with paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=worker)
    with paused():
        thread.start()
        assert inside.wait(10)
    assert not gc.isenabled()  # the worker is still computing
    release.set()
    thread.join(10)
    assert gc.isenabled()
