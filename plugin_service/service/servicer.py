"""The gRPC methods: decode, validate, hand to the scheduler, stream results back. Nothing else.

Failures: a ServiceError from validation or the scheduler becomes the call's status in
Generate, and a TagError for just that tag in Session (the session goes on).
"""
from __future__ import annotations

import asyncio
import logging
import time

import grpc

from ..proto.assetgen.v1 import assetgen_pb2 as pb
from ..proto.assetgen.v1 import assetgen_pb2_grpc as pb_grpc
from .catalog import ModelCatalog
from .config import ServiceConfig
from .jobs import Job, ServiceError
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


async def _abort(context: grpc.aio.ServicerContext, error: ServiceError) -> None:
    """End the call with the error's status; a retry hint (queue full) rides along as
    `retry-after-ms` trailing metadata, added to whatever trailers are already set."""
    retry_ms = getattr(error, "retry_after_ms", None)
    if retry_ms is None:
        await context.abort(grpc.StatusCode[error.code], error.message)
    trailing = tuple(context.trailing_metadata() or ()) + (("retry-after-ms", str(retry_ms)),)
    await context.abort(grpc.StatusCode[error.code], error.message, trailing_metadata=trailing)


class _SessionState:
    """What drain() needs to reach an open session."""

    def __init__(self) -> None:
        self.outbox: asyncio.Queue = asyncio.Queue(SESSION_OUTBOX)
        self.closing = False


_WAKE = object()  # wakes a session's send loop so it can notice it is closing


class AssetGenServicer(pb_grpc.AssetGenServicer):
    def __init__(self, scheduler: Scheduler, catalog: ModelCatalog, config: ServiceConfig) -> None:
        self.scheduler = scheduler
        self.catalog = catalog
        self.config = config
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

    def _admit(self, request: pb.GenerateRequest, tag: str, timeout_s: float | None) -> tuple[Job, JobStream]:
        job = validate(request_from_proto(request, tag=tag, timeout_s=timeout_s), self.catalog, self.config,
                       time.monotonic())
        return job, self.scheduler.submit(job)

    async def Generate(self, request: pb.GenerateRequest, context: grpc.aio.ServicerContext):
        try:
            job, stream = self._admit(request, "", _timeout(context))
        except ServiceError as e:
            await _abort(context, e)
        try:
            async for result in stream:
                for message in asset_messages(result, self.config.chunk_size):
                    yield message
        except ServiceError as e:
            await context.abort(grpc.StatusCode[e.code], e.message)
        finally:
            if not stream.finished:  # client went away or deadline hit: stop spending compute on it
                self.scheduler.cancel(job)

    async def ListModels(self, request: pb.ListModelsRequest, context: grpc.aio.ServicerContext):
        return list_models_response(self.catalog, self.config)

    async def Session(self, request_iterator, context: grpc.aio.ServicerContext):
        state = _SessionState()
        outbox = state.outbox
        live: dict[str, tuple[Job, asyncio.Task]] = {}
        end = object()

        async def stream_tag(tag: str, job: Job, stream: JobStream) -> None:
            try:
                async for result in stream:
                    for message in asset_messages(result, self.config.chunk_size):
                        await outbox.put(pb.SessionResponse(asset=message))
                final = tag_done(tag, job.count)
            except ServiceError as e:
                final = tag_error(tag, e.code, e.message)
            if live.get(tag, (None,))[0] is job:
                del live[tag]  # before the terminal event, so the tag is reusable once the client sees it
            await outbox.put(final)

        async def submit(request: pb.Submit) -> None:
            tag = request.tag
            if not tag:
                await outbox.put(tag_error("", "INVALID_ARGUMENT", "Submit.tag is empty; give every submit a unique tag"))
                return
            if tag in live:
                await outbox.put(tag_error(tag, "ALREADY_EXISTS",
                                           f"tag {tag!r} is still running in this session; use a new tag "
                                           f"(this submit was rejected, the running one continues)"))
                return
            extra = request.timeout_ms / 1000.0 if request.timeout_ms else None
            try:
                job, stream = self._admit(request.request, tag, _timeout(context, extra))
            except ServiceError as e:
                await outbox.put(tag_error(tag, e.code, e.message))
                return
            live[tag] = (job, asyncio.create_task(stream_tag(tag, job, stream)))

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
                        await outbox.put(tag_error("", "INVALID_ARGUMENT", "SessionRequest has neither submit nor cancel"))
                # The client half-closed: finish what it asked for, then end the call.
                while live:
                    await asyncio.gather(*(task for _, task in list(live.values())), return_exceptions=True)
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
            for job, task in list(live.values()):
                self.scheduler.cancel(job, "the session ended")
                task.cancel()
