"""The process: a grpc.aio server with the AssetGen service, health and reflection.

Start-up order: listen first (health NOT_SERVING, so orchestrators and `assetgen wait` can
watch), then load and warm the models, then SERVING. Shutdown (SIGTERM/SIGINT or stop()):
health NOT_SERVING, new work refused with UNAVAILABLE, in-flight calls get `grace_s` to finish,
open Sessions end (OK) as soon as their running tags are done.

Calls pass interceptors (auth.py: bearer tokens; decode.py: unparseable bytes), then the servicer,
which calls the front door's hooks (front_door.py: limits, metrics, request ids) at each step of a
request. Behind it, the local engine (engine.py: scheduler + runner in this process) or, with
`--backend ray`, model replicas on Ray Serve (ray_backend.py) with the same scheduler interface.
"""
from __future__ import annotations

import asyncio
import logging
import signal

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ..proto.assetgen.v1 import assetgen_pb2 as pb
from ..proto.assetgen.v1 import assetgen_pb2_grpc as pb_grpc
from .auth import AuthInterceptor, TokenTable
from .catalog import ModelCatalog
from .config import ServiceConfig
from .decode import MalformedRequestInterceptor
from .front_door import FrontDoor
from .limits import Limits
from .logs import setup_logging
from .engine import local_engine
from .metrics import ServiceMetrics
from .servicer import AssetGenServicer
from .tls import server_credentials

log = logging.getLogger(__name__)
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AssetGen"].full_name  # "assetgen.v1.AssetGen"
_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class AssetGenServer:
    """Owns one grpc.aio server and the scheduler behind it (local engine or Ray replicas). Use
    inside a running loop."""

    def __init__(self, config: ServiceConfig, runner=None) -> None:
        self.config = config
        self.catalog = ModelCatalog.scan(config.models, config.model)
        self.metrics = ServiceMetrics()
        if config.backend == "ray":
            # Replicas on Ray Serve compute; this process keeps the front door (ray_backend.py).
            from .ray_backend import RayScheduler

            self.scheduler = RayScheduler(self.catalog, config)
            self.runner = None
            counters, replicas = self.scheduler.counters, self.scheduler.replica_snapshots
        else:
            self.runner, self.scheduler = local_engine(self.catalog, config, self.metrics, runner)
            counters, replicas = self.runner.counters, None
        self.limits = Limits(config)
        self.tokens = TokenTable.load(config.tokens_file) if config.tokens_file else None
        self.front = FrontDoor(self.catalog, self.limits, self.metrics, self.tokens)
        from ..model.text_encoder import load_prompt_check

        self.servicer = AssetGenServicer(self.scheduler, self.catalog, config, self.front, load_prompt_check())
        self.http = None
        if config.http_port >= 0:
            from .http_api import HttpApi

            self.http = HttpApi(self.servicer, config, self.tokens)
        self.metrics.watch(self.scheduler, counters, self.limits, replicas)
        self.health = health.aio.HealthServicer()
        self.port: int | None = None
        self._server: grpc.aio.Server | None = None

    async def start(self) -> int:
        """Listen (NOT_SERVING) and return the bound port; call warm() next."""
        # Room for one chunk plus metadata; requests are small.
        limit = self.config.chunk_size + (1 << 16)
        self._server = grpc.aio.server(
            options=[
                ("grpc.max_send_message_length", limit),
                ("grpc.max_receive_message_length", self.config.max_receive_bytes),
                ("grpc.max_concurrent_streams", self.config.max_concurrent_streams),
                ("grpc.so_reuseport", 0),  # two servers on one port would split traffic silently
                # Long-lived connections (config.py, keepalive_min_ping_ms): client pings are
                # welcome this often, with or without calls in flight; no connection age limit.
                ("grpc.http2.min_ping_interval_without_data_ms", self.config.keepalive_min_ping_ms),
                ("grpc.keepalive_permit_without_calls", 1),
                ("grpc.keepalive_time_ms", self.config.keepalive_time_ms),
                ("grpc.keepalive_timeout_ms", self.config.keepalive_timeout_ms),
                ("grpc.max_connection_age_ms", 2**31 - 1),
                ("grpc.max_connection_idle_ms", 2**31 - 1),
            ],
            # Outermost first: refuse unknown callers before looking at what they sent.
            interceptors=([AuthInterceptor(self.tokens, self._unauthenticated)] if self.tokens else [])
            + [MalformedRequestInterceptor()],
        )
        pb_grpc.add_AssetGenServicer_to_server(self.servicer, self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), self._server)
        if self.config.tls_cert:
            credentials = server_credentials(self.config.tls_cert, self.config.tls_key)
            self.port = self._server.add_secure_port(self.config.address, credentials)
        else:
            self.port = self._server.add_insecure_port(self.config.address)
        if not self.port:
            raise OSError(f"could not listen on {self.config.address}: is the port in use? (--port / ASSETGEN_PORT)")
        for name in ("", SERVICE_NAME):
            await self.health.set(name, _NOT_SERVING)
        await self._server.start()
        if self.config.metrics_port:
            self.metrics.serve_http(self.config.host, self.config.metrics_port)
        if self.http is not None:
            await self.http.start()
        log.info("listening on %s:%d%s%s (NOT_SERVING until warm)", self.config.host, self.port,
                 " with TLS" if self.config.tls_cert else "",
                 f", {len(self.tokens)} bearer tokens" if self.tokens else "")
        return self.port

    def _unauthenticated(self, method: str) -> None:
        self.metrics.rejects.labels("unauthenticated").inc()
        log.warning("refused %s: no valid bearer token", method)

    async def warm(self) -> None:
        """Load and warm every model, then report SERVING."""
        await self.scheduler.start()
        for name in ("", SERVICE_NAME):
            await self.health.set(name, _SERVING)
        log.info("SERVING %s (default %s) on %s", ", ".join(e.name for e in self.catalog),
                 self.catalog.default, self.runner.device if self.runner is not None else self.scheduler.describe())

    async def stop(self, grace_s: float | None = None) -> None:
        """Refuse new work, let in-flight calls finish within the grace period, then stop."""
        grace_s = self.config.grace_s if grace_s is None else grace_s
        # Refuse new work before health flips, so a client that sees NOT_SERVING is never accepted.
        self.scheduler.drain()
        self.servicer.drain()
        await self.health.enter_graceful_shutdown()
        if self._server is not None:
            await self._server.stop(grace_s)
        if self.http is not None:
            await self.http.stop()
        await self.scheduler.close()
        self.metrics.stop_http()
        log.info("stopped")

    async def wait_for_termination(self) -> None:
        await self._server.wait_for_termination()


async def serve(config: ServiceConfig) -> None:
    """Run until SIGTERM or SIGINT, then shut down gracefully."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = AssetGenServer(config)
    port = await server.start()
    try:
        warm = asyncio.create_task(server.warm())
        stopped = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({warm, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if warm in done:
            warm.result()  # a model that fails to load ends the process with its error
            print(f"assetgen: SERVING on {config.host}:{port}", flush=True)
            await stopped
        else:
            warm.cancel()
        print("assetgen: shutting down (in-flight requests finish first)", flush=True)
    finally:
        await server.stop()


def run(config: ServiceConfig) -> int:
    setup_logging(config.log_format)
    asyncio.run(serve(config))
    return 0
