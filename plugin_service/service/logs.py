"""Logging setup: plain text for people, or JSON lines for log pipelines, both carrying the
request id and caller name of the call that logged.

The ids travel in contextvars set by the front door (front_door.py); asyncio copies the context into
tasks a call starts, so a log line from deep inside a call still names its request. Lines from
the scheduler's own loop (batches shared by many requests) carry none.
"""
from __future__ import annotations

import contextvars
import json
import logging
import time

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("assetgen_request_id", default="")
caller: contextvars.ContextVar[str] = contextvars.ContextVar("assetgen_caller", default="")

# Fields a log call may pass with `extra=` that the JSON formatter copies out (besides the ids).
EXTRA_FIELDS = ("rpc", "kind", "count", "code", "ms", "tag", "peer", "reason")


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(record, "request_id", "") or request_id.get()
        record.caller = getattr(record, "caller", "") or caller.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in ("request_id", "caller", *EXTRA_FIELDS):
            value = getattr(record, name, None)
            if value not in (None, ""):
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = " ".join(f"{k}={getattr(record, k)}" for k in ("request_id", "caller") if getattr(record, k, ""))
        return f"{line} [{ids}]" if ids else line


def setup_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """Configure the root logger once for `assetgen serve` (replaces earlier handlers)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
