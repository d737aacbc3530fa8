"""The front door's concerns, as hooks the servicer calls at each step of a request's life.

Who the caller is (auth.py decided *whether* they may call; this decides *who* they are), the
call's request id (the client's `x-request-id` if it sent a sane one), the admission limits
(limits.py), metrics and one access-log line per request. Generate calls and Session submits are
both "requests": each is admitted (a rate token and an in-flight slot) and finished exactly once
with its final code. The servicer owns the streams; every front end that comes later (another
backend, an HTTP port) calls the same hooks:

    call = front.begin(metadata)                 # once per call: caller and request id
    front.open_session() / front.close_session() # Session calls
    ticket = front.admit(who, rpc, asked)        # per request, before validation; may raise
    front.first_asset(ticket)                    # when its first asset goes out
    front.finish(ticket, code, error)            # exactly once, with the final code
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass

from . import logs
from .auth import TokenTable, caller_name
from .catalog import ModelCatalog
from .jobs import AssetRequest, RetryLater, ServiceError
from .limits import Limits
from .metrics import ServiceMetrics

log = logging.getLogger("assetgen.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")  # what we echo back and log: no control characters


def label(value: str, known: tuple[str, ...]) -> str:
    """A metric label from a request field: bounded values, never one series per random input."""
    return value if value in known else "other"


@dataclass(frozen=True)
class Call:
    who: str           # the caller's name (tokens file), "anonymous" without one
    request_id: str    # the client's x-request-id if sane, else a new one; logs carry it


@dataclass
class Ticket:
    """One admitted request, until finish()."""
    rpc: str
    who: str
    kind: str
    priority: str
    count: int
    tag: str
    started: float
    first_sent: bool = False
    finished: bool = False


class FrontDoor:
    def __init__(self, catalog: ModelCatalog, limits: Limits, metrics: ServiceMetrics, tokens: TokenTable | None) -> None:
        self.catalog = catalog
        self.limits = limits
        self.metrics = metrics
        self.tokens = tokens

    def begin(self, metadata) -> Call:
        """Name the caller and the call from its metadata ((key, value) pairs, lower-case keys:
        gRPC invocation metadata or HTTP headers) and set both for the logs. The front end sends
        the request id back (gRPC: `x-request-id` trailing metadata; HTTP: a header)."""
        metadata = tuple(metadata or ())
        # Authentication already refused unknown tokens; "?" only shows up if it was bypassed.
        who = caller_name(self.tokens, metadata) or "?"
        sent = next((v for k, v in metadata if k == "x-request-id" and isinstance(v, str)), "")
        rid = sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex[:16]
        logs.request_id.set(rid)
        logs.caller.set(who)
        return Call(who, rid)

    def open_session(self) -> None:
        try:
            self.limits.open_session()
        except ServiceError as e:
            self._refused("Session", "session", e)
            raise

    def close_session(self, started: float) -> None:
        self.limits.close_session()
        ms = round((time.monotonic() - started) * 1e3, 1)
        log.info("Session closed after %.0f ms", ms, extra=dict(rpc="Session", ms=ms))

    def admit(self, who: str, rpc: str, asked: AssetRequest) -> Ticket:
        """Pixels first (a fixed limit, no retry helps), then rate and in-flight (retry later).
        Raises ServiceError (recorded as refused; nothing is held then)."""
        from .jobs import KIND_NAMES, PRIORITIES

        kind, priority = label(asked.kind, KIND_NAMES), label(asked.priority, PRIORITIES)
        now = time.monotonic()
        try:
            try:
                spec = self.catalog.get(asked.model).manifest.kinds.get(asked.kind)
            except ServiceError:
                spec = None  # unknown model: validation reports it with the right message
            if spec is not None:
                self.limits.check_pixels(asked.width or spec.native_size, asked.height or spec.native_size, asked.count or 1)
            self.limits.acquire(who, now)
        except ServiceError as e:
            self._refused(rpc, kind, e)
            raise
        return Ticket(rpc, who, kind, priority, asked.count or 1, asked.tag, now)

    def first_asset(self, ticket: Ticket) -> None:
        if not ticket.first_sent:
            ticket.first_sent = True
            self.metrics.first_asset.labels(ticket.kind, ticket.priority).observe(time.monotonic() - ticket.started)

    def finish(self, ticket: Ticket, code: str, error: ServiceError | None = None) -> None:
        """Release the request's slot and record it; a second call is ignored."""
        if ticket.finished:
            return
        ticket.finished = True
        self.limits.release(ticket.who)
        seconds = time.monotonic() - ticket.started
        self.metrics.requests.labels(ticket.rpc, ticket.kind, code, ticket.who).inc()
        if isinstance(error, RetryLater):
            self.metrics.rejects.labels(error.reason).inc()
        if code == "OK":
            self.metrics.latency.labels(ticket.kind, ticket.priority).observe(seconds)
        log.info("%s %s %s in %.0f ms", ticket.rpc, ticket.kind, code, seconds * 1e3,
                 extra=dict(rpc=ticket.rpc, kind=ticket.kind, count=ticket.count if code == "OK" else 0, code=code,
                            ms=round(seconds * 1e3, 1), tag=ticket.tag))

    def _refused(self, rpc: str, kind: str, error: ServiceError) -> None:
        reason = error.reason if isinstance(error, RetryLater) else "pixels"
        self.metrics.rejects.labels(reason).inc()
        self.metrics.requests.labels(rpc, kind, error.code, logs.caller.get()).inc()
        log.info("%s refused: %s", rpc, error.message, extra=dict(rpc=rpc, kind=kind, code=error.code, reason=reason))
