"""Ray Serve scenarios, run by test_ray_cluster.py inside a network namespace with only loopback
(so every Ray socket is on 127.0.0.1). Real Ray, real replicas, real gRPC clients; not collected
on their own (the file name has no test_ prefix)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from conftest import TEST_MODEL, ServerThread

sys.path.insert(0, str(Path(__file__).parent.parent / "integration"))
from server_helpers import start_server, wait_until  # noqa: E402

from plugin_service.client import AssetGenClient
from plugin_service.client.retry import call_with_retry, is_retryable
from plugin_service.service.config import ServiceConfig

PROMPT = "goblin archer"


def ray_server(models_dir, **overrides) -> ServerThread:
    values = dict(host="127.0.0.1", port=0, models=models_dir, model=TEST_MODEL, device="cpu", threads=1,
                  backend="ray", replicas=2)
    values.update(overrides)
    thread = ServerThread(ServiceConfig(**values)).start()
    thread.warm()
    with AssetGenClient(thread.address) as client:
        client.wait_ready(timeout=120)   # replicas deployed and warm: health SERVING
    return thread


def by_index(assets) -> list[bytes]:
    return [a.data for a in sorted(assets, key=lambda a: a.index)]


def served_by_every_replica(server, client, seed: int, expected: list[bytes], replicas: int = 2) -> list[dict]:
    """Rounds of 8 concurrent copies of one request until `replicas` replicas have each computed
    some (an idle router may send sequential requests to one replica); every answer must be
    `expected`. Returns the replicas' snapshots."""
    from concurrent.futures import ThreadPoolExecutor

    for _ in range(15):
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: by_index(client.generate(PROMPT, kind="sprite", count=2, seed=seed)), range(8)))
        assert all(a == expected for a in answers)
        time.sleep(1.0)   # replicas report every 0.5 s
        snaps = server.server.scheduler.replica_snapshots()
        if len(snaps) >= replicas and all(s["images"] > 0 for s in snaps):
            return snaps
    raise AssertionError(f"not every replica served: {server.server.scheduler.replica_snapshots()}")


def snapshots(server, count: int) -> list[dict]:
    """Wait until `count` replicas report, then return their snapshots."""
    assert wait_until(lambda: len(server.server.scheduler.replica_snapshots()) >= count, timeout=30)
    return server.server.scheduler.replica_snapshots()


@pytest.fixture(scope="module")
def local_bytes(models_dir):
    """What the local backend gives for the requests below (the reference)."""
    server = start_server(models_dir)
    try:
        with AssetGenClient(server.address) as client:
            yield lambda seed: by_index(client.generate(PROMPT, kind="sprite", count=2, seed=seed))
    finally:
        server.stop()


def test_every_replica_gives_the_local_bytes_and_a_killed_replica_costs_clients_nothing(models_dir, local_bytes):
    server = ray_server(models_dir, max_batch=2)
    try:
        client = AssetGenClient(server.address)
        # Same request many times: both replicas serve it, every answer equals the local backend's.
        snaps = served_by_every_replica(server, client, 5, local_bytes(5))
        assert len(snaps) == 2, snaps

        # 32 Generate clients with call_with_retry, and a Session submitting tag after tag.
        expected = {seed: local_bytes(seed) for seed in range(32 * 3)}
        errors: list[grpc.StatusCode] = []
        results: dict[int, list[bytes]] = {}
        stop = threading.Event()

        def generate_client(i: int) -> None:
            with AssetGenClient(server.address) as own:
                for k in range(3):
                    seed = i * 3 + k

                    def attempt(seed=seed):
                        try:
                            return by_index(own.generate(PROMPT, kind="sprite", count=2, seed=seed, timeout=60))
                        except grpc.RpcError as e:
                            errors.append(e.code())
                            raise
                    results[seed] = call_with_retry(attempt, deadline_s=120)

        tags: list = []

        def session_client() -> None:
            with AssetGenClient(server.address) as own, own.session() as session:
                events = iter(session)
                n = 0
                while not stop.is_set():
                    tag = f"t{n}"
                    session.submit(tag, PROMPT, kind="sprite", count=4, seed=1000 + n)
                    for event in events:
                        if event.done or event.failed:
                            tags.append((time.monotonic(), event))
                            break
                    n += 1

        threads = [threading.Thread(target=generate_client, args=(i,)) for i in range(32)]
        session_thread = threading.Thread(target=session_client)
        for t in threads + [session_thread]:
            t.start()
        assert wait_until(lambda: len(results) >= 8, timeout=60)
        victim = max(server.server.scheduler.replica_snapshots(), key=lambda s: s["open_jobs"])
        os.kill(victim["pid"], signal.SIGKILL)
        killed_at = time.monotonic()
        for t in threads:
            t.join(180)
        # Ray brings the replica back (a new process).
        assert wait_until(lambda: len({s["pid"] for s in server.server.scheduler.replica_snapshots()} - {victim["pid"]}) >= 2,
                          timeout=90), server.server.scheduler.replica_snapshots()
        assert wait_until(lambda: any(at > killed_at + 1 and e.done for at, e in tags), timeout=60)
        stop.set()
        session_thread.join(60)

        assert results == expected                       # every client got the right bytes in the end
        assert set(errors) <= {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED}, errors
        assert grpc.StatusCode.UNAVAILABLE in errors       # the kill really hit requests in flight
        failed = [e for _, e in tags if e.failed]
        assert all(e.retry_after_ms > 0 and e.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)
                   for e in failed), failed
        client.close()
    finally:
        server.stop()


