"""Scale-out on Ray Serve (`assetgen serve --backend ray`): the front door stays in this process,
the models run in N replicas.

    client -> this process: interceptors, servicer, front door (auth, limits, metrics, health, TLS)
           -> RayScheduler.submit(job) -> DeploymentHandle(stream=True).generate(job)
           -> AssetReplica (a Ray Serve replica): the local engine (engine.py: scheduler + runner on
              one device), so requests of many clients still meet in one batch inside a replica
           -> AssetResults stream back through the handle -> servicer -> client

The servicer sees the scheduler interface it knows (submit -> JobStream, cancel, drain, close), so
every front end (gRPC Generate and Session, HTTP/JSON, gRPC-Web) works unchanged.

Failures become the answers the clients' retry helpers already understand:
- a replica's own refusal (its queue is full: RESOURCE_EXHAUSTED with retry-after) comes back as
  the ServiceError it raised;
- every replica at its limit of ongoing requests and the handle's queue full (Ray's
  BackPressureError): RESOURCE_EXHAUSTED with retry-after;
- a replica that died or cannot be reached (its process killed, its node lost): UNAVAILABLE with
  retry-after. Ray Serve starts a new replica; a retry with the same seed gives the same bytes
  on any replica (determinism: docs/DESIGN.md).

Autoscaling (`--min-replicas`, `--max-replicas`) is Ray Serve's: the metric is ongoing requests per
replica (requests routed to a replica and not finished: queued in its scheduler or computing), the
target `--target-ongoing-requests`. Replicas push a snapshot of their engine (queue, batches, cache
counters, node) to one named actor every REPORT_INTERVAL_S; the front door reads them for metrics.

Ray is never started implicitly in this process (Ray's auto-connect is off, below): a stray
`ray.init()` from a Serve thread after shutdown once started a second Ray instance whose driver
then ended the process with status 1.

Ray's core worker (started by `ray.init()`) installs Abseil's failure signal handler for SIGTERM:
it prints a stack, passes the signal on, and arms a 3 s alarm that aborts the process (SIGABRT),
which would cut the server's graceful shutdown (`--grace`) to 3 s. The scheduler gives SIGTERM back
to Python's handler right after connecting (`_reclaim_sigterm`).
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import threading
import time
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_AUTO_CONNECT", "0")  # read by ray at import; also set below

import ray  # noqa: E402
from ray import serve  # noqa: E402
from ray._private import auto_init_hook  # noqa: E402
from ray.serve.config import ProxyLocation  # noqa: E402
from ray.serve.exceptions import BackPressureError, RequestCancelledError  # noqa: E402

from .catalog import ModelCatalog  # noqa: E402
from .config import REPLICA_SETTINGS, ServiceConfig  # noqa: E402
from .jobs import AssetResult, Job, RetryLater, ServiceError  # noqa: E402
from .metrics import ServiceMetrics  # noqa: E402
from .scheduler import UNAVAILABLE_RETRY_MS, JobStream, unavailable  # noqa: E402

auto_init_hook.enable_auto_connect = False  # in case ray was imported before the variable was set

log = logging.getLogger(__name__)

APP_NAME = "assetgen"                    # the Serve application (a RayService names it the same)
DEPLOYMENT_NAME = "AssetReplica"
NAMESPACE = "assetgen"                   # Ray namespace of the front door and the stats actor
DEPLOY_POLL_S = 0.5                      # how often start() checks whether the replicas run
STATS_ACTOR = "assetgen-replica-stats"
REPORT_INTERVAL_S = 0.5                  # how often a replica pushes its snapshot
STALE_AFTER_S = 5.0                      # a replica silent this long is gone (metrics drop it)
FULL_RETRY_MS = 200                      # every replica full: about one batch's time on a CPU replica
# Autoscaling reaction times: fast up (queued work waits), slow down (a new replica costs a model load).
UPSCALE_DELAY_S, DOWNSCALE_DELAY_S = 2.0, 60.0


def replica_settings(config: ServiceConfig) -> dict:
    """The per-replica part of the front door's config (REPLICA_SETTINGS), as JSON-able values:
    what the deployment is built with (and what a RayService's serve config gives as `args`)."""
    values = {name: getattr(config, name) for name in REPLICA_SETTINGS}
    values["models"] = str(os.path.abspath(values["models"]))
    values["capture_texture_sizes"] = list(values["capture_texture_sizes"])
    return values


def replica_config(settings: dict) -> ServiceConfig:
    """A replica's ServiceConfig from `settings`. Raises ValueError naming unknown keys (only
    REPLICA_SETTINGS apply inside a replica) and every invalid value."""
    unknown = sorted(set(settings) - set(REPLICA_SETTINGS))
    if unknown:
        raise ValueError(f"unknown replica settings {unknown}; a replica takes {', '.join(REPLICA_SETTINGS)} "
                         "(limits, auth and TLS apply at the front door)")
    values = dict(settings)
    if "models" in values:
        values["models"] = Path(values["models"])
    if "capture_texture_sizes" in values:
        values["capture_texture_sizes"] = tuple(values["capture_texture_sizes"])
    return ServiceConfig(**values)


@ray.remote(num_cpus=0)
class ReplicaStats:
    """The latest snapshot of each replica's engine (ReplicaSnapshot dicts), keyed by replica id."""

    def __init__(self) -> None:
        self._latest: dict[str, tuple[float, dict]] = {}

    def report(self, snapshot: dict) -> None:
        self._latest[snapshot["replica"]] = (time.monotonic(), snapshot)

    def latest(self, max_age_s: float = STALE_AFTER_S) -> list[dict]:
        now = time.monotonic()
        self._latest = {k: v for k, v in self._latest.items() if now - v[0] <= max_age_s}
        return [snapshot for _, snapshot in self._latest.values()]


@serve.deployment(name=DEPLOYMENT_NAME)
class AssetReplica:
    """One model replica: the local engine (scheduler + runner) on this replica's device.

    `generate(job, timeout_s)` streams the job's AssetResults; a refusal or failure is yielded as
    the ServiceError itself (last item), so it crosses Ray intact."""

    async def __init__(self, settings: dict) -> None:
        from .engine import local_engine

        config = replica_config(settings)
        self.catalog = ModelCatalog.scan(config.models, config.model)
        self.runner, self.scheduler = local_engine(self.catalog, config, ServiceMetrics())
        await self.scheduler.start()   # load + warm: Serve marks the replica ready after this
        self.replica = serve.get_replica_context().replica_id.unique_id
        self.node = ray.get_runtime_context().get_node_id()
        self._reporter = asyncio.get_running_loop().create_task(self._report_forever())
        log.info("replica %s on node %s: %s", self.replica, self.node, self.runner.device)

    async def generate(self, job: Job, timeout_s: float | None):
        # Deadlines travel as time left: monotonic clocks differ between machines.
        job = dataclasses.replace(job, deadline=None if timeout_s is None else time.monotonic() + timeout_s)
        try:
            stream = self.scheduler.submit(job)
        except ServiceError as e:
            yield e
            return
        try:
            async for result in stream:
                yield result
        except ServiceError as e:
            yield e
        finally:
            if not stream.finished:   # the front door cancelled (client gone): stop spending compute
                self.scheduler.cancel(job)

    def snapshot(self) -> dict:
        """ReplicaSnapshot: replica, node, pid, queued_images, open_jobs, batches, images,
        compute_s, counters (the runner's: text cache, OOM splits)."""
        stats = self.scheduler.stats
        return {"replica": self.replica, "node": self.node, "pid": os.getpid(),
                "queued_images": self.scheduler.queued_images, "open_jobs": self.scheduler.open_jobs,
                "batches": stats.batches, "images": stats.images, "compute_s": stats.compute_s,
                "counters": self.runner.counters()}

    async def _report_forever(self) -> None:
        actor = None
        while True:
            try:
                if actor is None:
                    actor = ray.get_actor(STATS_ACTOR, namespace=NAMESPACE)
                actor.report.remote(self.snapshot())
            except ValueError:
                pass  # no front door has created the stats actor (yet): nothing reads snapshots
            except Exception:  # a lost actor (front door restarted): look it up again
                actor = None
            await asyncio.sleep(REPORT_INTERVAL_S)


def app(args: dict):
    """Serve application builder (`import_path: plugin_service.service.ray_backend:app` in a Serve
    config or RayService): `args` are replica settings (REPLICA_SETTINGS names)."""
    replica_config(args)  # refuse a bad config at deploy time, not in every replica
    return AssetReplica.bind(dict(args))


def deployment_options(config: ServiceConfig, gpus: bool) -> dict:
    """Ray Serve options for the replicas from the front door's flags. A replica admits up to its
    own queue bound in requests (each is at least one image; beyond that its scheduler answers
    RESOURCE_EXHAUSTED), and the handle queues as many more before BackPressureError."""
    options = {
        "max_ongoing_requests": config.max_queued_images,
        "max_queued_requests": config.max_queued_images,
        "ray_actor_options": {"num_cpus": max(1, config.threads), "num_gpus": 1 if gpus else 0},
    }
    if config.max_replicas:
        options["autoscaling_config"] = {
            "min_replicas": config.min_replicas, "max_replicas": config.max_replicas,
            "initial_replicas": max(config.min_replicas, min(config.replicas, config.max_replicas)),
            "target_ongoing_requests": config.target_ongoing_requests,
            "upscale_delay_s": UPSCALE_DELAY_S, "downscale_delay_s": DOWNSCALE_DELAY_S,
        }
    else:
        options["num_replicas"] = config.replicas
    return options


def _warn_if_unplaceable(options: dict) -> None:
    """Log, before deploying, when the replicas asked for need more CPUs or GPUs than the cluster
    has now: they then wait (for ever, unless an autoscaling cluster adds nodes)."""
    per = options["ray_actor_options"]
    count = options.get("num_replicas") or options["autoscaling_config"]["initial_replicas"]
    have = ray.cluster_resources()
    short = [f"{count * per[key]:g} {name} (the cluster has {have.get(name, 0):g})"
             for key, name in (("num_cpus", "CPU"), ("num_gpus", "GPU")) if count * per[key] > have.get(name, 0)]
    if short:
        log.warning("%d replica(s) need %s: they wait until the cluster grows; lower --replicas or "
                    "--threads (CPUs per replica), or add nodes", count, " and ".join(short))


def _reclaim_sigterm() -> None:
    """Reinstall Python's own SIGTERM handler (the server's graceful stop) over the one Ray's core
    worker installed (module docstring). Signal handlers belong to the main thread: a server run
    in another thread (tests) has none to reclaim."""
    handler = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is threading.main_thread() and callable(handler):
        signal.signal(signal.SIGTERM, handler)


def _translate(error: BaseException) -> ServiceError:
    """A Ray failure as the answer a client can act on."""
    if isinstance(error, ServiceError):
        return error
    if isinstance(error, BackPressureError):
        return RetryLater("RESOURCE_EXHAUSTED", "every model replica is at its limit and the queue in front of them "
                          "is full; ask for fewer assets or", FULL_RETRY_MS, "queue")
    if isinstance(error, (RequestCancelledError, asyncio.CancelledError)):
        return ServiceError("CANCELLED", "the request was cancelled")
    if isinstance(error, (ray.exceptions.RayActorError, serve.exceptions.DeploymentUnavailableError,
                          serve.exceptions.ReplicaUnavailableError)):
        return RetryLater("UNAVAILABLE", "the model replica computing this request stopped (a new one is being "
                          "started); a retry with the same seed gives the same bytes", UNAVAILABLE_RETRY_MS, "replica")
    log.error("replica call failed: %r", error)
    return ServiceError("INTERNAL", f"generation failed on a replica: {type(error).__name__}")


class RayScheduler:
    """The scheduler interface of scheduler.Scheduler (start, submit, cancel, drain, close,
    queued_images, open_jobs) over Ray Serve replicas. Use inside the server's event loop."""

    def __init__(self, catalog: ModelCatalog, config: ServiceConfig) -> None:
        self.catalog = catalog
        self.config = config
        self.ready = False
        self._draining = False
        self._handle = None
        self._stats_actor = None
        self._snapshots: list[dict] = []
        self._streams: dict[Job, JobStream] = {}
        self._responses: dict[Job, object] = {}
        self._pumps: set[asyncio.Task] = set()
        self._poller: asyncio.Task | None = None
        self._started_ray = False
        self._owns_app = False

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect to (or start) Ray, deploy the replicas (or attach to the `assetgen` app a
        RayService already runs), and return once a replica is warm."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._connect_and_deploy, loop)
        self._poller = loop.create_task(self._poll_stats())
        self.ready = True

    def _connect_and_deploy(self, loop: asyncio.AbstractEventLoop) -> None:
        if not ray.is_initialized():
            if self.config.ray_address:
                ray.init(address=self.config.ray_address, namespace=NAMESPACE, log_to_driver=False)
            else:
                # One machine: Ray on loopback, CPUs as logical resources for the replicas.
                ray.init(namespace=NAMESPACE, include_dashboard=False, log_to_driver=False,
                         _node_ip_address="127.0.0.1")
                self._started_ray = True
            loop.call_soon_threadsafe(_reclaim_sigterm)
        self._stats_actor = ReplicaStats.options(name=STATS_ACTOR, namespace=NAMESPACE, get_if_exists=True).remote()
        running = serve.status().applications.get(APP_NAME) if self._serve_running() else None
        if running is not None and str(running.status).endswith("RUNNING"):
            log.info("attaching to the running Serve application %r (deployed elsewhere, e.g. by a RayService)", APP_NAME)
            self._handle = serve.get_app_handle(APP_NAME)
            return
        serve.start(proxy_location=ProxyLocation.Disabled)
        gpus = self.config.device == "cuda" or (
            self.config.device == "auto" and ray.cluster_resources().get("GPU", 0) >= 1)
        options = deployment_options(self.config, gpus)
        _warn_if_unplaceable(options)
        replica = AssetReplica.options(**options)
        # Not serve.run: it waits for RUNNING in silence. Waiting here logs Ray's messages about
        # pending replicas, and a drain (the server stopped while warming) ends the wait.
        handle = serve._run(replica.bind(replica_settings(self.config)), name=APP_NAME, route_prefix=None,
                            _blocking=False)
        self._owns_app = True
        self._wait_until_running()
        self._handle = handle

    def _wait_until_running(self) -> None:
        """Poll the Serve application until it is RUNNING. Raises RuntimeError with Ray's message
        when the deployment fails, or when the server shuts down first; logs each new message
        Ray gives while replicas are pending (e.g. the resources a replica waits for)."""
        last = ""
        while not self._draining:
            app = serve.status().applications.get(APP_NAME)
            status = str(app.status) if app is not None else "NOT_STARTED"
            if status.endswith("RUNNING"):
                return
            if status.endswith(("DEPLOY_FAILED", "UNHEALTHY")):
                raise RuntimeError(f"Ray Serve could not deploy {APP_NAME!r}: {app.message}")
            message = "; ".join(d.message for d in app.deployments.values() if d.message) if app is not None else ""
            if message and message != last:
                log.warning("replicas not running yet: %s", message)
                last = message
            time.sleep(DEPLOY_POLL_S)
        raise RuntimeError("shut down while the replicas were deploying")

    @staticmethod
    def _serve_running() -> bool:
        try:
            serve.context._get_global_client()
            return True
        except Exception:  # no Serve controller in this cluster yet
            return False

    def describe(self) -> str:
        return f"Ray Serve replicas ({len(self._snapshots)} reporting)"

    @property
    def draining(self) -> bool:
        return self._draining

    def drain(self) -> None:
        self._draining = True

    async def close(self) -> None:
        self.drain()
        if self._poller is not None:
            self._poller.cancel()
        for job, stream in list(self._streams.items()):
            stream._fail(unavailable("shut_down"))
            self._cancel_response(job)
        for task in list(self._pumps):
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        self.ready = False
        if ray.is_initialized():
            await asyncio.get_running_loop().run_in_executor(None, self._shutdown_ray)

    def _shutdown_ray(self) -> None:
        if self._started_ray:
            serve.shutdown()   # and with it the app: no serve.delete, which waits ~20 s for replicas still pending
        elif self._owns_app:
            serve.delete(APP_NAME)
        ray.shutdown()

    # ---- requests --------------------------------------------------------------------------
    def submit(self, job: Job) -> JobStream:
        if self._draining:
            raise unavailable("draining")
        if not self.ready:
            raise unavailable("warming")
        stream = JobStream(job)
        timeout_s = None if job.deadline is None else max(0.0, job.deadline - time.monotonic())
        response = self._handle.options(stream=True).generate.remote(
            dataclasses.replace(job, deadline=None), timeout_s)
        self._streams[job] = stream
        self._responses[job] = response
        task = asyncio.get_running_loop().create_task(self._pump(stream, response))
        self._pumps.add(task)
        task.add_done_callback(self._pumps.discard)
        return stream

    async def _pump(self, stream: JobStream, response) -> None:
        try:
            async for event in response:
                if isinstance(event, ServiceError):
                    stream._fail(event)
                    break
                assert isinstance(event, AssetResult)
                stream._deliver(event)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            stream._fail(_translate(e))
        finally:
            if not stream.finished:   # the replica ended the stream early: never leave a caller waiting
                stream._fail(ServiceError("INTERNAL", "a replica ended the stream before all assets were sent"))
            self._streams.pop(stream.job, None)
            self._responses.pop(stream.job, None)

    def cancel(self, job: Job, message: str = "cancelled by the client") -> None:
        stream = self._streams.get(job)
        job.cancelled = True
        if stream is not None:
            stream._fail(ServiceError("CANCELLED", message))
        self._cancel_response(job)

    def _cancel_response(self, job: Job) -> None:
        response = self._responses.pop(job, None)
        if response is not None:
            response.cancel()   # the replica's generate() sees CancelledError and drops the job

    # ---- what metrics read ----------------------------------------------------------------------
    async def _poll_stats(self) -> None:
        while True:
            try:
                self._snapshots = await self._stats_actor.latest.remote()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("could not read replica snapshots: %r", e)
            await asyncio.sleep(REPORT_INTERVAL_S)

    def replica_snapshots(self) -> list[dict]:
        """One dict per replica that reported in the last STALE_AFTER_S (AssetReplica.snapshot)."""
        return list(self._snapshots)

    @property
    def queued_images(self) -> int:
        return sum(s["queued_images"] for s in self._snapshots)

    @property
    def open_jobs(self) -> int:
        """Jobs this front door still streams (0 when idle)."""
        return len(self._streams)

    def counters(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for snap in self._snapshots:
            for name, value in snap["counters"].items():
                total[name] = total.get(name, 0) + value
        return total
