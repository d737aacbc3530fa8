"""Faults, each against a real server: a client that walks away, a cancel inside a session, a
restart with requests in flight, a runner that throws, and a runner that runs out of memory."""
from __future__ import annotations

import threading

import grpc
import pytest
from server_helpers import free_port, start_server, wait_until

from plugin_service.client import AssetGenClient
from plugin_service.client.retry import call_with_retry

pytestmark = pytest.mark.integration


def idle(thread) -> bool:
    """Nothing queued, no job held, no admitted request unfinished: nothing leaked."""
    server = thread.server
    return server.scheduler.queued_images == 0 and server.scheduler.open_jobs == 0 and server.limits.in_flight() == 0


def images_computed(thread) -> float:
    return thread.server.metrics.registry.get_sample_value("assetgen_batch_images_sum") or 0.0


@pytest.fixture(scope="module")
def slow(models_dir):
    """Batches of two: a 32-image request is 16 forward passes, so there is time to walk away."""
    thread = start_server(models_dir, max_batch=2)
    with AssetGenClient(thread.address) as client:
        client.wait_ready(120)
    yield thread
    thread.stop()


def test_client_disconnect_mid_stream_drops_its_queued_work(slow):
    before = images_computed(slow)
    with AssetGenClient(slow.address) as client:
        stream = client.generate("long corridor", "texture", size=128, count=32, seed=1, timeout=120)
        first = next(stream)
        stream.close()  # leaving the generator cancels the call
    assert first.seed in range(1, 33)
    assert wait_until(lambda: idle(slow)), (slow.server.scheduler.queued_images, slow.server.scheduler.open_jobs)
    assert images_computed(slow) - before < 32, "the abandoned request's queued images must not be computed"
    with AssetGenClient(slow.address) as client:  # and the server goes on serving
        assert next(client.generate("after", "prop", seed=2, timeout=60)).seed == 2


def test_cancel_inside_a_session_ends_only_that_tag(slow):
    with AssetGenClient(slow.address) as client:
        session = client.session()
        session.submit("big", "endless wall", "texture", size=128, count=32, seed=1)
        session.submit("small", "oak door", "texture", seed=5, count=2)
        endings = {}
        try:
            for event in session:
                if event.asset is not None and event.tag == "big" and "cancelled" not in endings:
                    session.cancel("big")
                    endings["cancelled"] = True
                if event.done or event.failed:
                    endings[event.tag] = event
                    if {"big", "small"} <= endings.keys() and "after" not in endings:
                        session.submit("after", "stone", "texture", seed=9)  # the session goes on
                    if "after" in endings:
                        break
        finally:
            session.abort()
    assert endings["big"].code == grpc.StatusCode.CANCELLED
    assert endings["small"].done and endings["after"].done
    assert wait_until(lambda: idle(slow))


def test_restart_with_requests_in_flight_and_a_retrying_client_gets_the_same_assets(models_dir):
    port = free_port()
    first = start_server(models_dir, port=port, max_batch=2)
    address = f"127.0.0.1:{port}"
    with AssetGenClient(address) as client:
        client.wait_ready(120)
        reference = sorted((a.seed, a.sha256) for a in client.generate("cracked marble", "texture", count=6, seed=40))

    in_flight, started = [], threading.Event()

    def long_request():
        with AssetGenClient(address) as client:
            for asset in client.generate("long corridor", "texture", size=128, count=16, seed=100, timeout=120):
                in_flight.append(asset)
                started.set()

    worker = threading.Thread(target=long_request)
    worker.start()
    assert started.wait(60)
    first.stop()  # graceful: the in-flight request finishes before the server goes away
    worker.join(60)
    assert sorted(a.seed for a in in_flight) == list(range(100, 116))

    retried = {}

    def retrying_client():
        with AssetGenClient(address) as client:
            retried["assets"] = call_with_retry(
                lambda: list(client.generate("cracked marble", "texture", count=6, seed=40, timeout=30)), deadline_s=120)

    worker = threading.Thread(target=retrying_client)
    worker.start()  # starts while nothing listens: UNAVAILABLE, retried
    second = start_server(models_dir, port=port)
    try:
        worker.join(150)
        assert sorted((a.seed, a.sha256) for a in retried["assets"]) == reference
    finally:
        second.stop()


# -- a runner that fails: the server's handling is under test, so a fault injector is fine -------

def faulty_runner(catalog):
    from plugin_service.service import runner

    base = runner.ModelRunner

    class FaultyRunner(base):
        """Raises for prompts containing "explode"; "runs out of memory" above two images a pass."""
        big_batches = 0

        def run(self, batch):
            if any("explode" in p for p in batch.prompts):
                raise ValueError("injected fault: the generator exploded")
            if len(batch.seeds) > 2:
                FaultyRunner.big_batches += 1
                raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 GiB (injected)")
            return super().run(batch)

    return FaultyRunner(catalog, "cpu", 1)


@pytest.fixture(scope="module")
def faulty(models_dir):
    thread = start_server(models_dir, runner_factory=faulty_runner, max_wait_ms=20)
    with AssetGenClient(thread.address) as client:
        client.wait_ready(120)
    yield thread
    thread.stop()


def test_runner_exception_fails_only_that_request_with_internal(faulty):
    with AssetGenClient(faulty.address) as client:
        with pytest.raises(grpc.RpcError) as caught:
            list(client.generate("please explode", "sprite", count=2, seed=3, timeout=60))
        assert caught.value.code() == grpc.StatusCode.INTERNAL and "exploded" in caught.value.details()
        with client.session() as session:
            session.submit("bad", "explode again", "prop", seed=1)
            session.submit("good", "oak door", "texture", seed=2)
            session.close()
            endings = {e.tag: e for e in session if e.done or e.failed}
        assert endings["bad"].code == grpc.StatusCode.INTERNAL and endings["good"].done
        assert client.health_status() == "SERVING"
        assert next(client.generate("still fine", "texture", seed=4, timeout=60)).seed == 4
    assert wait_until(lambda: idle(faulty))


def test_out_of_memory_splits_the_batch_and_gives_the_same_bytes(faulty, client):
    with AssetGenClient(faulty.address) as split_client:
        split = sorted((a.seed, a.sha256) for a in split_client.generate("gold coins", "texture", count=8, seed=70,
                                                                         timeout=120))
    normal = sorted((a.seed, a.sha256) for a in client.generate("gold coins", "texture", count=8, seed=70, timeout=120))
    assert split == normal  # `client` talks to the shared server, whose batches are not split
    assert faulty.server.metrics.registry.get_sample_value("assetgen_oom_splits_total") > 0
