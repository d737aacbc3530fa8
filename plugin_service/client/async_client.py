"""asyncio Python client: for async game servers, tools and bots.

    async with AsyncAssetGenClient("127.0.0.1:50051") as client:
        await client.wait_ready()
        async for asset in client.generate("rusty iron sword", kind="prop", count=4):
            ...
        session = client.session()
        await session.submit("door-1", "oak door", kind="texture")
        async for event in session: ...

Same types and semantics as the sync client (sync_client.py).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ..proto.assetgen.v1 import assetgen_pb2 as pb
from ..proto.assetgen.v1 import assetgen_pb2_grpc as pb_grpc
from .assets import Asset, ChunkAssembler, ModelInfo, SessionEvent, build_request, model_info_from_proto, session_event
from .channel import open_aio_channel
from .sync_client import CHANNEL_OPTIONS, DEFAULT_ADDRESS


class AsyncAssetGenClient:
    def __init__(self, address: str = DEFAULT_ADDRESS, *, token: str | None = None,
                 tls_ca: str | Path | None = None) -> None:
        self.address = address
        self.channel = open_aio_channel(address, CHANNEL_OPTIONS, token=token, tls_ca=tls_ca)
        self.stub = pb_grpc.AssetGenStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self) -> "AsyncAssetGenClient":
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def health_status(self, timeout: float = 2.0) -> str:
        try:
            reply = await self.health.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.RpcError:
            return "UNREACHABLE"
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

    async def wait_ready(self, timeout: float = 60.0, poll: float = 0.2) -> None:
        deadline = time.monotonic() + timeout
        while True:
            status = await self.health_status(timeout=max(0.1, min(2.0, deadline - time.monotonic())))
            if status == "SERVING":
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"assetgen at {self.address} is not SERVING after {timeout:.0f}s (last: {status})")
            await asyncio.sleep(poll)

    async def list_models(self, timeout: float | None = 10.0) -> tuple[list[ModelInfo], str]:
        reply = await self.stub.ListModels(pb.ListModelsRequest(), timeout=timeout)
        return [model_info_from_proto(m) for m in reply.models], reply.default_model

    async def generate(self, prompt: str, kind: str = "texture", *, timeout: float | None = None,
                       **options) -> AsyncIterator[Asset]:
        call = self.stub.Generate(build_request(prompt, kind, **options), timeout=timeout)
        assembler = ChunkAssembler()
        try:
            async for message in call:
                asset = assembler.add(message)
                if asset is not None:
                    yield asset
        finally:
            call.cancel()

    def session(self) -> "AsyncSession":
        return AsyncSession(self.stub)


class AsyncSession:
    """Submit and cancel by tag; `async for event in session` yields SessionEvents in arrival order."""

    def __init__(self, stub: pb_grpc.AssetGenStub) -> None:
        self._requests: asyncio.Queue[pb.SessionRequest | None] = asyncio.Queue()
        self._call = stub.Session(self._outgoing())
        self._assembler = ChunkAssembler()

    async def _outgoing(self):
        while (request := await self._requests.get()) is not None:
            yield request

    async def submit(self, tag: str, prompt: str, kind: str = "texture", *, timeout_ms: int = 0, **options) -> None:
        await self.submit_raw(tag, build_request(prompt, kind, **options), timeout_ms)

    async def submit_raw(self, tag: str, request: pb.GenerateRequest, timeout_ms: int = 0) -> None:
        await self._requests.put(pb.SessionRequest(submit=pb.Submit(tag=tag, request=request, timeout_ms=timeout_ms)))

    async def cancel(self, tag: str) -> None:
        await self._requests.put(pb.SessionRequest(cancel=pb.Cancel(tag=tag)))

    async def close(self) -> None:
        """No more submits; the stream ends once the open tags finish."""
        await self._requests.put(None)

    def abort(self) -> None:
        self._call.cancel()

    async def __aiter__(self) -> AsyncIterator[SessionEvent]:
        async for message in self._call:
            event = session_event(message, self._assembler)
            if event is not None:
                yield event
