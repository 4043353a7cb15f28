"""One in-process cache shape, used by the fast lane's gzip bodies and the kept timeline pages:
values by key, least recently used out once their total size passes a bound."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SizedLRU(Generic[V]):
    """Values by key, least recently used out past ``max_bytes`` (each value's size given by
    ``size``). Safe to share between the threads of a process."""

    def __init__(self, max_bytes: int, size: Callable[[V], int]) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._size_of = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, V] = OrderedDict()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= self._size_of(old)
            self._entries[key] = value
            self.size += self._size_of(value)
            while self.size > self.max_bytes and self._entries:
                self.size -= self._size_of(self._entries.popitem(last=False)[1])
