"""The small typed objects that pass between servicer, scheduler and runner.

Only the servicer knows proto messages; from it inward a request is an AssetRequest (as asked),
then a Job (validated), then one WorkItem per image; results come back as AssetResult. Failures
travel as ServiceError with a gRPC status code *name*, so no stage below the servicer imports grpc.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

# The pixel pipeline's version: bumped by every change that gives other bytes for the same request
# and model (text encoding, post-processing, encoding). Assets and ListModels carry it, and the
# cache key includes it, so no cache serves bytes of an older pipeline.
#   1: until model 0.4.0's server.
#   2: alpha bleeding under alpha 0 (and on every DDS mip), colour mips in linear light, normal mips
#      renormalised, each prompt's embedding computed alone.
PIPELINE_VERSION = 2

from ..asset import AssetInfo
from ..vocabulary import FORMATS, FORMATS_WITHOUT_ALPHA, PRIORITIES  # noqa: F401  (the service's names, defined once)
from ..vocabulary import KINDS as KIND_NAMES  # noqa: F401
from ..vocabulary import MAPS as MAP_NAMES  # noqa: F401


class ServiceError(Exception):
    """A request-level failure: `code` is a grpc.StatusCode name, `message` says what to change."""

    retry_after_ms: int | None = None   # set only by RetryLater: the failure is an answer otherwise

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    def __reduce__(self):
        # Crosses processes (Ray replicas -> front door) as what it means: subclasses with other
        # constructors (QueueFull) arrive as a ServiceError or RetryLater with the same fields.
        return _rebuild_error, (self.code, self.message, self.retry_after_ms, getattr(self, "reason", ""))


class RetryLater(ServiceError):
    """A refusal the server means as "try again later" (RESOURCE_EXHAUSTED: queue full or over a
    limit; UNAVAILABLE: warming up or shutting down), with when: `retry_after_ms`. It travels as
    `retry-after-ms` trailing metadata, as TagError.retry_after_ms, and in the message; the
    clients' retry helpers retry these and nothing the server refused otherwise. `reason` is a
    short label for metrics ("queue", "rate", "in_flight", "sessions", "warming", "draining")."""

    def __init__(self, code: str, message: str, retry_after_ms: int, reason: str) -> None:
        super().__init__(code, f"{message}; retry after {retry_after_ms} ms")
        self.retry_after_ms = retry_after_ms
        self.reason = reason


def _rebuild_error(code: str, message: str, retry_after_ms: int | None, reason: str) -> ServiceError:
    if retry_after_ms is None:
        return ServiceError(code, message)
    error = RetryLater.__new__(RetryLater)
    ServiceError.__init__(error, code, message)   # the message already names the retry hint
    error.retry_after_ms, error.reason = retry_after_ms, reason
    return error


@dataclass(frozen=True)
class AssetRequest:
    """What the client asked for, decoded from the wire but not yet checked."""
    prompt: str
    kind: str                         # a KIND_NAMES entry, or whatever unknown value arrived
    model: str = ""                   # "" = the server's default
    width: int = 0                    # 0 = the kind's native size
    height: int = 0
    count: int = 1
    seed: int | None = None           # None = the server picks
    format: str = "png"
    tileable: bool | None = None      # None = the kind's default
    priority: str = "interactive"
    timeout_s: float | None = None    # None = no deadline
    tag: str = ""                     # Session tag; "" for Generate
    maps: tuple[str, ...] = ()        # material maps (MAP_NAMES entries); () = albedo only
    vary_seed: int | None = None      # "more like this": first variation seed (asset i: + i)
    vary_strength: float | None = None
    interpolate_seed: int | None = None  # slerp from `seed` (t = 0) to this seed (t = 1)
    interpolate_t: float | None = None   # pins one frame; None = `count` frames from 0 to 1


@dataclass(frozen=True)
class NoiseSpec:
    """Everything that decides one image's noise (service/noise.py turns it into a tensor).

    Plain seed: noise(seed). Variation: a mix of noise(seed) and noise(vary_seed). Interpolation:
    slerp of noise(seed) and noise(interpolate_seed) at t. At most one of the two is set.
    """
    seed: int
    vary_seed: int | None = None
    vary_strength: float | None = None
    interpolate_seed: int | None = None
    interpolate_t: float | None = None


class ShapeKey(NamedTuple):
    """Requests with the same key can share a forward pass."""
    model: str
    kind: str
    height: int
    width: int


@dataclass(eq=False)
class Job:
    """A validated request. `cancelled` is flipped by the servicer when the client goes away."""
    tag: str
    model: str
    model_version: str
    kind: str
    prompt: str
    width: int
    height: int
    count: int
    seed: int                         # asset i uses seed + i (mod 2**64)
    format: str
    tileable: bool
    priority: str
    deadline: float | None            # time.monotonic() value, None = none
    cancelled: bool = False
    maps: tuple[str, ...] = ("albedo",)  # every image is streamed as these maps, in this order
    vary_seed: int | None = None      # variations: asset i gets vary_seed + i, base seed `seed`
    vary_strength: float | None = None
    interpolate_seed: int | None = None  # interpolation: asset i is frame t_i from seed to this
    interpolate_t: float | None = None   # one pinned frame (count is 1)

    @property
    def key(self) -> ShapeKey:
        return ShapeKey(self.model, self.kind, self.height, self.width)

    def item_seed(self, index: int) -> int:
        """The asset's reported seed: seed + i, or the shared base seed of variations/frames."""
        if self.vary_seed is not None or self.interpolate_seed is not None:
            return self.seed
        return (self.seed + index) & 0xFFFF_FFFF_FFFF_FFFF

    def item_noise(self, index: int) -> NoiseSpec:
        if self.vary_seed is not None:
            return NoiseSpec(self.seed, vary_seed=(self.vary_seed + index) & 0xFFFF_FFFF_FFFF_FFFF,
                             vary_strength=self.vary_strength)
        if self.interpolate_seed is not None:
            if self.interpolate_t is not None:
                t = self.interpolate_t
            else:
                t = index / (self.count - 1) if self.count > 1 else 0.0
            return NoiseSpec(self.seed, interpolate_seed=self.interpolate_seed, interpolate_t=t)
        return NoiseSpec(self.item_seed(index))

    def expired(self, now: float) -> bool:
        return self.deadline is not None and now >= self.deadline


