"""Fuzzing every RPC of a real server: random field values through the generated stubs, and
random bytes through raw channel methods. The server must answer each call with a well-formed
status (never UNKNOWN, which is what an unhandled exception in a handler becomes), never hang
past a call's deadline, keep serving, leak no admitted work, and keep its memory flat."""
from __future__ import annotations

import logging
import random
from pathlib import Path

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_helpers import start_server, wait_until

from conftest import TEST_MODEL
from plugin_service.client import AssetGenClient
from plugin_service.proto.assetgen.v1 import assetgen_pb2 as pb
from plugin_service.proto.assetgen.v1.assetgen_pb2_grpc import AssetGenStub

pytestmark = pytest.mark.integration

CALL_TIMEOUT_S = 20.0
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
# Codes a request can legitimately end with; UNKNOWN (a crash in a handler) and INTERNAL (a
# failure of ours, for well-formed messages) are not among them.
FIELD_CODES = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.RESOURCE_EXHAUSTED,
               grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.CANCELLED}
METHOD = "/assetgen.v1.AssetGen/"


@pytest.fixture(scope="module")
def fuzz_server(models_dir):
    # Tight pixel limit: a random but valid request costs at most four 64 px images of compute.
    thread = start_server(models_dir, max_request_pixels=64 * 64 * 4, rate_per_second=10_000, rate_burst=10_000,
                          max_receive_bytes=64 * 1024)
    with AssetGenClient(thread.address) as client:
        client.wait_ready(120)
    yield thread
    thread.stop()


@pytest.fixture(scope="module")
def channel(fuzz_server):
    with grpc.insecure_channel(fuzz_server.address) as ch:
        yield ch


text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=600)
u32 = st.sampled_from([0, 1, 2, 31, 32, 64, 65, 128, 1024, 4096, 2**31, 2**32 - 1])
enum = st.integers(min_value=-3, max_value=7)


@st.composite
def generate_requests(draw) -> pb.GenerateRequest:
    request = pb.GenerateRequest(
        model=draw(st.sampled_from(["", TEST_MODEL, "assetgen-test-textures", "nope", "../models", "\x00"]) | text),
        kind=draw(enum), prompt=draw(text), width=draw(u32), height=draw(u32), count=draw(u32),
        format=draw(enum), priority=draw(enum),
    )
    seed = draw(st.none() | st.integers(min_value=0, max_value=2**64 - 1))
    if seed is not None:
        request.seed = seed
    tileable = draw(st.none() | st.booleans())
    if tileable is not None:
        request.tileable = tileable
    return request


