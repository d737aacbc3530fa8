"""Admission limits per caller: request rate (token bucket), unfinished requests, open sessions,
and pixels per request.

Pure bookkeeping: no grpc, no asyncio, and the caller passes `now` (time.monotonic()), so the
unit tests drive it with made-up clocks. A refusal is a RetryLater (jobs.py) whose
`retry_after_ms` tells a well-behaved client when trying again can succeed.

Everything is single-threaded: it lives on the server's event loop.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from .auth import ANONYMOUS
from .config import ServiceConfig
from .jobs import RetryLater, ServiceError

IDLE_FORGET_S = 300.0  # a caller's bucket is dropped after this long full and idle: memory stays bounded


@dataclass
class TokenBucket:
    """`rate` tokens per second refill a bucket of `burst`; each request takes one."""
    rate: float
    burst: int
    tokens: float = field(default=-1.0)
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = float(self.burst)

    def _refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def take(self, now: float) -> float:
        """0.0 if a token was taken, else the seconds until one will be there."""
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.burst


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


class Limits:
    """The server's admission state. acquire() before work starts; release() exactly once after."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self._buckets: dict[str, TokenBucket] = {}
        self._in_flight: dict[str, int] = {}
        self.sessions = 0
        self._last_sweep = 0.0

    # -- per request ---------------------------------------------------------------------------
    def check_pixels(self, width: int, height: int, count: int) -> None:
        pixels = width * height * count
        if pixels > self.config.max_request_pixels:
            raise ServiceError(
                "INVALID_ARGUMENT",
                f"request asks for {count} x {width}x{height} = {pixels} pixels; this server allows at most "
                f"{self.config.max_request_pixels} per request: ask for fewer or smaller assets, in several requests",
            )

    def caps(self, caller: str) -> tuple[float, int, int]:
        """(requests/s, burst, in-flight) for `caller`; 0 = no cap. Named callers get the
        per-caller limits; anonymous ones (no tokens file) the anonymous_* caps, off by default."""
        c = self.config
        if caller == ANONYMOUS:
            return c.anonymous_rate_per_second, c.anonymous_rate_burst, c.anonymous_max_in_flight
        return c.rate_per_second, c.rate_burst, c.max_in_flight

    def acquire(self, caller: str, now: float) -> None:
        """Count one request for `caller`, or raise RetryLater (nothing counted then)."""
        rate, burst, max_in_flight = self.caps(caller)
        in_flight = self._in_flight.get(caller, 0)
        if max_in_flight and in_flight >= max_in_flight:
            # No clock tells when one finishes; a short hint keeps clients polite but responsive.
            raise RetryLater("RESOURCE_EXHAUSTED", f"caller {caller!r} already has {in_flight} unfinished requests (limit "
                           f"{max_in_flight}); wait for some to finish", 100, "in_flight")
        if rate:
            bucket = self._buckets.get(caller)
            if bucket is None:
                bucket = self._buckets[caller] = TokenBucket(rate, burst, updated=now)
            wait_s = bucket.take(now)
            if wait_s > 0:
                raise RetryLater("RESOURCE_EXHAUSTED", f"caller {caller!r} is over its rate of {rate:g} requests/s (burst {burst})", _ms(wait_s), "rate")
        self._in_flight[caller] = in_flight + 1
        self._sweep(now)

    def release(self, caller: str) -> None:
        left = self._in_flight.get(caller, 0) - 1
        if left > 0:
            self._in_flight[caller] = left
        else:
            self._in_flight.pop(caller, None)

    def in_flight(self, caller: str | None = None) -> int:
        if caller is None:
            return sum(self._in_flight.values())
        return self._in_flight.get(caller, 0)

    # -- per session -------------------------------------------------------------------------
    def open_session(self) -> None:
        if self.sessions >= self.config.max_sessions:
            raise RetryLater("RESOURCE_EXHAUSTED", f"the server has {self.sessions} open sessions (limit {self.config.max_sessions}); "
                           f"reuse one session per game instead of opening many", 1000, "sessions")
        self.sessions += 1

    def close_session(self) -> None:
        self.sessions -= 1

    def _sweep(self, now: float) -> None:
        """Forget callers whose bucket refilled long ago (anonymous deployments see many)."""
        if now - self._last_sweep < IDLE_FORGET_S:
            return
        self._last_sweep = now
        for caller in [c for c, b in self._buckets.items()
                       if now - b.updated > IDLE_FORGET_S and b.full(now) and c not in self._in_flight]:
            del self._buckets[caller]
