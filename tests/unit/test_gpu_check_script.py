"""scripts/gpu_check.sh's CPU fallback (DEVICE=cpu): the same steps, a complete JSON report.

The GPU run itself needs a GPU session; this keeps the script from rotting until then.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_cpu_quick_mode_writes_a_report(models_dir, tmp_path):
    env = {**os.environ, "DEVICE": "cpu", "OUT": str(tmp_path), "MODELS": str(models_dir), "MODEL": "assetgen-test",
           "PYTHON": sys.executable}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh")], env=env, capture_output=True, text=True,
                          timeout=400)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "gpu_report.json").read_text())
    assert report["ok"] and report["device"] == "cpu" and report["bench_rc"] == 0
    assert report["tests"]["failures"] == report["tests"]["errors"] == 0
    assert report["tests"]["tests"] >= 1  # collected (and skipped here, without CUDA)
    bench = report["bench"]
    assert bench["device"] == "cpu" and set(bench["grpc"]) == {"1", "4"}
    assert [p["precision"] for p in bench["precisions"]] == ["fp32", "bf16"]
