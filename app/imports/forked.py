"""A second core for pure CPU work: ``os.fork`` a helper that computes from what this process
already holds (no pickling of the inputs: the child sees the parent's memory as it was at the
fork) while the caller works on something else. Used by the import's refresh
(:mod:`app.imports.refresh`): the engine's verdicts on a chunk of incidents are computed from
both ends, the helper from the last incident backwards while this process reads and writes
other chunks and then assesses from the first incident forwards, and they meet where their
speeds put them (:class:`BothEnds`), so neither waits for the other.

The helper never touches a database connection, a file or a lock it inherited: it runs the
function with the garbage collector off (a collection could finalise an inherited connection),
writes each result as it has it and leaves with ``os._exit`` (no interpreter teardown, no
``atexit``, no flushing of inherited buffers); once this process has every result it kills the
helper. Forking is only allowed when this process runs one thread (``claimdesk import``): a
lock held by another thread at the fork would stay locked forever in the child. When a helper
cannot be started, fails or sends something unreadable, this process computes what is
missing itself, so the helper changes the time taken, never the result.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

#: Tests set this to fork from a test process that runs other threads (pytest-xdist's).
ALLOW_THREADS = False
#: A result's frame: its pickled length, then the pickle.
_LENGTH = 8


def available() -> bool:
    """Whether a helper may be forked here: POSIX, and this process runs one thread."""
    return hasattr(os, "fork") and (ALLOW_THREADS or threading.active_count() == 1)


class BothEnds(Generic[T]):
    """``[work(0), ..., work(count - 1)]``: a forked child starts at once on the last item and
    works backwards, sending each result as soon as it has it; :meth:`result` computes from
    the first item forwards in this process, taking the child's results as they come, until
    the two meet. Without a helper (``helper=False``, or none may be forked) :meth:`result`
    computes every item here."""

    def __init__(self, count: int, work: Callable[[int], T], helper: bool = True) -> None:
        self.count, self.work = count, work
        self.pid, self.fd = 0, -1
        self.theirs: list[T] = []  # the results of count - 1, count - 2, ...
        self.buffer = bytearray()
        self.open = False  # more may come from the child
        if helper and count > 1 and available():
            self._fork()

    def _fork(self) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, leave without running the parent's code
            code = 1
            try:
                os.close(read)
                gc.disable()
                for index in range(self.count - 1, -1, -1):
                    data = pickle.dumps(self.work(index), protocol=pickle.HIGHEST_PROTOCOL)
                    view = memoryview(len(data).to_bytes(_LENGTH, "little") + data)
                    while view:
                        view = view[os.write(write, view) :]
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        os.set_blocking(read, False)
        self.pid, self.fd, self.open = pid, read, True

    def _take(self) -> None:
        """What the child has sent so far, without waiting (a failed or unreadable child
        sends nothing more)."""
        while True:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            if not chunk:  # the child ended
                self.open = False
                break
            self.buffer += chunk
        buffer = self.buffer
        while len(buffer) >= _LENGTH:
            size = int.from_bytes(buffer[:_LENGTH], "little")
            if len(buffer) < _LENGTH + size:
                break
            try:
                value: T = pickle.loads(buffer[_LENGTH : _LENGTH + size])
            except Exception:
                self.open = False
                break
            self.theirs.append(value)
            del buffer[: _LENGTH + size]

    def result(self) -> list[T]:
        """Every item's result, in order (the child's where it got first)."""
        mine: list[T] = []
        try:
            while len(mine) + len(self.theirs) < self.count:
                if self.open:
                    self._take()
                    if len(mine) + len(self.theirs) >= self.count:
                        break
                mine.append(self.work(len(mine)))
        finally:
            self._end()
        return mine + self.theirs[: self.count - len(mine)][::-1]

    def _end(self) -> None:
        """Stop the child (it may be computing an item this process already has)."""
        if self.pid:
            os.close(self.fd)
            os.kill(self.pid, signal.SIGKILL)  # ours until reaped, even once it has ended
            os.waitpid(self.pid, 0)
            self.pid, self.open = 0, False
