"""The Ray backend's configuration and what crosses between replica and front door (no Ray
cluster: tests/ray starts real ones)."""
from __future__ import annotations

import pickle

import pytest

from plugin_service.service.config import REPLICA_SETTINGS, ServiceConfig
from plugin_service.service.jobs import RetryLater, ServiceError
from plugin_service.service.scheduler import QueueFull


def test_refusals_cross_processes_with_their_code_message_and_retry_hint():
    full = pickle.loads(pickle.dumps(QueueFull(10, 8, 250)))
    assert isinstance(full, RetryLater)
    assert (full.code, full.retry_after_ms, full.reason) == ("RESOURCE_EXHAUSTED", 250, "queue")
    assert full.message == QueueFull(10, 8, 250).message       # the hint is not appended twice
    plain = pickle.loads(pickle.dumps(ServiceError("INVALID_ARGUMENT", "width must be a multiple of 8")))
    assert type(plain) is ServiceError and plain.retry_after_ms is None
    assert plain.message == "width must be a multiple of 8"


def test_ray_flags_need_the_ray_backend_and_sane_bounds():
    with pytest.raises(ValueError, match="need --backend ray"):
        ServiceConfig(replicas=2)
    with pytest.raises(ValueError, match="max_replicas 1 is below min_replicas 2"):
        ServiceConfig(backend="ray", min_replicas=2, max_replicas=1)
    with pytest.raises(ValueError, match="backend 'spark'"):
        ServiceConfig(backend="spark")


ray_backend = pytest.importorskip("plugin_service.service.ray_backend", reason="pip install -e '.[ray]'")


def test_the_ray_front_door_never_starts_ray_implicitly():
    import ray

    assert not ray.is_initialized()
    with pytest.raises(Exception):
        ray.put(1)   # with auto-connect on, this would start a local Ray instance
    assert not ray.is_initialized()


def test_replica_settings_round_trip_and_unknown_ones_are_refused(tmp_path):
    config = ServiceConfig(models=tmp_path, backend="ray", replicas=3, threads=2, max_batch=16, precision="fp32")
    settings = ray_backend.replica_settings(config)
    assert set(settings) == set(REPLICA_SETTINGS)
    again = ray_backend.replica_config(settings)
    assert all(getattr(again, name) == getattr(config, name) for name in REPLICA_SETTINGS)
    with pytest.raises(ValueError, match=r"unknown replica settings \['tokens_file'\]"):
        ray_backend.replica_config({**settings, "tokens_file": "/etc/tokens"})


def test_deployment_options_fixed_and_autoscaled():
    fixed = ray_backend.deployment_options(ServiceConfig(backend="ray", replicas=3, threads=2), gpus=False)
    assert fixed["num_replicas"] == 3 and fixed["ray_actor_options"] == {"num_cpus": 2, "num_gpus": 0}
    scaled = ray_backend.deployment_options(
        ServiceConfig(backend="ray", min_replicas=1, max_replicas=4, target_ongoing_requests=6), gpus=True)
    assert "num_replicas" not in scaled and scaled["ray_actor_options"]["num_gpus"] == 1
    auto = scaled["autoscaling_config"]
    assert (auto["min_replicas"], auto["max_replicas"], auto["target_ongoing_requests"]) == (1, 4, 6)
