"""Bad input: the right status code, a message that says what to change, and the server
keeps serving everyone else."""
from __future__ import annotations

import grpc
import pytest

from plugin_service.client import build_request

pytestmark = pytest.mark.integration

CASES = [
    # (id, request changes, expected code, words the message must contain)
    ("empty prompt", dict(prompt=""), grpc.StatusCode.INVALID_ARGUMENT, ["prompt is empty"]),
    ("blank prompt", dict(prompt="   "), grpc.StatusCode.INVALID_ARGUMENT, ["prompt is empty"]),
    ("long prompt", dict(prompt="x" * 513), grpc.StatusCode.INVALID_ARGUMENT, ["513", "at most 512"]),
    ("unknown model", dict(model="no-such-model"), grpc.StatusCode.NOT_FOUND, ["assetgen-test", "available"]),
    ("path as model", dict(model="../etc"), grpc.StatusCode.NOT_FOUND, ["not served"]),
    ("unset kind", dict(kind=0), grpc.StatusCode.INVALID_ARGUMENT, ["texture, sprite, prop"]),
    ("unknown kind", dict(kind=42), grpc.StatusCode.INVALID_ARGUMENT, ["42", "texture, sprite, prop"]),
    ("kind model lacks", dict(model="assetgen-test-textures", kind=2), grpc.StatusCode.INVALID_ARGUMENT,
     ["does not make sprites", "texture"]),
    ("size not allowed", dict(width=100, height=64), grpc.StatusCode.INVALID_ARGUMENT,
     ["100x64", "32, 64, 128, 256, 512, 1024"]),
    ("sprite size", dict(kind=2, width=128, height=128), grpc.StatusCode.INVALID_ARGUMENT, ["one of: 64"]),
    ("count too big", dict(count=65), grpc.StatusCode.INVALID_ARGUMENT, ["count 65", "1..64"]),
    ("unknown format", dict(format=9), grpc.StatusCode.INVALID_ARGUMENT, ["png, rgba8"]),
    ("tileable sprite", dict(kind=2, tileable=True), grpc.StatusCode.INVALID_ARGUMENT, ["cannot tile"]),
    ("unknown priority", dict(priority=7), grpc.StatusCode.INVALID_ARGUMENT, ["interactive, background"]),
]


@pytest.mark.parametrize("changes, code, words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_request_gets_code_and_helpful_message(client, changes, code, words):
    request = build_request("mossy cobblestone", "texture", seed=1)
    for field, value in changes.items():
        setattr(request, field, value)
    with pytest.raises(grpc.RpcError) as caught:
        list(client.stub.Generate(request, timeout=30))
    assert caught.value.code() == code, caught.value.details()
    for word in words:
        assert word in caught.value.details()
    # ... and the server still serves a good request.
    assert next(client.generate("mossy cobblestone", "texture", seed=1)).width == 64


def test_deadline_already_past_is_deadline_exceeded(client):
    request = build_request("mossy cobblestone", "texture", count=64, size=256)
    for timeout in (0.0, 0.001):
        with pytest.raises(grpc.RpcError) as caught:
            list(client.stub.Generate(request, timeout=timeout))
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert next(client.generate("still serving", "texture", seed=2)).seed == 2


def test_client_deadline_is_honoured_while_queued(server, client):
    # A 1024 px texture takes well over 50 ms with one thread; the call must end at its deadline,
    # not when the work is done, and the server must stop the rest of that job.
    with pytest.raises(grpc.RpcError) as caught:
        list(client.generate("vast plains", "texture", size=1024, count=8, timeout=0.05))
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert next(client.generate("after the deadline", "prop", seed=3)).seed == 3


def test_client_library_rejects_unknown_names_before_sending(client):
    with pytest.raises(ValueError, match="texture, sprite, prop"):
        next(client.generate("x", "wall"))


def test_full_queue_is_resource_exhausted_for_that_tag_only(client):
    models, _ = client.list_models()
    limit = models[0].limits["max_queued_images"]
    fill = limit // 64  # tags of 64 big textures (one per forward pass) that fill the queue
    session = client.session()
    try:
        for i in range(fill):
            session.submit(f"fill-{i}", "endless wall", "texture", size=1024, count=64, seed=i,
                           priority="background")
        session.submit("one-too-many", "endless wall", "texture", size=1024, count=64, seed=99)
        for event in session:
            if event.failed:
                assert event.tag == "one-too-many", event.message
                assert event.code == grpc.StatusCode.RESOURCE_EXHAUSTED
                assert "retry" in event.message and str(limit) in event.message
                break
    finally:
        session.abort()  # cancels the fill tags: their queued images are dropped, not computed
    assert next(client.generate("after the flood", "prop", seed=4, timeout=60)).seed == 4
