"""schemathesis hooks for Claimdesk (SCHEMATHESIS_HOOKS=scripts.fuzz_hooks): how to send an
``application/x-ndjson`` body (POST /v1/import)."""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx: Any, value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    records = value if isinstance(value, list) else [value]
    return "".join(json.dumps(record) + "\n" for record in records).encode()
