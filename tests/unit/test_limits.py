"""Admission limits with a made-up clock, and out-of-memory batch splitting (no network)."""
from __future__ import annotations

import numpy as np
import pytest

from plugin_service.service.config import ServiceConfig
from plugin_service.service.jobs import RetryLater, RunBatch, RunOutput, ServiceError, ShapeKey
from plugin_service.service.limits import Limits, TokenBucket
from plugin_service.service.oom import OomSplittingRunner, halves, is_out_of_memory


def test_bucket_allows_a_burst_then_refills_at_the_rate():
    bucket = TokenBucket(rate=10.0, burst=3, updated=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.1)      # one token takes 1/rate seconds
    assert bucket.take(0.05) == pytest.approx(0.05)
    assert bucket.take(0.1) == 0.0
    assert bucket.take(100.0) == 0.0 and bucket.tokens == pytest.approx(2.0)  # capped at burst


def test_rate_limit_is_per_caller_with_a_retry_hint():
    limits = Limits(ServiceConfig(rate_per_second=2.0, rate_burst=2, max_in_flight=100))
    limits.acquire("alice", 0.0)
    limits.acquire("alice", 0.0)
    with pytest.raises(RetryLater) as caught:
        limits.acquire("alice", 0.0)
    assert caught.value.code == "RESOURCE_EXHAUSTED" and caught.value.reason == "rate"
    assert caught.value.retry_after_ms == 500 and "retry after 500 ms" in caught.value.message
    limits.acquire("bob", 0.0)                          # another caller has its own bucket
    limits.acquire("alice", 0.5)                        # refilled
    assert limits.in_flight("alice") == 3 and limits.in_flight() == 4


def test_in_flight_cap_counts_until_release():
    limits = Limits(ServiceConfig(rate_per_second=1000.0, rate_burst=1000, max_in_flight=2))
    limits.acquire("alice", 0.0)
    limits.acquire("alice", 0.0)
    with pytest.raises(RetryLater, match="2 unfinished requests") as caught:
        limits.acquire("alice", 0.0)
    assert caught.value.reason == "in_flight" and caught.value.retry_after_ms > 0
    limits.release("alice")
    limits.acquire("alice", 0.0)
    limits.release("alice")
    limits.release("alice")
    assert limits.in_flight() == 0


def test_a_refused_request_takes_no_slot():
    limits = Limits(ServiceConfig(rate_per_second=1.0, rate_burst=1, max_in_flight=10))
    limits.acquire("alice", 0.0)
    with pytest.raises(RetryLater):
        limits.acquire("alice", 0.0)
    assert limits.in_flight("alice") == 1


def test_sessions_and_pixels():
    limits = Limits(ServiceConfig(max_sessions=1, max_request_pixels=64 * 64 * 4))
    limits.open_session()
    with pytest.raises(RetryLater, match="1 open sessions"):
        limits.open_session()
    limits.close_session()
    limits.open_session()
    limits.check_pixels(64, 64, 4)
    with pytest.raises(ServiceError, match="at most 16384") as caught:
        limits.check_pixels(64, 64, 5)
    assert caught.value.code == "INVALID_ARGUMENT"


@pytest.mark.parametrize("name, value", [("rate_per_second", 0), ("max_in_flight", 0), ("max_sessions", 0),
                                         ("metrics_port", 70000), ("log_format", "xml")])
def test_config_rejects_unsafe_limits(name, value):
    with pytest.raises(ValueError, match=name):
        ServiceConfig(**{name: value})


def test_config_tls_needs_cert_and_key(tmp_path):
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    with pytest.raises(ValueError, match="both --tls-cert and --tls-key"):
        ServiceConfig(tls_cert=cert)


# -- out of memory -----------------------------------------------------------------------------

class SmallMemoryRunner:
    """Stands in for a GPU with room for `fits` images per pass; each image's pixels are its seed,
    so a wrong split or order would show."""

    def __init__(self, fits: int, message: str = "CUDA out of memory. Tried to allocate 2.00 GiB") -> None:
        self.fits = fits
        self.message = message
        self.calls: list[int] = []
        self.device = "fake"

    def run(self, batch: RunBatch) -> RunOutput:
        self.calls.append(len(batch.seeds))
        if len(batch.seeds) > self.fits:
            raise RuntimeError(self.message)
        return RunOutput(np.array(batch.seeds, dtype=np.uint8).reshape(-1, 1, 1, 1))


def _batch(n: int) -> RunBatch:
    return RunBatch(ShapeKey("m", "texture", 1, 1), tuple(f"p{i}" for i in range(n)), tuple(range(n)))


def test_out_of_memory_halves_until_it_fits_and_keeps_order():
    inner = SmallMemoryRunner(fits=2)
    runner = OomSplittingRunner(inner)
    output = runner.run(_batch(7))
    assert output.pixels.reshape(-1).tolist() == list(range(7)) and output.maps == ()
    assert max(n for n in inner.calls if n <= 2) == 2 and runner.splits == 3  # 7 -> 3+4 -> 1+2, 2+2
    assert runner.device == "fake"  # other attributes pass through


def test_one_image_that_does_not_fit_still_fails():
    runner = OomSplittingRunner(SmallMemoryRunner(fits=0))
    with pytest.raises(RuntimeError, match="out of memory"):
        runner.run(_batch(4))


def test_other_errors_are_not_retried():
    inner = SmallMemoryRunner(fits=0, message="shape mismatch")
    with pytest.raises(RuntimeError, match="shape mismatch"):
        OomSplittingRunner(inner).run(_batch(4))
    assert inner.calls == [4]


def test_halves_split_every_per_item_field():
    batch = _batch(5)
    first, second = halves(batch)
    assert first.key == second.key == batch.key
    assert first.prompts + second.prompts == batch.prompts and first.seeds == (0, 1)
    assert is_out_of_memory(MemoryError()) and is_out_of_memory(RuntimeError("DefaultCPUAllocator: not enough memory"))
    assert not is_out_of_memory(ValueError("out of memory"))


def test_anonymous_callers_are_not_capped_by_default_and_the_cap_is_a_flag():
    limits = Limits(ServiceConfig(rate_per_second=2.0, rate_burst=2, max_in_flight=2))
    for _ in range(1000):                               # far past every per-caller limit
        limits.acquire("anonymous", 0.0)
    assert limits.in_flight("anonymous") == 1000
    with pytest.raises(RetryLater):                       # a named caller keeps its limits
        for _ in range(3):
            limits.acquire("level-editor", 0.0)
    capped = Limits(ServiceConfig(anonymous_rate_per_second=5.0, anonymous_rate_burst=3, anonymous_max_in_flight=100))
    for _ in range(3):
        capped.acquire("anonymous", 0.0)
    with pytest.raises(RetryLater, match="5 requests/s") as caught:
        capped.acquire("anonymous", 0.0)
    assert caught.value.retry_after_ms == 200
