"""One definition of the latency statistics the benchmark and the load test report."""
from __future__ import annotations

import numpy as np


def percentile(values, q: float) -> float | None:
    """The q-th percentile (0..100) of `values` with linear interpolation between the two nearest
    ranks (numpy's default); None when there are no values."""
    if len(values) == 0:
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))
