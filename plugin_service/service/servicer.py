"""The gRPC methods: decode, admit, validate, hand to the scheduler, stream results back.

Each call's request is converted from proto once. The front door's concerns (caller, request id,
limits, metrics, access log) are hooks this servicer calls at each step (front_door.py), so there
is one stream per call and one place that knows a request's life: admitted, first asset,
finished with a code. Failures: a ServiceError from admission, validation or the scheduler
becomes the call's status in Generate (abort), and a TagError for just that tag in Session (the
session goes on); a RetryLater carries its hint in both.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import aclosing

import grpc

from ..proto.assetgen.v1 import assetgen_pb2 as pb
from ..proto.assetgen.v1 import assetgen_pb2_grpc as pb_grpc
from . import logs
from .catalog import ModelCatalog
from .config import ServiceConfig
from .front_door import FrontDoor, Ticket
from .jobs import AssetRequest, AssetResult, Job, ServiceError
from .scheduler import JobStream, Scheduler
from .validation import validate
from .wire import asset_messages, list_models_response, request_from_proto, tag_done, tag_error

log = logging.getLogger(__name__)
SESSION_OUTBOX = 64  # messages (up to 1 MiB each) buffered per session before a slow reader applies backpressure


def _timeout(context: grpc.aio.ServicerContext, extra_s: float | None = None) -> float | None:
    """Seconds left: the call's gRPC deadline, tightened by a per-tag timeout if given."""
    remaining = context.time_remaining()
    candidates = [t for t in (remaining, extra_s) if t is not None]
    return min(candidates) if candidates else None


async def abort(context: grpc.aio.ServicerContext, error: ServiceError) -> None:
    """End the call with the error's status. Trailing metadata: the request id, and a RetryLater's
    hint as `retry-after-ms`. The one way a call ends with an error."""
    trailing = [("x-request-id", logs.request_id.get())]
    if error.retry_after_ms is not None:
        trailing.append(("retry-after-ms", str(error.retry_after_ms)))
    await context.abort(grpc.StatusCode[error.code], error.message, trailing_metadata=tuple(trailing))


class _SessionState:
    """What drain() needs to reach an open session."""

    def __init__(self) -> None:
        self.outbox: asyncio.Queue = asyncio.Queue(SESSION_OUTBOX)
        self.closing = False


_WAKE = object()  # wakes a session's send loop so it can notice it is closing


