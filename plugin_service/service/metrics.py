"""Prometheus metrics: what an operator watches (queue depth, batch sizes, latency per kind,
rejects, text-embedding cache hits), served on an optional HTTP port (/metrics).

One CollectorRegistry per server, not the process-global one, so several servers in one
process (the tests) never collide. Counters the engine already keeps (TextEncoder hits and
misses, the scheduler's queue) are read when scraped rather than mirrored, so nothing in the
hot path pays for them.
"""
from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .jobs import RunBatch, RunnerWrapper, RunOutput

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter("assetgen_requests", "Finished requests (Generate calls and Session tags)",
                                ["rpc", "kind", "code", "caller"], registry=r)  # callers: tokens file names
        self.rejects = Counter("assetgen_rejects", "Requests refused at the door, by reason",
                               ["reason"], registry=r)
        self.latency = Histogram("assetgen_request_seconds", "Request latency, arrival to last asset",
                                 ["kind", "priority"], buckets=LATENCY_BUCKETS, registry=r)
        self.first_asset = Histogram("assetgen_first_asset_seconds", "Arrival to first asset",
                                     ["kind", "priority"], buckets=LATENCY_BUCKETS, registry=r)
        self.batch_size = Histogram("assetgen_batch_images", "Images per forward pass",
                                    buckets=BATCH_BUCKETS, registry=r)
        self.batch_seconds = Histogram("assetgen_batch_seconds", "Compute time per forward pass",
                                       ["kind"], buckets=LATENCY_BUCKETS, registry=r)
        self._http = None

    def watch(self, scheduler, counters, limits, replicas=None) -> None:
        """Read live state at scrape time: queue depth, open jobs, in-flight, cache counters
        (`counters()`: the runner's, or summed over Ray replicas), and with `replicas()` (Ray
        backend: one snapshot dict per live replica, ray_backend.ReplicaSnapshot) each replica's."""
        self.registry.register(_LiveCollector(scheduler, counters, limits, replicas))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

    def serve_http(self, host: str, port: int) -> None:
        self._http, _thread = start_http_server(port, addr=host, registry=self.registry)
        log.info("metrics on http://%s:%d/metrics", host, port)

    def stop_http(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None


class _LiveCollector:
    def __init__(self, scheduler, counters, limits, replicas) -> None:
        self.scheduler = scheduler
        self.counters = counters
        self.limits = limits
        self.replicas = replicas

    def describe(self):
        return []  # values exist only at scrape time

    def collect(self):
        yield GaugeMetricFamily("assetgen_queue_depth", "Images waiting to be computed",
                                value=self.scheduler.queued_images)
        yield GaugeMetricFamily("assetgen_open_jobs", "Requests the scheduler is still working on",
                                value=self.scheduler.open_jobs)
        yield GaugeMetricFamily("assetgen_in_flight", "Admitted, unfinished requests (all callers)",
                                value=self.limits.in_flight())
        yield GaugeMetricFamily("assetgen_open_sessions", "Open Session streams", value=self.limits.sessions)
        counters = self.counters()
        hits = CounterMetricFamily("assetgen_text_cache", "Prompt embedding cache lookups", labels=["result"])
        hits.add_metric(["hit"], counters.get("text_cache_hits", 0))
        hits.add_metric(["miss"], counters.get("text_cache_misses", 0))
        yield hits
        yield CounterMetricFamily("assetgen_oom_splits", "Batches halved after running out of memory",
                                  value=counters.get("oom_splits", 0))
        if self.replicas is not None:
            yield from _replica_families(self.replicas())


# Ray backend: each replica's own engine, labelled by replica and node (batch histograms stay in
# the replicas' processes; their totals come here).
_REPLICA_FAMILIES = (
    ("queued_images", GaugeMetricFamily, "assetgen_replica_queue_depth", "Images waiting in one replica's queue"),
    ("open_jobs", GaugeMetricFamily, "assetgen_replica_open_jobs", "Requests one replica is working on"),
    ("batches", CounterMetricFamily, "assetgen_replica_batches", "Forward passes one replica ran"),
    ("images", CounterMetricFamily, "assetgen_replica_images", "Images one replica computed"),
    ("compute_s", CounterMetricFamily, "assetgen_replica_compute_seconds", "Time one replica spent in forward passes"),
)


def _replica_families(snapshots: list[dict]):
    yield GaugeMetricFamily("assetgen_replicas", "Live model replicas (Ray backend)", value=len(snapshots))
    for field, family_type, name, text in _REPLICA_FAMILIES:
        family = family_type(name, text, labels=["replica", "node"])
        for snap in snapshots:
            family.add_metric([snap["replica"], snap["node"]], snap[field])
        yield family


class InstrumentedRunner(RunnerWrapper):
    """Wraps a runner to time each forward pass and record its batch size."""

    def __init__(self, inner, metrics: ServiceMetrics) -> None:
        super().__init__(inner)
        self.metrics = metrics

    def run(self, batch: RunBatch) -> RunOutput:
        started = time.perf_counter()
        output = self.inner.run(batch)
        self.metrics.batch_seconds.labels(batch.key.kind).observe(time.perf_counter() - started)
        self.metrics.batch_size.observe(len(batch.seeds))
        return output
