"""`assetgen bench` end to end on the small test model: every path runs and the JSON is complete.

Speed goals live in the command's own report (targets), never in assertions here.
"""
from __future__ import annotations

import json

from plugin_service.cli import main

TEST_MODEL = "assetgen-test"  # built by the conftest models_dir fixture


def test_bench_runs_every_path_and_writes_json(models_dir, tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(["bench", "--models", str(models_dir), "--model", TEST_MODEL, "--device", "cpu", "--kind", "sprite",
                 "--requests", "6", "--concurrency", "1,3", "--precisions", "fp32,int8", "--out", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert result["model"] == TEST_MODEL and result["device"] == "cpu" and result["size"] == 64
    assert result["gflop_per_image"] > 0 and result["peak_gflops"] > 0
    served = (*result["inprocess"].values(), *result["grpc"].values(), *result["grpc_session"].values())
    for path in (result["naive"], *served):
        assert path["requests"] == 6 and path["img_per_s"] > 0 and 0 < path["p50_ms"] <= path["p99_ms"]
    for path in served:  # the scheduler's view of each path: it batched, and was busy part of the time
        assert path["mean_batch"] >= 1 and 0 < path["runner_busy"] <= 1.05 and path["compute_ms_per_img"] > 0
    assert set(result["inprocess"]) == set(result["grpc"]) == set(result["grpc_session"]) == {"1", "3"}
    assert result["executor"] == "torchscript"  # the CPU default (service/cpu_trace.py)
    assert [p["precision"] for p in result["precisions"]] == ["fp32", "int8"]
    assert result["precisions"][0]["psnr_db"] == float("inf")  # fp32 is the reference itself
    table = capsys.readouterr().out
    assert "| optimized gRPC Generate (loopback) | 3 |" in table and "| optimized gRPC Session (loopback) | 3 |" in table and "GFLOP/image" in table