def grpc_errors(caplog) -> list[str]:
    """ERROR records of grpc itself: how it reports a handler's unexpected failure (a crash, an abort
    it refused), even when the client still receives a well-formed status."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("grpc") and r.levelno >= logging.ERROR]


def assert_well_formed(error: grpc.RpcError, allowed=None) -> None:
    code = error.code()
    assert isinstance(code, grpc.StatusCode) and code != grpc.StatusCode.UNKNOWN, (code, error.details())
    if allowed is not None:
        assert code in allowed, (code, error.details())


@FUZZ
@given(request=generate_requests())
def test_generate_with_random_fields(channel, request):
    stub = AssetGenStub(channel)
    try:
        assets = list(stub.Generate(request, timeout=CALL_TIMEOUT_S))
    except grpc.RpcError as e:
        assert_well_formed(e, FIELD_CODES)
        return
    assert assets and all(a.sha256 and a.total_size for a in assets)


@FUZZ
@given(actions=st.lists(st.tuples(st.sampled_from(["submit", "cancel", "empty"]),
                                  st.sampled_from(["a", "b", "c", ""]) | text, generate_requests(),
                                  st.integers(min_value=0, max_value=2**32 - 1)), max_size=6))
def test_session_with_random_actions(channel, actions):
    messages = []
    for action, tag, request, timeout_ms in actions:
        if action == "submit":
            messages.append(pb.SessionRequest(submit=pb.Submit(tag=tag, request=request, timeout_ms=timeout_ms)))
        elif action == "cancel":
            messages.append(pb.SessionRequest(cancel=pb.Cancel(tag=tag)))
        else:
            messages.append(pb.SessionRequest())
    try:
        replies = list(AssetGenStub(channel).Session(iter(messages), timeout=CALL_TIMEOUT_S))
    except grpc.RpcError as e:
        assert_well_formed(e, {grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED})
        return
    for reply in replies:
        if reply.WhichOneof("event") == "error":
            code = grpc.StatusCode[reply.error.code_name]
            assert code.value[0] == reply.error.code and code in FIELD_CODES | {grpc.StatusCode.ALREADY_EXISTS}
    submitted = {m.submit.tag for m in messages if m.WhichOneof("action") == "submit"}
    ended = {r.done.tag for r in replies if r.WhichOneof("event") == "done"} | \
            {r.error.tag for r in replies if r.WhichOneof("event") == "error"}
    assert submitted <= ended, "every submitted tag ends with TagDone or TagError"


def raw_calls(channel):
    """The three RPCs with bytes in and bytes out: no client-side (de)serialization at all."""
    return (channel.unary_unary(METHOD + "ListModels"), channel.unary_stream(METHOD + "Generate"),
            channel.stream_stream(METHOD + "Session"))


def call_raw(channel, which: int, payloads: list[bytes]) -> None:
    list_models, generate, session = raw_calls(channel)
    try:
        if which == 0:
            pb.ListModelsResponse.FromString(list_models(payloads[0], timeout=CALL_TIMEOUT_S))
        elif which == 1:
            for message in generate(payloads[0], timeout=CALL_TIMEOUT_S):
                pb.Asset.FromString(message)
        else:
            for message in session(iter(payloads), timeout=CALL_TIMEOUT_S):
                pb.SessionResponse.FromString(message)
    except grpc.RpcError as e:
        assert_well_formed(e)


@FUZZ
@given(which=st.integers(min_value=0, max_value=2), payloads=st.lists(st.binary(max_size=300), min_size=1, max_size=5))
def test_random_bytes_against_every_rpc(channel, caplog, which, payloads):
    call_raw(channel, which, payloads)
    # Records of one call can land during the next: the server logs from its own thread.
    assert not grpc_errors(caplog)


def test_a_malformed_message_after_a_session_reply_ends_the_call_cleanly(channel, caplog):
    """The fuzzer's example: an empty SessionRequest (answered with a TagError) and then bytes that
    do not parse. The abort for those bytes used to come from the Session's reader task while the
    TagError was being written, which grpc refused (TOO_MANY_OPERATIONS) with an ERROR log."""
    with pytest.raises(grpc.RpcError) as caught:
        list(raw_calls(channel)[2](iter([b"", b"\xf1\xad"]), timeout=CALL_TIMEOUT_S))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not a valid protobuf message" in caught.value.details()
    assert not grpc_errors(caplog)


def test_oversized_message_is_refused(channel):
    with pytest.raises(grpc.RpcError) as caught:
        list(raw_calls(channel)[1](b"\x1a" + b"\xff\xff\x07" + b"x" * 128 * 1024, timeout=CALL_TIMEOUT_S))
    assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_memory_stays_flat_and_the_server_keeps_serving(fuzz_server, channel):
    """Two equal rounds of random bytes: the second must not grow memory (the first warms caches)."""
    rng = random.Random(5)

    def round_of_calls():
        for _ in range(100):
            payloads = [rng.randbytes(rng.randrange(300)) for _ in range(rng.randrange(1, 4))]
            call_raw(channel, rng.randrange(3), payloads)

    round_of_calls()
    before = rss_mb()
    round_of_calls()
    grown = rss_mb() - before
    assert grown < 40, f"RSS grew {grown:.1f} MB over 100 fuzz calls"
    scheduler = fuzz_server.server.scheduler
    assert wait_until(lambda: scheduler.queued_images == 0 and scheduler.open_jobs == 0
                      and fuzz_server.server.limits.in_flight() == 0 and fuzz_server.server.limits.sessions == 0)
    with AssetGenClient(fuzz_server.address) as client:
        assert client.health_status() == "SERVING"
        assert next(client.generate("after the fuzz", "texture", seed=1, timeout=60)).seed == 1
