"""Pausing Python's cyclic garbage collector around a large, short-lived computation.

A view of a 20 000-claim incident or a corpus-wide reliability recompute allocates hundreds
of thousands of small objects that stay alive until the computation ends and are then freed
by reference counting (they form no cycles). While they are being built, every few hundred
allocations trigger a young collection that walks them, and each time the survivors outgrow
a quarter of the old generation a full collection walks everything: about half of a big
view's CPU time (docs/performance.md, "A 20 000-claim incident"). :func:`paused` turns the
collector off for the duration and back on afterwards, only if it was on; overlapping
computations in several threads count how many are inside, so the last one out re-enables
it. Cycles created meanwhile are found by the next collection after it is re-enabled.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused"]

_lock = threading.Lock()
_inside = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """Run the block (or, as ``@paused()``, the function) with the cyclic GC disabled."""
    global _inside, _was_enabled
    with _lock:
        if _inside == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _was_enabled:
                gc.enable()
