"""Shared fixtures: a small random-weight model folder and one real server for the whole run.

The model is the "test" generator config with random weights, written with the real
save_model_dir, so tests never depend on a trained model (or on models/ at all). The server
is the real AssetGenServer on a free loopback port, in a background thread with its own
event loop; tests talk to it through the real client over gRPC.
"""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

TEST_MODEL = "assetgen-test"
TEXTURE_ONLY_MODEL = "assetgen-test-textures"


def build_test_model(path: Path, kinds: tuple[str, ...] = ("texture", "sprite", "prop"), seed: int = 0) -> Path:
    from plugin_service.model.config import get_config
    from plugin_service.model.random_model import make_random_model_dir

    return make_random_model_dir(path, get_config("test"), native=64, seed=seed, kinds=kinds, version=f"test-{seed}",
                                 license="MIT (test weights)")


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("models")
    build_test_model(root / TEST_MODEL)
    build_test_model(root / TEXTURE_ONLY_MODEL, kinds=("texture",), seed=1)
    return root


class ServerThread:
    """A real AssetGenServer in a daemon thread. start() returns once the port is bound
    (health NOT_SERVING); warm() lets it load and warm the models."""

    def __init__(self, config) -> None:
        self.config = config
        self.server = None
        self.port: int | None = None
        self.error: BaseException | None = None
        self._bound = threading.Event()
        self._go_warm = threading.Event()
        self._thread = threading.Thread(target=self._main, name="assetgen-test-server", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> "ServerThread":
        self._thread.start()
        if not self._bound.wait(60) or self.error:
            raise RuntimeError(f"test server did not start: {self.error!r}")
        return self

    def warm(self) -> None:
        self._go_warm.set()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._go_warm.set()
        self._thread.join(60)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as e:  # surfaced by start() or the tests' calls
            self.error = e
            self._bound.set()

    async def _serve(self) -> None:
        from plugin_service.service.server import AssetGenServer

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self.server = AssetGenServer(self.config)
        self.port = await self.server.start()
        self._bound.set()
        await asyncio.get_running_loop().run_in_executor(None, self._go_warm.wait)
        await self.server.warm()
        await self._stop.wait()
        await self.server.stop(grace_s=5)


@pytest.fixture(scope="session")
def server(models_dir):
    """One warm server for all integration tests. Between binding the port and loading the
    models it records what health said (`status_before_warm`) and what a Generate got
    (`generate_before_warm`: (code, details))."""
    import grpc

    from plugin_service.client import AssetGenClient
    from plugin_service.service.config import ServiceConfig

    config = ServiceConfig(host="127.0.0.1", port=0, models=models_dir, model=TEST_MODEL, device="cpu", threads=1)
    thread = ServerThread(config).start()
    with AssetGenClient(thread.address) as client:
        thread.status_before_warm = client.health_status()
        try:
            next(client.generate("too early", "texture", timeout=10))
            thread.generate_before_warm = None
        except grpc.RpcError as e:
            thread.generate_before_warm = (e.code(), e.details())
        thread.warm()
        client.wait_ready(timeout=120)
    yield thread
    thread.stop()


@pytest.fixture()
def client(server):
    from plugin_service.client import AssetGenClient

    with AssetGenClient(server.address) as c:
        yield c