@dataclass(eq=False)
class WorkItem:
    """One image of a job, waiting in the scheduler's queue."""
    job: Job
    index: int
    enqueued_at: float                # time.monotonic()

    @property
    def seed(self) -> int:
        return self.job.item_seed(self.index)

    @property
    def noise(self) -> NoiseSpec:
        return self.job.item_noise(self.index)

    @property
    def interactive(self) -> bool:
        return self.job.priority == "interactive"


@dataclass(frozen=True)
class RunBatch:
    """What the runner computes in one forward pass: one shape, per-item prompt and seed."""
    key: ShapeKey
    prompts: tuple[str, ...]
    seeds: tuple[int, ...]
    noise: tuple[NoiseSpec, ...] = ()  # per item; () = each seed's own plain noise
    # per item: the material maps to derive besides the albedo (normal, height, roughness);
    # () = none for the whole batch, which then costs nothing extra
    maps: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class RunOutput:
    """What the runner hands back for one RunBatch: host arrays, ready to encode."""
    pixels: Any                       # [B, H, W, 4] uint8 ndarray: the albedo (RGBA for sprites and props)
    # per item: {map name: [H, W, 4] uint8 ndarray} for the maps RunBatch.maps asked for that item;
    # () when the batch asked for none
    maps: tuple[dict[str, Any], ...] = ()

    def __len__(self) -> int:
        return len(self.pixels)

    def item_maps(self, index: int) -> dict[str, Any]:
        return self.maps[index] if self.maps else {}


@dataclass(frozen=True)
class AssetResult(AssetInfo):
    """One finished, encoded asset (asset.AssetInfo, the type the clients share)."""
    # The other maps of the same image (normal, height, ...), streamed right after this one; the
    # scheduler counts an image once whatever its maps, so they travel together.
    extra: tuple["AssetResult", ...] = field(default=(), repr=False)
    pipeline: int = PIPELINE_VERSION


class Runner(Protocol):
    """What the scheduler and the server may call on a runner (runner.ModelRunner, and the
    wrappers oom.OomSplittingRunner and metrics.InstrumentedRunner). All calls come from the
    scheduler's one compute thread, except `counters` (metrics, any thread)."""

    device: Any                       # where it computes (logged)

    def load(self) -> None: ...       # models into memory
    def warm_up(self) -> None: ...    # precision choice, traces / CUDA graphs, first forwards
    def run(self, batch: RunBatch) -> RunOutput: ...     # [B, H, W, 4] uint8 (+ material maps)
    def counters(self) -> dict[str, int]: ...            # text_cache_hits, text_cache_misses, oom_splits


class RunnerWrapper:
    """Base of the runner wrappers (oom.py, metrics.py): the Runner contract delegated to `inner`
    explicitly, so a wrapper shows what it changes (`run`) and hides nothing else."""

    def __init__(self, inner: Runner) -> None:
        self.inner = inner

    @property
    def device(self):
        return self.inner.device

    def load(self) -> None:
        self.inner.load()

    def warm_up(self) -> None:
        self.inner.warm_up()

    def counters(self) -> dict[str, int]:
        return self.inner.counters()

    def run(self, batch: RunBatch) -> RunOutput:
        return self.inner.run(batch)
