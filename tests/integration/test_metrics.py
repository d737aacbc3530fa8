"""Observability against a real server: Prometheus metrics over HTTP, the retry hint on a
rate-limited call, and JSON log lines that carry request ids and caller names."""
from __future__ import annotations

import json
import logging
import urllib.request

import grpc
import pytest
from server_helpers import free_port, start_server

from plugin_service.client import AssetGenClient, build_request
from plugin_service.service import logs

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def observed(models_dir):
    thread = start_server(models_dir, metrics_port=free_port(), anonymous_rate_per_second=1.0, anonymous_rate_burst=12)
    with AssetGenClient(thread.address) as client:
        client.wait_ready(120)
    yield thread
    thread.stop()


def scrape(thread) -> dict[str, float]:
    url = f"http://127.0.0.1:{thread.config.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as reply:
        text = reply.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_metrics_endpoint_reports_latency_batches_cache_and_rejects(observed):
    with AssetGenClient(observed.address) as client:
        for seed in (1, 2):  # the same prompt twice: the second embedding comes from the cache
            list(client.generate("goblin archer", "sprite", count=2, seed=seed, timeout=60))
        list(client.generate("oak door", "texture", seed=3, priority="background", timeout=60))
        refused = None
        for seed in range(30):  # far past the burst of 12 at 1 request/s
            try:
                list(client.generate("rush", "prop", seed=seed, timeout=60))
            except grpc.RpcError as e:
                refused = e
                break
    assert refused is not None and refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    trailers = dict(refused.trailing_metadata())
    assert int(trailers["retry-after-ms"]) > 0 and "retry after" in refused.details()
    assert trailers["x-request-id"]

    samples = scrape(observed)
    assert samples['assetgen_request_seconds_count{kind="sprite",priority="interactive"}'] == 2
    assert samples['assetgen_request_seconds_count{kind="texture",priority="background"}'] == 1
    assert samples['assetgen_first_asset_seconds_count{kind="sprite",priority="interactive"}'] == 2
    assert samples["assetgen_batch_images_count"] >= 3 and samples["assetgen_batch_images_sum"] >= 5
    assert samples['assetgen_text_cache_total{result="hit"}'] >= 1
    assert samples['assetgen_rejects_total{reason="rate"}'] == 1
    assert samples["assetgen_queue_depth"] == 0 and samples["assetgen_in_flight"] == 0
    assert any(k.startswith("assetgen_requests_total{") and 'caller="anonymous"' in k for k in samples)


def test_json_log_lines_carry_request_id_and_caller(observed):
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs._ContextFilter())
    access = logging.getLogger("assetgen.access")
    access.addHandler(handler)
    old_level = access.level
    access.setLevel(logging.INFO)
    try:
        with AssetGenClient(observed.address) as client:
            call = client.stub.Generate(
                build_request("mossy", "texture", seed=8),
                metadata=(("x-request-id", "level-load-42"),), timeout=60)
            try:
                list(call)
            except grpc.RpcError:
                pass  # the previous test used up the rate budget; refusals are logged just the same
            assert dict(call.trailing_metadata())["x-request-id"] == "level-load-42"
    finally:
        access.removeHandler(handler)
        access.setLevel(old_level)
    entries = [json.loads(line) for line in lines]
    mine = [e for e in entries if e.get("request_id") == "level-load-42"]
    assert mine and mine[-1]["caller"] == "anonymous" and mine[-1]["rpc"] == "Generate"
    assert mine[-1]["code"] in ("OK", "RESOURCE_EXHAUSTED")
