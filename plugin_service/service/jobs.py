"""The small typed objects that pass between servicer, scheduler and runner.

Only the servicer knows proto messages; from it inward a request is an AssetRequest (as asked),
then a Job (validated), then one WorkItem per image; results come back as AssetResult. Failures
travel as ServiceError with a gRPC status code *name*, so no stage below the servicer imports grpc.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

KIND_NAMES = ("texture", "sprite", "prop")
FORMATS = ("png", "rgba8")
PRIORITIES = ("interactive", "background")


class ServiceError(Exception):
    """A request-level failure: `code` is a grpc.StatusCode name, `message` says what to change."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


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

    @property
    def key(self) -> ShapeKey:
        return ShapeKey(self.model, self.kind, self.height, self.width)

    def item_seed(self, index: int) -> int:
        return (self.seed + index) & 0xFFFF_FFFF_FFFF_FFFF

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
    def interactive(self) -> bool:
        return self.job.priority == "interactive"


@dataclass(frozen=True)
class RunBatch:
    """What the runner computes in one forward pass: one shape, per-item prompt and seed."""
    key: ShapeKey
    prompts: tuple[str, ...]
    seeds: tuple[int, ...]


@dataclass(frozen=True)
class AssetResult:
    """One finished, encoded asset."""
    tag: str
    index: int
    seed: int
    kind: str
    width: int
    height: int
    format: str
    channels: int
    tileable: bool
    model: str
    model_version: str
    sha256: str
    data: bytes = field(repr=False)
