"""A bounded HTTP/1.1 load generator: ``connections`` keep-alive connections to 127.0.0.1,
each sending GETs back to back (rotating through ``paths``) for ``seconds`` or until
``max_requests``, recording each latency. Small and dependency-free, so the same generator
(and the same overhead) measures the product, Datasette and the bare ASGI ceiling."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Result:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")

    @property
    def p99(self) -> float:
        return self.pct(99)


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = None
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if length is not None:
        await reader.readexactly(length)
    elif chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _worker(
    port: int,
    paths: Sequence[str],
    offset: int,
    headers: dict[str, str],
    deadline: float,
    budget: list[int],
    out: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    i = offset
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            path = paths[i % len(paths)]
            i += 1
            request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n"
            started = time.perf_counter()
            writer.write(request.encode())
            await writer.drain()
            status = await _read_response(reader)
            out.append((time.perf_counter() - started) * 1000)
            if status >= 400:
                errors[0] += 1
    finally:
        writer.close()


async def _run(
    port: int,
    paths: Sequence[str],
    connections: int,
    seconds: float,
    max_requests: int,
    headers: dict[str, str],
) -> Result:
    latencies: list[float] = []
    errors = [0]
    budget = [max_requests]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _worker(port, paths, c * 7, headers, deadline, budget, latencies, errors)
            for c in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    return Result(len(latencies), errors[0], elapsed, latencies)


def load(
    port: int,
    paths: Sequence[str],
    connections: int = 32,
    seconds: float = 10.0,
    max_requests: int = 100_000,
    headers: dict[str, str] | None = None,
) -> Result:
    """Run the load; bounded by time and by request count."""
    return asyncio.run(_run(port, paths, connections, seconds, max_requests, headers or {}))
