"""The process: a grpc.aio server with the AssetGen service, health and reflection.

Start-up order: listen first (health NOT_SERVING, so orchestrators and `assetgen wait` can
watch), then load and warm the models, then SERVING. Shutdown (SIGTERM/SIGINT or stop()):
health NOT_SERVING, new work refused with UNAVAILABLE, in-flight calls get `grace_s` to finish,
open Sessions end (OK) as soon as their running tags are done.
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
from .catalog import ModelCatalog
from .config import ServiceConfig
from .scheduler import Scheduler
from .servicer import AssetGenServicer

log = logging.getLogger(__name__)
SERVICE_NAME = pb.DESCRIPTOR.services_by_name["AssetGen"].full_name  # "assetgen.v1.AssetGen"
_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class AssetGenServer:
    """Owns one grpc.aio server and the scheduler/runner behind it. Use inside a running loop."""

    def __init__(self, config: ServiceConfig, runner=None) -> None:
        self.config = config
        self.catalog = ModelCatalog.scan(config.models, config.model)
        if runner is None:
            from .runner import ModelRunner  # torch is imported only by a process that serves

            runner = ModelRunner.from_config(self.catalog, config)
        self.runner = runner
        self.scheduler = Scheduler(runner, self.catalog, config)
        self.servicer = AssetGenServicer(self.scheduler, self.catalog, config)
        self.health = health.aio.HealthServicer()
        self.port: int | None = None
        self._server: grpc.aio.Server | None = None

    async def start(self) -> int:
        """Listen (NOT_SERVING) and return the bound port; call warm() next."""
        # Room for one chunk plus metadata; requests are small.
        limit = self.config.chunk_size + (1 << 16)
        self._server = grpc.aio.server(options=[
            ("grpc.max_send_message_length", limit),
            ("grpc.max_receive_message_length", 1 << 20),
            ("grpc.so_reuseport", 0),  # two servers on one port would split traffic silently
        ])
        pb_grpc.add_AssetGenServicer_to_server(self.servicer, self._server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self._server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), self._server)
        self.port = self._server.add_insecure_port(self.config.address)
        if not self.port:
            raise OSError(f"could not listen on {self.config.address}: is the port in use? (--port / ASSETGEN_PORT)")
        for name in ("", SERVICE_NAME):
            await self.health.set(name, _NOT_SERVING)
        await self._server.start()
        log.info("listening on %s:%d (NOT_SERVING until warm)", self.config.host, self.port)
        return self.port

    async def warm(self) -> None:
        """Load and warm every model, then report SERVING."""
        await self.scheduler.start()
        for name in ("", SERVICE_NAME):
            await self.health.set(name, _SERVING)
        log.info("SERVING %s (default %s) on %s", ", ".join(e.name for e in self.catalog),
                 self.catalog.default, self.runner.device)

    async def stop(self, grace_s: float | None = None) -> None:
        """Refuse new work, let in-flight calls finish within the grace period, then stop."""
        grace_s = self.config.grace_s if grace_s is None else grace_s
        # Refuse new work before health flips, so a client that sees NOT_SERVING is never accepted.
        self.scheduler.drain()
        self.servicer.drain()
        await self.health.enter_graceful_shutdown()
        if self._server is not None:
            await self._server.stop(grace_s)
        await self.scheduler.close()
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
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(config))
    return 0
