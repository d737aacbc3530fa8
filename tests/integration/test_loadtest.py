"""`assetgen loadtest`, short: it starts its own server, drives mixed traffic with cancellations,
and reports with zero failures; it refuses non-loopback addresses."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from plugin_service.tools.loadtest import is_loopback

pytestmark = pytest.mark.integration


def test_short_loadtest_has_no_failures(models_dir):
    env = dict(os.environ, ASSETGEN_DEVICE="cpu", ASSETGEN_THREADS="1", ASSETGEN_MODEL="assetgen-test")
    done = subprocess.run(
        [sys.executable, "-m", "plugin_service.cli", "loadtest", "--models", str(models_dir), "--clients", "8",
         "--duration", "3", "--json", "--max-rss-growth", "1.0"],
        env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["failed"] == 0, report["failures"]
    assert report["completed"] > 0 and report["assets"] >= report["completed"]
    assert report["cancelled"] > 0, "the mix includes deliberate cancellations"
    assert report["p50_ms"] is not None and report["p99_ms"] >= report["p50_ms"]
    assert report["server_rss_end_mb"] > 0


@pytest.mark.parametrize("address, ok", [("127.0.0.1:50051", True), ("localhost:1", True), ("[::1]:5", True),
                                         ("10.0.0.7:50051", False), ("example.com:443", False)])
def test_loopback_check(address, ok):
    assert is_loopback(address) is ok


def test_remote_address_is_refused_without_allow_remote():
    done = subprocess.run([sys.executable, "-m", "plugin_service.cli", "loadtest", "--address", "10.0.0.7:50051"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--allow-remote" in done.stderr
