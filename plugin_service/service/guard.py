"""The front door: every AssetGen call passes here before the servicer sees it.

It names the caller (auth.py decided *whether* they may call; this decides *who* they are),
gives the call a request id (the client's `x-request-id` if it sent a sane one), applies the
admission limits (limits.py) and records metrics and one access-log line per request.
Generate calls and Session submits are both "requests": each takes a rate token and an
in-flight slot, released when its last asset, or its error, has gone out.

A wrapper rather than code in servicer.py, so the servicer stays a thin proto <-> job
translation. Any RPC this class does not define passes straight through to the servicer
(`__getattr__`), so a new RPC is never hidden by the front door; authentication covers it anyway,
as an interceptor.
"""
from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from dataclasses import dataclass

import grpc

from ..proto.assetgen.v1 import assetgen_pb2 as pb
from . import logs
from .auth import TokenTable, caller_name
from .catalog import ModelCatalog
from .jobs import ServiceError
from .limits import Limits, Rejected
from .metrics import ServiceMetrics
from .wire import request_from_proto, tag_error

log = logging.getLogger("assetgen.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")  # what we echo back and log: no control characters
_OUTBOX = 64  # messages buffered between the servicer's Session and the client (as in servicer.py)
_END = object()


def _enum_name(enum, value: int, prefix: str) -> str:
    try:
        return enum.Name(value).removeprefix(prefix).lower()
    except ValueError:
        return "other"  # bounded label values: never one metric series per random number


@dataclass
class _Ticket:
    """One admitted request of a Session, until its TagDone/TagError goes out."""
    started: float
    kind: str
    priority: str
    first_sent: bool = False


