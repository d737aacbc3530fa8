"""Blocking Python client: for pipeline scripts, the CLI and tests.

    with AssetGenClient("127.0.0.1:50051") as client:
        client.wait_ready(timeout=60)
        for asset in client.generate("mossy cobblestone", kind="texture", size=128, count=4):
            open(f"{asset.seed}.png", "wb").write(asset.data)

RPC failures raise grpc.RpcError (`.code()`, `.details()` say what to change).
"""
from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ..proto.assetgen.v1 import assetgen_pb2 as pb
from ..proto.assetgen.v1 import assetgen_pb2_grpc as pb_grpc
from .assets import Asset, ChunkAssembler, ModelInfo, SessionEvent, build_request, model_info_from_proto, session_event
from .channel import open_channel

from ..vocabulary import DEFAULT_ADDRESS
# Room for a 1 MiB chunk plus metadata (the server's default chunk size); gRPC's own default is 4 MiB.
# Keepalive every 30 s, also while idle: a long-lived connection (a game's Session) notices a dead
# server, and the server accepts pings this far apart (it allows 5 s; the README promises 10 s).
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 8 << 20),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
]


class AssetGenClient:
    def __init__(self, address: str = DEFAULT_ADDRESS, *, token: str | None = None,
                 tls_ca: str | Path | None = None) -> None:
        """token: sent as `authorization: Bearer <token>` on every call; tls_ca: PEM file of the CA
        that signed the server's certificate (TLS instead of plaintext)."""
        self.address = address
        self.channel = open_channel(address, CHANNEL_OPTIONS, token=token, tls_ca=tls_ca)
        self.stub = pb_grpc.AssetGenStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> "AssetGenClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def health_status(self, timeout: float = 2.0) -> str:
        """"SERVING", "NOT_SERVING", ... or "UNREACHABLE" when nothing answers."""
        try:
            reply = self.health.Check(health_pb2.HealthCheckRequest(service=""), timeout=timeout)
        except grpc.RpcError:
            return "UNREACHABLE"
        return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)

    def wait_ready(self, timeout: float = 60.0, poll: float = 0.2) -> None:
        """Block until health says SERVING; TimeoutError (with the last status) otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.health_status(timeout=max(0.1, min(2.0, deadline - time.monotonic())))
            if status == "SERVING":
                return
            if time.monotonic() >= deadline:
                raise TimeoutError(f"assetgen at {self.address} is not SERVING after {timeout:.0f}s (last: {status})")
            time.sleep(poll)

    def list_models(self, timeout: float | None = 10.0) -> tuple[list[ModelInfo], str]:
        """-> (models, default model name)."""
        reply = self.stub.ListModels(pb.ListModelsRequest(), timeout=timeout)
        return [model_info_from_proto(m) for m in reply.models], reply.default_model

    def generate(self, prompt: str, kind: str = "texture", *, timeout: float | None = None, **options) -> Iterator[Asset]:
        """Yield each asset as it arrives (whole, chunks joined and hash-checked).

        options: model, width, height, size, count, seed, format ("png"|"rgba8"), tileable, priority.
        Breaking out of the loop early cancels the rest on the server.
        """
        call = self.stub.Generate(build_request(prompt, kind, **options), timeout=timeout)
        assembler = ChunkAssembler()
        try:
            for message in call:
                asset = assembler.add(message)
                if asset is not None:
                    yield asset
        finally:
            call.cancel()  # no-op when the stream already ended

    def session(self) -> "Session":
        return Session(self.stub)


_CLOSE = object()


class Session:
    """A bidirectional session: submit and cancel from any thread, iterate events in another.

    Iteration ends after close() once every submitted tag has finished.
    """

    def __init__(self, stub: pb_grpc.AssetGenStub) -> None:
        self._requests: queue.Queue = queue.Queue()
        self._call = stub.Session(iter(self._requests.get, _CLOSE))
        self._assembler = ChunkAssembler()
        self._lock = threading.Lock()

    def submit(self, tag: str, prompt: str, kind: str = "texture", *, timeout_ms: int = 0, **options) -> None:
        request = build_request(prompt, kind, **options)
        self._requests.put(pb.SessionRequest(submit=pb.Submit(tag=tag, request=request, timeout_ms=timeout_ms)))

    def submit_raw(self, tag: str, request: pb.GenerateRequest, timeout_ms: int = 0) -> None:
        """Send a GenerateRequest as built by the caller (no client-side checks)."""
        self._requests.put(pb.SessionRequest(submit=pb.Submit(tag=tag, request=request, timeout_ms=timeout_ms)))

    def cancel(self, tag: str) -> None:
        self._requests.put(pb.SessionRequest(cancel=pb.Cancel(tag=tag)))

    def close(self) -> None:
        """No more submits; the server finishes the open tags, then the stream ends."""
        self._requests.put(_CLOSE)

    def abort(self) -> None:
        """Drop the session now; the server cancels every open tag."""
        self._call.cancel()

    def __iter__(self) -> Iterator[SessionEvent]:
        for message in self._call:
            event = session_event(message, self._assembler)
            if event is not None:
                yield event

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
        self.abort()
