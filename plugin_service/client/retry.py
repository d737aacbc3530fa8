"""Retrying a whole request: safe because results are deterministic (same request and seed, same
bytes), so a request cut short by a restart is simply asked again.

What is retried: a refusal the server means as "try later" (RESOURCE_EXHAUSTED or UNAVAILABLE
with a `retry-after-ms` hint, waited as asked), and a call the server never answered (UNAVAILABLE
with no trailing metadata: connection refused or lost), with capped exponential backoff and
jitter. Nothing else: a RESOURCE_EXHAUSTED without a hint (e.g. gRPC's own "message larger than
max") can never succeed as it is. Give requests a seed when retrying: without one the server
picks a new seed each attempt.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import grpc

T = TypeVar("T")


def _trailers(error: grpc.RpcError) -> dict:
    try:
        return dict(error.trailing_metadata() or ())
    except Exception:  # an error raised before the call started has no metadata
        return {}


def retry_after_s(error: grpc.RpcError) -> float | None:
    """The server's `retry-after-ms` hint in seconds, if it sent one."""
    hint = _trailers(error).get("retry-after-ms")
    return int(hint) / 1000.0 if isinstance(hint, str) and hint.isdigit() else None


def is_retryable(error: grpc.RpcError) -> bool:
    """A "try later" refusal (it has a hint), or UNAVAILABLE from a server that never answered."""
    if retry_after_s(error) is not None:
        return True
    return error.code() == grpc.StatusCode.UNAVAILABLE and not _trailers(error)


def call_with_retry(attempt: Callable[[], T], *, deadline_s: float = 60.0, first_backoff_s: float = 0.1,
                    max_backoff_s: float = 2.0, sleep=time.sleep) -> T:
    """Run attempt() (which must do the whole request, e.g. `lambda: list(client.generate(...))`)
    until it succeeds, fails with an error that is not retryable (is_retryable), or deadline_s has
    passed."""
    give_up_at = time.monotonic() + deadline_s
    backoff = first_backoff_s
    while True:
        try:
            return attempt()
        except grpc.RpcError as e:
            if not is_retryable(e):
                raise
            wait = retry_after_s(e) or backoff * random.uniform(0.5, 1.0)
            if time.monotonic() + wait >= give_up_at:
                raise
            sleep(wait)
            backoff = min(max_backoff_s, backoff * 2)
