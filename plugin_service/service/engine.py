"""The local engine: one device's runner behind its reliability and metrics wrappers, and the
scheduler that batches for it. `assetgen serve --backend local` runs one in the server process;
each Ray replica (ray_backend.py) runs one of its own.
"""
from __future__ import annotations

from .catalog import ModelCatalog
from .config import ServiceConfig
from .jobs import Runner
from .metrics import InstrumentedRunner, ServiceMetrics
from .oom import OomSplittingRunner
from .scheduler import Scheduler


def local_engine(catalog: ModelCatalog, config: ServiceConfig, metrics: ServiceMetrics,
                 runner: Runner | None = None) -> tuple[Runner, Scheduler]:
    """(wrapped runner, scheduler) for `config`'s device; `runner` replaces the model runner (tests
    inject faults there). Loading and warming happen in `scheduler.start()`."""
    if runner is None:
        from .runner import ModelRunner  # torch is imported only by a process that computes

        runner = ModelRunner.from_config(catalog, config)
    # Out-of-memory splitting inside, batch metrics outside (they time what the scheduler waited for).
    wrapped = InstrumentedRunner(OomSplittingRunner(runner), metrics)
    return wrapped, Scheduler(wrapped, catalog, config)
