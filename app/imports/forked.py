"""A second core for pure CPU work: ``os.fork`` a helper that computes a function's result
from what this process already holds (no pickling of the inputs: the child sees the parent's
memory as it was at the fork), while the caller works on something else; the result comes back
pickled through a pipe. Used by the import's refresh (:mod:`app.imports.refresh`): the engine's
assessment of half the incidents of a chunk runs in the helper while this process assesses the
other half.

The helper never touches a database connection, a file or a lock it inherited: it runs the
function with the garbage collector off (a collection could finalise an inherited connection),
writes its result and leaves with ``os._exit`` (no interpreter teardown, no ``atexit``, no
flushing of inherited buffers). Forking is only allowed when this process runs one thread
(``claimdesk import``): a lock held by another thread at the fork would stay locked forever in
the child. When a helper cannot be started, fails or returns nothing readable, the caller gets
``None`` and computes the result itself, so the helper changes the time taken, never the result.
"""

from __future__ import annotations

import gc
import os
import pickle
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

#: Tests set this to fork from a test process that runs other threads (pytest-xdist's).
ALLOW_THREADS = False


def available() -> bool:
    """Whether a helper may be forked here: POSIX, and this process runs one thread."""
    return hasattr(os, "fork") and (ALLOW_THREADS or threading.active_count() == 1)


class Helper(Generic[T]):
    """``work()`` computed in a forked child; :meth:`result` waits for it (``None`` if it
    failed)."""

    def __init__(self, work: Callable[[], T]) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, leave without running the parent's code
            code = 1
            try:
                os.close(read)
                gc.disable()
                data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
                view = memoryview(data)
                while view:
                    view = view[os.write(write, view) :]
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self.pid, self.fd = pid, read

    def result(self) -> T | None:
        """The child's result, or ``None`` when it failed."""
        chunks = []
        try:
            while chunk := os.read(self.fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self.fd)
            _, status = os.waitpid(self.pid, 0)
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        try:
            value: T = pickle.loads(b"".join(chunks))
        except Exception:
            return None
        return value