def test_a_full_replica_answers_resource_exhausted_with_a_retry_hint(models_dir):
    server = ray_server(models_dir, replicas=1, max_batch=1, max_queued_images=4)
    try:
        codes, hints = [], []

        def one(i: int) -> None:
            with AssetGenClient(server.address) as own:
                try:
                    list(own.generate(PROMPT, kind="sprite", count=4, seed=i))
                    codes.append(grpc.StatusCode.OK)
                except grpc.RpcError as e:
                    codes.append(e.code())
                    hints.append(is_retryable(e))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes and grpc.StatusCode.OK in codes, codes
        assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}, codes
        assert hints and all(hints)
    finally:
        server.stop()


def test_autoscaling_adds_a_replica_under_queued_work(models_dir):
    server = ray_server(models_dir, replicas=1, min_replicas=1, max_replicas=2, target_ongoing_requests=1,
                        max_batch=1)
    try:
        assert len(snapshots(server, 1)) == 1
        stop = threading.Event()

        def load(i: int) -> None:
            with AssetGenClient(server.address) as own:
                while not stop.is_set():
                    call_with_retry(lambda: list(own.generate(PROMPT, kind="sprite", count=4, seed=i)), deadline_s=60)

        threads = [threading.Thread(target=load, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        scaled = wait_until(lambda: len(server.server.scheduler.replica_snapshots()) >= 2, timeout=90)
        stop.set()
        for t in threads:
            t.join(60)
        assert scaled, "autoscaling never added a second replica under 8 clients' queued work"
    finally:
        server.stop()


def test_a_two_node_cluster_serves_from_both_nodes(models_dir, local_bytes):
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "node_ip_address": "127.0.0.1"})
    cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    try:
        # One CPU a node and one a replica: the two replicas land on different nodes.
        server = ray_server(models_dir, ray_address=cluster.address)
        try:
            with AssetGenClient(server.address) as client:
                snaps = served_by_every_replica(server, client, 9, local_bytes(9))
            assert len({s["node"] for s in snaps}) == 2, snaps
        finally:
            server.stop()
    finally:
        cluster.shutdown()


def test_replicas_the_cluster_cannot_place_are_named_and_sigterm_still_stops_the_server(models_dir):
    """`assetgen serve --backend ray` asking for more CPUs than the cluster has: the log says what
    is missing and how to fix it, health stays NOT_SERVING, and SIGTERM ends the process with
    status 0 while the replicas are still waiting to be placed. SIGTERM reaches the server's own
    handler, not the one Ray's core worker installs (it prints "*** SIGTERM received" and aborts
    the process 3 s later, cutting any drain that takes longer; ray_backend.py)."""
    env = dict(os.environ, ASSETGEN_MODELS=str(models_dir), ASSETGEN_MODEL=TEST_MODEL, ASSETGEN_PORT="0",
               ASSETGEN_HOST="127.0.0.1", ASSETGEN_DEVICE="cpu", ASSETGEN_BACKEND="ray", ASSETGEN_REPLICAS="2",
               ASSETGEN_THREADS="64")
    proc = subprocess.Popen([sys.executable, "-m", "plugin_service.cli", "serve"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        assert wait_until(lambda: any("replica(s) need 128 CPU" in line for line in lines), timeout=120), lines
        port = next(int(m.group(1)) for line in lines if (m := re.search(r"listening on 127\.0\.0\.1:(\d+)", line)))
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        assert status.status == health_pb2.HealthCheckResponse.NOT_SERVING
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0, lines[-20:]
        reader.join(timeout=10)
        assert not any("SIGTERM received" in line for line in lines), lines[-20:]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
