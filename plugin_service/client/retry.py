"""Retrying a whole request: safe because results are deterministic (same request and seed, same
bytes), so a request cut short by a restart is simply asked again.

Retries UNAVAILABLE (server starting, draining, or down for a moment) and RESOURCE_EXHAUSTED
(honouring the server's `retry-after-ms` hint), with capped exponential backoff and jitter.
Give requests a seed when retrying: without one the server picks a new seed each attempt.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import grpc

T = TypeVar("T")
RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)


def retry_after_s(error: grpc.RpcError) -> float | None:
    """The server's `retry-after-ms` hint in seconds, if it sent one."""
    try:
        metadata = dict(error.trailing_metadata() or ())
    except Exception:  # an error raised before the call started has no metadata
        return None
    hint = metadata.get("retry-after-ms")
    return int(hint) / 1000.0 if isinstance(hint, str) and hint.isdigit() else None


def call_with_retry(attempt: Callable[[], T], *, deadline_s: float = 60.0, first_backoff_s: float = 0.1,
                    max_backoff_s: float = 2.0, retryable=RETRYABLE, sleep=time.sleep) -> T:
    """Run attempt() (which must do the whole request, e.g. `lambda: list(client.generate(...))`)
    until it succeeds, fails with a non-retryable code, or deadline_s has passed."""
    give_up_at = time.monotonic() + deadline_s
    backoff = first_backoff_s
    while True:
        try:
            return attempt()
        except grpc.RpcError as e:
            if e.code() not in retryable:
                raise
            wait = retry_after_s(e) or backoff * random.uniform(0.5, 1.0)
            if time.monotonic() + wait >= give_up_at:
                raise
            sleep(wait)
            backoff = min(max_backoff_s, backoff * 2)
