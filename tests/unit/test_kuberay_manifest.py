"""deploy/kuberay/rayservice.yaml: the RayService and its gRPC Service, checked against a schema of
the KubeRay fields it relies on, Ray Serve's own config schema and this code (names, replica
settings, front-door flags, probes, autoscaling bounds). No cluster, no Ray instance."""
from __future__ import annotations

import dataclasses
import json
import math
import shlex
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="pip install -e '.[ray]'")
yaml = pytest.importorskip("yaml")
jsonschema = pytest.importorskip("jsonschema")

from ray._common.utils import import_attr  # noqa: E402  (what Serve resolves import_path with)
from ray.serve.config import AutoscalingConfig  # noqa: E402
from ray.serve.schema import (  # noqa: E402
    DeploymentSchema, RayActorOptionsSchema, ServeApplicationSchema, ServeDeploySchema,
)

from plugin_service.cli import build_parser  # noqa: E402
from plugin_service.service import ray_backend  # noqa: E402
from plugin_service.service.config import REPLICA_SETTINGS, from_args  # noqa: E402

KUBERAY = Path(__file__).resolve().parents[2] / "deploy" / "kuberay"


@pytest.fixture(scope="module")
def documents() -> list[dict]:
    return [d for d in yaml.safe_load_all((KUBERAY / "rayservice.yaml").read_text()) if d]


@pytest.fixture(scope="module")
def rayservice(documents) -> dict:
    (found,) = [d for d in documents if d.get("kind") == "RayService"]
    return found


@pytest.fixture(scope="module")
def service(documents) -> dict:
    (found,) = [d for d in documents if d.get("kind") == "Service"]
    return found


@pytest.fixture(scope="module")
def serve_config(rayservice) -> dict:
    return yaml.safe_load(rayservice["spec"]["serveConfigV2"])


@pytest.fixture(scope="module")
def application(serve_config) -> dict:
    (app,) = serve_config["applications"]
    return app


@pytest.fixture(scope="module")
def deployment(application) -> dict:
    (dep,) = application["deployments"]
    return dep


@pytest.fixture(scope="module")
def head(rayservice) -> dict:
    return rayservice["spec"]["rayClusterConfig"]["headGroupSpec"]


@pytest.fixture(scope="module")
def front_door(head) -> dict:
    (found,) = [c for c in head["template"]["spec"]["containers"] if c["name"] == "front-door"]
    return found


@pytest.fixture(scope="module")
def gpu_group(rayservice) -> dict:
    (group,) = [g for g in rayservice["spec"]["rayClusterConfig"]["workerGroupSpecs"] if g["groupName"] == "gpu"]
    return group


