"""A dedicated server per test module, for tests that need their own limits, credentials or a
fault-injecting runner (the shared `server` fixture in conftest.py has the defaults)."""
from __future__ import annotations

import socket
import time

from conftest import TEST_MODEL, ServerThread


class CustomServerThread(ServerThread):
    """conftest's ServerThread, plus an optional runner built from the server's catalog."""

    def __init__(self, config, runner_factory=None) -> None:
        super().__init__(config)
        self.runner_factory = runner_factory

    async def _serve(self) -> None:
        import asyncio

        from plugin_service.service.catalog import ModelCatalog
        from plugin_service.service.server import AssetGenServer

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner = None
        if self.runner_factory is not None:
            runner = self.runner_factory(ModelCatalog.scan(self.config.models, self.config.model))
        self.server = AssetGenServer(self.config, runner=runner)
        self.port = await self.server.start()
        self._bound.set()
        await asyncio.get_running_loop().run_in_executor(None, self._go_warm.wait)
        await self.server.warm()
        await self._stop.wait()
        await self.server.stop(grace_s=5)


def start_server(models_dir, runner_factory=None, **overrides) -> CustomServerThread:
    """A warm server on a loopback port with ServiceConfig overrides."""
    from plugin_service.service.config import ServiceConfig

    values = dict(host="127.0.0.1", port=0, models=models_dir, model=TEST_MODEL, device="cpu", threads=1)
    values.update(overrides)
    thread = CustomServerThread(ServiceConfig(**values), runner_factory).start()
    thread.warm()
    return thread


def wait_until(predicate, timeout: float = 20.0, poll: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return predicate()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