class AssetGenServicer(pb_grpc.AssetGenServicer):
    def __init__(self, scheduler: Scheduler, catalog: ModelCatalog, config: ServiceConfig, front: FrontDoor,
                 sees=None) -> None:
        """sees: prompt -> whether the text encoder reads anything in it (validation.validate)."""
        self.sees = sees
        self.scheduler = scheduler
        self.catalog = catalog
        self.config = config
        self.front = front
        self._sessions: set[_SessionState] = set()

    def drain(self) -> None:
        """Shutdown: every Session ends (status OK) once its running tags have finished, so an idle
        game connection does not hold the server for the whole grace period."""
        for state in self._sessions:
            state.closing = True
            try:
                state.outbox.put_nowait(_WAKE)
            except asyncio.QueueFull:
                pass  # the send loop is busy and checks `closing` after every message

    def _start(self, asked: AssetRequest) -> tuple[Job, JobStream]:
        job = validate(asked, self.catalog, self.config, time.monotonic(), self.sees)
        return job, self.scheduler.submit(job)

    def begin(self, context: grpc.aio.ServicerContext) -> str:
        """Front door's begin for a gRPC call; the request id goes back as trailing metadata."""
        call = self.front.begin(context.invocation_metadata())
        context.set_trailing_metadata((("x-request-id", call.request_id),))
        return call.who

    async def generate(self, asked: AssetRequest, who: str, rpc: str) -> AsyncIterator[AssetResult]:
        """One request's results as they are ready, whatever the front end (gRPC Generate, HTTP):
        admitted, validated, queued, and finished exactly once with its code. Raises ServiceError
        (before the first result, or after some). Close it (contextlib.aclosing) when the caller
        stops early, so unfinished work is cancelled at once."""
        ticket = self.front.admit(who, rpc, asked)
        code, failure, job, stream = "CANCELLED", None, None, None   # unless the stream ends or fails otherwise
        try:
            job, stream = self._start(asked)
            async for result in stream:
                self.front.first_asset(ticket)
                yield result
            code = "OK"
        except ServiceError as e:
            code, failure = e.code, e
            raise
        finally:
            if stream is not None and not stream.finished:  # client went away or deadline hit: stop spending compute
                self.scheduler.cancel(job)
            self.front.finish(ticket, code, failure)

    async def Generate(self, request: pb.GenerateRequest, context: grpc.aio.ServicerContext):
        who = self.begin(context)
        asked = request_from_proto(request, timeout_s=_timeout(context))
        try:
            async with aclosing(self.generate(asked, who, "Generate")) as results:
                async for result in results:
                    for message in asset_messages(result, self.config.chunk_size):
                        yield message
        except ServiceError as e:
            await abort(context, e)

    async def ListModels(self, request: pb.ListModelsRequest, context: grpc.aio.ServicerContext):
        return list_models_response(self.catalog, self.config)

    async def Session(self, request_iterator, context: grpc.aio.ServicerContext):
        started = time.monotonic()
        who = self.begin(context)
        try:
            self.front.open_session()
        except ServiceError as e:
            await abort(context, e)
        state = _SessionState()
        outbox = state.outbox
        live: dict[str, tuple[Job, asyncio.Task, Ticket]] = {}
        end = object()

        async def stream_tag(tag: str, job: Job, stream: JobStream, ticket: Ticket) -> None:
            code, failure = "OK", None
            try:
                async for result in stream:
                    self.front.first_asset(ticket)
                    for message in asset_messages(result, self.config.chunk_size):
                        await outbox.put(pb.SessionResponse(asset=message))
                final = tag_done(tag, job.count)
            except ServiceError as e:
                code, failure, final = e.code, e, tag_error(tag, e)
            if live.get(tag, (None,))[0] is job:
                del live[tag]  # before the terminal event, so the tag is reusable once the client sees it
            self.front.finish(ticket, code, failure)
            await outbox.put(final)

        async def submit(request: pb.Submit) -> None:
            tag = request.tag
            if not tag:
                await outbox.put(tag_error("", ServiceError("INVALID_ARGUMENT", "Submit.tag is empty; give every submit a unique tag")))
                return
            if tag in live:
                await outbox.put(tag_error(tag, ServiceError(
                    "ALREADY_EXISTS", f"tag {tag!r} is still running in this session; use a new tag "
                                      f"(this submit was rejected, the running one continues)")))
                return
            extra = request.timeout_ms / 1000.0 if request.timeout_ms else None
            asked = request_from_proto(request.request, tag=tag, timeout_s=_timeout(context, extra))
            try:
                ticket = self.front.admit(who, "Session", asked)
            except ServiceError as e:
                await outbox.put(tag_error(tag, e))
                return
            try:
                job, stream = self._start(asked)
            except ServiceError as e:
                self.front.finish(ticket, e.code, e)
                await outbox.put(tag_error(tag, e))
                return
            live[tag] = (job, asyncio.create_task(stream_tag(tag, job, stream, ticket)), ticket)

        async def read_requests() -> None:
            try:
                async for request in request_iterator:
                    action = request.WhichOneof("action")
                    if action == "submit":
                        await submit(request.submit)
                    elif action == "cancel":
                        entry = live.get(request.cancel.tag)
                        if entry is not None:  # unknown or finished tags: nothing to do (see proto)
                            self.scheduler.cancel(entry[0], f"tag {request.cancel.tag!r} was cancelled by the client")
                    else:
                        await outbox.put(tag_error("", ServiceError("INVALID_ARGUMENT", "SessionRequest has neither submit nor cancel")))
                # The client half-closed: finish what it asked for, then end the call.
                while live:
                    await asyncio.gather(*(task for _, task, _ in list(live.values())), return_exceptions=True)
            finally:
                await outbox.put(end)

        reader = asyncio.create_task(read_requests())
        self._sessions.add(state)
        if self.scheduler.draining:
            state.closing = True
        try:
            while True:
                message = await outbox.get()
                if message is end:
                    await reader  # surfaces a reader failure as the call's error
                    break
                if message is not _WAKE:
                    yield message
                if state.closing and not live and outbox.empty():
                    break  # shutting down and nothing left to send: end the call cleanly
        finally:
            self._sessions.discard(state)
            reader.cancel()
            for job, task, ticket in list(live.values()):
                self.scheduler.cancel(job, "the session ended")
                task.cancel()
                self.front.finish(ticket, "CANCELLED")
            self.front.close_session(started)
