"""ListModels, health and reflection over real gRPC."""
from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

pytestmark = pytest.mark.integration


def test_list_models_describes_kinds_sizes_formats_limits(client):
    models, default = client.list_models()
    assert default == "assetgen-test"
    by_name = {m.name: m for m in models}
    assert set(by_name) == {"assetgen-test", "assetgen-test-textures"}
    m = by_name["assetgen-test"]
    assert m.is_default and m.version == "test-0" and not by_name["assetgen-test-textures"].is_default
    assert set(m.kinds) == {"texture", "sprite", "prop"}
    assert m.kinds["texture"].sizes == (32, 64, 128, 256, 512, 1024) and m.kinds["texture"].tileable
    assert m.kinds["texture"].channels == 3 and m.kinds["sprite"].channels == 4
    assert m.kinds["sprite"].sizes == (64,) and m.kinds["sprite"].native_size == 64
    assert m.formats == ("png", "rgba8", "dds_bc1", "dds_bc3", "dds_bc7")
    assert m.limits["max_count"] == 64 and m.limits["max_prompt_chars"] == 512
    assert m.limits["chunk_size"] == 1 << 20
    assert set(by_name["assetgen-test-textures"].kinds) == {"texture"}


def test_health_turns_serving_after_warm_up(server, client):
    assert server.status_before_warm == "NOT_SERVING"
    code, details = server.generate_before_warm
    assert code == grpc.StatusCode.UNAVAILABLE and "warming" in details
    assert client.health_status() == "SERVING"
    stub = health_pb2_grpc.HealthStub(client.channel)
    reply = stub.Check(health_pb2.HealthCheckRequest(service="assetgen.v1.AssetGen"), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_services(client):
    stub = reflection_pb2_grpc.ServerReflectionStub(client.channel)
    replies = list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5))
    names = {s.name for s in replies[0].list_services_response.service}
    assert {"assetgen.v1.AssetGen", "grpc.health.v1.Health"} <= names
    # grpcurl describes a method by fetching the file that defines its service.
    replies = list(stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(file_containing_symbol="assetgen.v1.AssetGen")]), timeout=5))
    assert replies[0].file_descriptor_response.file_descriptor_proto


def test_unknown_method_is_unimplemented(client):
    call = client.channel.unary_unary("/assetgen.v1.AssetGen/Nope")
    with pytest.raises(grpc.RpcError) as caught:
        call(b"", timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
