"""Structured JSON logs (structlog), one object per line on stderr. Every line written while a
request is handled carries its ``request_id`` (bound in a context variable by the request
middleware), whichever logger wrote it: Claimdesk's own, SQLAlchemy's or uvicorn's.
``claimdesk serve`` hands uvicorn the same formatter (``uvicorn_log_config``), so uvicorn's start-up
and error lines are JSON too."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import orjson
import structlog

# loggers whose records go through the JSON formatter (everything else propagates to them or
# to the root logger, which gets the same handler)
LOGGERS = ("claimdesk", "uvicorn", "uvicorn.error", "uvicorn.access")
_FIRST = ("time", "level", "logger", "message")


def _order(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """``time, level, logger, message`` first (greppable), the rest as they came."""
    event["message"] = event.pop("event", "")
    ordered = {k: event.pop(k) for k in _FIRST if k in event}
    ordered.update(event)
    return ordered


def _dumps(value: Any, **_: Any) -> str:
    return orjson.dumps(value, default=str).decode()


SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
]


def json_formatter() -> logging.Formatter:
    """The formatter for stdlib records (and a ``logging.config`` factory for uvicorn)."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _order,
            structlog.processors.JSONRenderer(serializer=_dumps),
        ],
    )


def configure_logging(level: str) -> None:
    """JSON on stderr for Claimdesk's and uvicorn's loggers (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.propagate = False
    logging.getLogger("claimdesk").setLevel(level.upper())
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def uvicorn_log_config(level: str) -> dict[str, Any]:
    """``uvicorn.run(log_config=…)``: uvicorn's own lines through the JSON formatter, in every
    worker process."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.logging.json_formatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
            for name in LOGGERS
        },
    }


@contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Every log line written inside (in this task or threads it starts with the context)
    carries ``request_id``."""
    tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
