"""`assetgen serve` as a real process: ASSETGEN_* configuration, and graceful SIGTERM
(in-flight work finishes, new calls get UNAVAILABLE, exit code 0)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import grpc
import pytest

from plugin_service.client import AssetGenClient

pytestmark = pytest.mark.integration


def start_serve(models_dir, extra_env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, ASSETGEN_MODELS=str(models_dir), ASSETGEN_PORT="0", ASSETGEN_HOST="127.0.0.1",
               ASSETGEN_DEVICE="cpu", ASSETGEN_THREADS="1", **extra_env)
    proc = subprocess.Popen([sys.executable, "-m", "plugin_service.cli", "serve"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 120
    # The process prints "assetgen: SERVING on HOST:PORT" once warm.
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("assetgen: SERVING on "):
            return proc, line.split()[-1]
    proc.kill()
    raise AssertionError(f"assetgen serve did not become SERVING (exit {proc.poll()})")


def test_sigterm_finishes_in_flight_work_and_refuses_new_calls(models_dir):
    # Batches of 2 make a 24-image request run as 12 sequential forward passes.
    proc, address = start_serve(models_dir, {"ASSETGEN_MODEL": "assetgen-test-textures", "ASSETGEN_MAX_BATCH": "2",
                                             "ASSETGEN_GRACE": "60"})
    try:
        with AssetGenClient(address) as client:
            models, default = client.list_models()
            assert default == "assetgen-test-textures"  # from ASSETGEN_MODEL
            # An open game session with nothing running must not hold the shutdown for the grace period.
            session = client.session()
            session.submit("hello", "door", "texture", seed=9)
            first_end = next(e for e in session if e.done or e.failed)
            assert first_end.done
            received = []
            first = threading.Event()

            def consume():
                for asset in client.generate("long corridor", "texture", size=256, count=24, seed=1, timeout=120):
                    received.append(asset)
                    first.set()

            worker = threading.Thread(target=consume)
            worker.start()
            assert first.wait(60)
            proc.send_signal(signal.SIGTERM)
            sigterm_at = time.monotonic()
            # Shutting down: health leaves SERVING, and a new call is refused.
            deadline = time.monotonic() + 10
            while client.health_status() == "SERVING" and time.monotonic() < deadline:
                time.sleep(0.05)
            with AssetGenClient(address) as fresh, pytest.raises(grpc.RpcError) as caught:
                next(fresh.generate("too late", "texture", seed=2, timeout=10))
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
            timer = threading.Timer(30, session.abort)
            timer.start()
            assert list(session) == [], "the idle session ends cleanly (an abort would raise CANCELLED)"
            timer.cancel()
            worker.join(120)
        assert sorted(a.seed for a in received) == list(range(1, 25)), "in-flight request must finish"
        assert proc.wait(60) == 0
        assert time.monotonic() - sigterm_at < 40, "shutdown waited for the whole 60 s grace period"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_reports_a_missing_models_folder(tmp_path):
    env = dict(os.environ, ASSETGEN_MODELS=str(tmp_path / "nothing-here"), ASSETGEN_PORT="0")
    done = subprocess.run([sys.executable, "-m", "plugin_service.cli", "serve"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "does not exist" in done.stderr and "--models" in done.stderr