class GuardedServicer:
    def __init__(self, inner, catalog: ModelCatalog, limits: Limits, metrics: ServiceMetrics,
                 tokens: TokenTable | None) -> None:
        self.inner = inner
        self.catalog = catalog
        self.limits = limits
        self.metrics = metrics
        self.tokens = tokens

    def __getattr__(self, name):  # ListModels, drain, and any RPC added later
        return getattr(self.inner, name)

    # -- shared steps --------------------------------------------------------------------------
    def _begin(self, context) -> str:
        metadata = context.invocation_metadata() or ()
        # The interceptor already refused unknown tokens; "?" only shows up if it was bypassed.
        who = caller_name(self.tokens, metadata) or "?"
        sent = next((v for k, v in metadata if k == "x-request-id" and isinstance(v, str)), "")
        rid = sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex[:16]
        logs.request_id.set(rid)
        logs.caller.set(who)
        context.set_trailing_metadata((("x-request-id", rid),))
        return who

    def _admit(self, who: str, request: pb.GenerateRequest, now: float) -> None:
        """Pixels first (a fixed limit, no retry helps), then rate and in-flight (retry later)."""
        try:
            asked = request_from_proto(request)
            spec = self.catalog.get(asked.model).manifest.kinds.get(asked.kind)
        except (ServiceError, ValueError, KeyError):
            spec = None  # unknown model or kind: validation reports it with the right message
        if spec is not None:
            self.limits.check_pixels(asked.width or spec.native_size, asked.height or spec.native_size,
                                     asked.count or 1)
        self.limits.acquire(who, now)

    def _refused(self, rpc: str, kind: str, error: ServiceError) -> None:
        reason = error.reason if isinstance(error, Rejected) else "pixels"
        self.metrics.rejects.labels(reason).inc()
        self.metrics.requests.labels(rpc, kind, error.code, logs.caller.get()).inc()
        log.info("%s refused: %s", rpc, error.message, extra=dict(rpc=rpc, kind=kind, code=error.code, reason=reason))

    async def _abort(self, context, error: ServiceError) -> None:
        trailing = [("x-request-id", logs.request_id.get())]
        if isinstance(error, Rejected):
            trailing.append(("retry-after-ms", str(error.retry_after_ms)))
        await context.abort(grpc.StatusCode[error.code], error.message, trailing_metadata=tuple(trailing))

    def _finished(self, rpc: str, kind: str, priority: str, code: str, started: float, count: int = 0,
                  tag: str = "") -> None:
        seconds = time.monotonic() - started
        self.metrics.requests.labels(rpc, kind, code, logs.caller.get()).inc()
        if code == "OK":
            self.metrics.latency.labels(kind, priority).observe(seconds)
        log.info("%s %s %s in %.0f ms", rpc, kind, code, seconds * 1e3,
                 extra=dict(rpc=rpc, kind=kind, count=count, code=code, ms=round(seconds * 1e3, 1), tag=tag))

    # -- RPCs ----------------------------------------------------------------------------------
    async def Generate(self, request: pb.GenerateRequest, context):
        started = time.monotonic()
        who = self._begin(context)
        kind = _enum_name(pb.AssetKind, request.kind, "ASSET_KIND_")
        priority = _enum_name(pb.Priority, request.priority, "PRIORITY_")
        try:
            self._admit(who, request, started)
        except ServiceError as e:
            self._refused("Generate", kind, e)
            await self._abort(context, e)
        code, sent = "CANCELLED", 0  # what it was, unless the stream ends or fails otherwise
        stream = self.inner.Generate(request, context)
        try:
            async for message in stream:
                if sent == 0:
                    self.metrics.first_asset.labels(kind, priority).observe(time.monotonic() - started)
                sent += 1
                yield message
            code = "OK"
        except grpc.aio.AbortError:
            got = context.code()  # set by the servicer's abort
            code = got.name if isinstance(got, grpc.StatusCode) else "UNKNOWN"
            if code == "RESOURCE_EXHAUSTED":
                self.metrics.rejects.labels("queue").inc()  # the scheduler's queue bound
            raise
        finally:
            # Close the servicer's generator now (it cancels unfinished work), not at GC time.
            await stream.aclose()
            self.limits.release(who)
            self._finished("Generate", kind, priority, code, started, count=request.count or 1)

    async def Session(self, request_iterator, context):
        started = time.monotonic()
        who = self._begin(context)
        try:
            self.limits.open_session()
        except Rejected as e:
            self._refused("Session", "session", e)
            await self._abort(context, e)
        tickets: dict[str, list[_Ticket]] = {}
        out: asyncio.Queue = asyncio.Queue(_OUTBOX)

        async def admitted():
            """The client's requests, minus submits refused here (answered with a TagError)."""
            async for request in request_iterator:
                if request.WhichOneof("action") == "submit":
                    submit = request.submit
                    kind = _enum_name(pb.AssetKind, submit.request.kind, "ASSET_KIND_")
                    try:
                        self._admit(who, submit.request, time.monotonic())
                    except ServiceError as e:
                        self._refused("Session", kind, e)
                        await out.put(tag_error(submit.tag, e.code, e.message))
                        continue
                    priority = _enum_name(pb.Priority, submit.request.priority, "PRIORITY_")
                    tickets.setdefault(submit.tag, []).append(_Ticket(time.monotonic(), kind, priority))
                yield request

        async def pump():
            try:
                async for message in self.inner.Session(admitted(), context):
                    await out.put(message)
            finally:
                await out.put(_END)  # the consumer reads until it; if it is gone, this task is cancelled

        pump_task = asyncio.create_task(pump())
        try:
            while True:
                message = await out.get()
                if message is _END:
                    break
                self._account(message, tickets, who)
                yield message
            await pump_task  # the servicer's own error, if any, becomes the call's
        finally:
            pump_task.cancel()
            for pending in tickets.values():
                for ticket in pending:
                    self.limits.release(who)
                    self._finished("Session", ticket.kind, ticket.priority, "CANCELLED", ticket.started)
            self.limits.close_session()
            log.info("Session closed after %.0f ms", (time.monotonic() - started) * 1e3,
                     extra=dict(rpc="Session", ms=round((time.monotonic() - started) * 1e3, 1)))

    def _account(self, message: pb.SessionResponse, tickets: dict[str, list[_Ticket]], who: str) -> None:
        event = message.WhichOneof("event")
        if event == "asset":
            pending = tickets.get(message.asset.tag)
            if pending and not pending[0].first_sent:
                pending[0].first_sent = True
                self.metrics.first_asset.labels(pending[0].kind, pending[0].priority).observe(
                    time.monotonic() - pending[0].started)
            return
        tag = message.done.tag if event == "done" else message.error.tag
        pending = tickets.get(tag)
        if not pending:
            return  # refused here (never ticketed), or a request-less error
        # ALREADY_EXISTS answers the newest submit of the tag; the running (oldest) one goes on.
        duplicate = event == "error" and message.error.code_name == "ALREADY_EXISTS"
        ticket = pending.pop() if duplicate else pending.pop(0)
        if not pending:
            del tickets[tag]
        self.limits.release(who)
        code = "OK" if event == "done" else (message.error.code_name or "UNKNOWN")
        if code == "RESOURCE_EXHAUSTED":
            self.metrics.rejects.labels("queue").inc()
        self._finished("Session", ticket.kind, ticket.priority, code, ticket.started,
                       count=message.done.count if event == "done" else 0, tag=tag)