def test_the_manifest_is_a_rayservice_and_a_service_and_matches_the_schema(documents, rayservice):
    assert sorted(d["kind"] for d in documents) == ["RayService", "Service"]
    schema = json.loads((KUBERAY / "rayservice.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(rayservice)
    # the schema refuses what it should: a worker group's bound given as a string
    broken = json.loads(json.dumps(rayservice))
    broken["spec"]["rayClusterConfig"]["workerGroupSpecs"][0]["maxReplicas"] = "4"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(broken)


def test_serve_config_is_valid_for_ray_serve_with_no_ignored_keys(serve_config, application, deployment):
    ServeDeploySchema.model_validate(serve_config)
    # Serve's schemas ignore unknown keys (forward compatibility), so a misspelt option would be
    # dropped silently: every key must be a field Serve knows.
    for given, model in ((serve_config, ServeDeploySchema), (application, ServeApplicationSchema),
                         (deployment, DeploymentSchema), (deployment["ray_actor_options"], RayActorOptionsSchema),
                         (deployment["autoscaling_config"], AutoscalingConfig)):
        assert set(given) <= set(model.model_fields), f"{model.__name__}: {set(given) - set(model.model_fields)}"
    AutoscalingConfig(**deployment["autoscaling_config"])


def test_the_application_is_ours_and_its_args_are_replica_settings(application, deployment):
    assert import_attr(application["import_path"]) is ray_backend.app
    assert application["name"] == ray_backend.APP_NAME
    assert deployment["name"] == ray_backend.DEPLOYMENT_NAME
    args = application["args"]
    assert set(args) <= set(REPLICA_SETTINGS)
    # ServiceConfig does not require the models folder to exist (the replica's catalog scan does,
    # at start), so /models is checked as given.
    config = ray_backend.replica_config(args)
    assert (str(config.models), config.device) == ("/models", "cuda")
    ray_backend.app(args)   # the builder itself accepts them (no Ray instance needed to bind)


def test_deployment_options_are_what_the_front_door_would_deploy(application, deployment):
    """The same options `assetgen serve --backend ray --min-replicas/--max-replicas ...` derives
    from the replica settings (ray_backend.deployment_options), so both ways behave alike."""
    scaling = deployment["autoscaling_config"]
    config = dataclasses.replace(ray_backend.replica_config(application["args"]), backend="ray",
                                 min_replicas=scaling["min_replicas"], max_replicas=scaling["max_replicas"],
                                 target_ongoing_requests=scaling["target_ongoing_requests"])
    expected = ray_backend.deployment_options(config, gpus=True)
    for key in ("max_ongoing_requests", "max_queued_requests", "ray_actor_options"):
        assert deployment[key] == expected[key], key
    assert deployment["autoscaling_config"] == expected["autoscaling_config"]


def test_front_door_attaches_over_ray_and_its_probes_and_service_use_its_port(head, front_door, service):
    containers = head["template"]["spec"]["containers"]
    assert containers[0]["name"] != "front-door"   # KubeRay runs Ray in the first container
    script = "\n".join(front_door.get("command", []) + front_door.get("args", []))
    (line,) = [ln.strip() for ln in script.splitlines() if ln.strip().startswith("exec assetgen serve")]
    args = build_parser().parse_args(shlex.split(line)[2:])   # the real CLI parses it
    assert args.command == "serve"
    config = from_args(args, environ={})
    assert config.backend == "ray" and config.ray_address == "127.0.0.1:6379" and config.host == "0.0.0.0"
    # it waits for the RayService's app (else it would deploy its own under the same name)
    assert f"'{ray_backend.APP_NAME}'" in script and "'RUNNING'" in script
    # the models folder it scans is mounted where it looks
    assert any(m["mountPath"] == str(config.models) for m in front_door["volumeMounts"])

    (port,) = front_door["ports"]
    assert port["containerPort"] == config.port
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert front_door[probe]["grpc"]["port"] == config.port, probe

    labels = head["template"]["metadata"]["labels"]
    selector = service["spec"]["selector"]
    assert selector.get("ray.io/node-type") == "head"
    assert all(labels.get(k) == v for k, v in selector.items() if k != "ray.io/node-type")
    (service_port,) = service["spec"]["ports"]
    target = service_port["targetPort"]
    assert target in (port["containerPort"], port.get("name"))

    # a driver in a second container needs the raylet's processes and sockets
    spec = head["template"]["spec"]
    assert spec.get("shareProcessNamespace") is True
    shared = {m["name"] for m in containers[0]["volumeMounts"] if m["mountPath"] == "/tmp/ray"}
    assert shared and shared == {m["name"] for m in front_door["volumeMounts"] if m["mountPath"] == "/tmp/ray"}


def test_autoscaling_fits_the_gpu_worker_group(rayservice, head, gpu_group, deployment):
    cluster = rayservice["spec"]["rayClusterConfig"]
    assert cluster["rayVersion"] == __import__("ray").__version__
    assert cluster.get("enableInTreeAutoscaling") is True
    assert head["rayStartParams"]["num-gpus"] == "0"   # replicas never land on the head
    assert gpu_group["minReplicas"] <= gpu_group["replicas"] <= gpu_group["maxReplicas"]

    (worker,) = gpu_group["template"]["spec"]["containers"]
    limits = worker["resources"]["limits"]
    actor = deployment["ray_actor_options"]
    per_worker = min(int(limits["nvidia.com/gpu"]) // actor["num_gpus"], int(limits["cpu"]) // actor["num_cpus"])
    assert per_worker >= 1
    scaling = deployment["autoscaling_config"]
    assert 1 <= scaling["min_replicas"] <= scaling["max_replicas"]
    # every replica Serve may want has a place; the workers kept warm hold min_replicas, and none idle
    assert scaling["max_replicas"] <= gpu_group["maxReplicas"] * per_worker
    assert scaling["min_replicas"] <= gpu_group["minReplicas"] * per_worker
    assert gpu_group["minReplicas"] <= math.ceil(scaling["min_replicas"] / per_worker)


def test_models_are_mounted_read_only_from_the_claim_on_head_and_workers(head, gpu_group, application):
    for group in (head, gpu_group):
        spec = group["template"]["spec"]
        (claim,) = [v for v in spec["volumes"] if "persistentVolumeClaim" in v]
        assert claim["persistentVolumeClaim"] == {"claimName": "assetgen-models", "readOnly": True}
        mounts = [m for c in spec["containers"] for m in c.get("volumeMounts", []) if m["name"] == claim["name"]]
        assert mounts and all(m["mountPath"] == application["args"]["models"] and m["readOnly"] for m in mounts)
