"""Scale-out on Ray Serve (service/ray_backend.py), tested on real local Ray clusters.

Ray's processes talk over the machine's own address even when told 127.0.0.1, so the scenarios
(ray_scenarios.py) run in a network namespace this test makes (`unshare --net`, loopback only):
there, every socket Ray opens is on loopback. Needs root (CI runs as root) and the ray extra."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="pip install -e '.[ray]'")
pytestmark = pytest.mark.slow

HERE = Path(__file__).parent


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare for a loopback-only namespace")
def test_ray_scenarios_in_a_loopback_only_namespace():
    # -p no:hypothesispytest: its end-of-session import parses ASTs while Ray's threads wind down,
    # which CPython 3.11 answers with "AST constructor recursion depth mismatch" (exit status 1).
    inner = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:hypothesispytest", "-p", "no:cacheprovider",
             "-p", "no:warnings", str(HERE / "ray_scenarios.py")]
    script = "ip link set lo up && exec " + " ".join(inner)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "RAY_ENABLE_AUTO_CONNECT": "0"}
    proc = subprocess.run(["unshare", "--net", "sh", "-c", script], cwd=HERE.parent.parent, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-20000:] + proc.stderr[-5000:]
    assert " passed" in proc.stdout and " failed" not in proc.stdout
