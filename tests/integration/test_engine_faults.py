"""Faults found by using the product as an engine, a pipeline and a Unity user would: each
example's right value, on a real server over loopback gRPC."""
from __future__ import annotations

import time

import grpc
import numpy as np
import pytest

from plugin_service.client.assets import build_request
from plugin_service.client.sync_client import AssetGenClient
from plugin_service.proto.assetgen.v1 import assetgen_pb2 as pb
from plugin_service.proto.assetgen.v1 import assetgen_pb2_grpc as pb_grpc

from server_helpers import start_server as start_custom_server


def start_server(models_dir, **overrides):
    thread = start_custom_server(models_dir, **overrides)
    with AssetGenClient(thread.address) as c:
        c.wait_ready(120)
    return thread

pytestmark = pytest.mark.integration


def test_bc1_sprite_is_refused_with_the_formats_that_carry_alpha(client):
    with pytest.raises(grpc.RpcError) as caught:
        list(client.generate("goblin archer", "sprite", seed=7, format="dds_bc1", timeout=30))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "dds_bc3" in caught.value.details() and "dds_bc7" in caught.value.details()
    [bc3] = list(client.generate("goblin archer", "sprite", seed=7, format="dds_bc3", timeout=30))
    assert bc3.format == "dds_bc3"


@pytest.mark.parametrize("prompt", ["\u200b", "\u2060", "\ufeff", "\u200b\u200b\u200b\u200d"])
def test_invisible_prompts_are_refused_on_the_wire(client, prompt):
    with pytest.raises(grpc.RpcError) as caught:
        list(client.generate(prompt, "prop", seed=1, timeout=30))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "no visible text" in caught.value.details()


def test_default_server_does_not_throttle_one_anonymous_client(server):
    """Past the old anonymous burst of 200, one client asking again at once is never refused."""
    stub = pb_grpc.AssetGenStub(grpc.insecure_channel(server.address))
    request = build_request("rush", "prop", seed=1, format="rgba8")
    for _ in range(230):
        assert len(list(stub.Generate(request, timeout=30))) == 1


def keepalive_channel(address: str, interval_ms: int) -> grpc.Channel:
    return grpc.insecure_channel(address, options=[
        ("grpc.keepalive_time_ms", interval_ms), ("grpc.keepalive_timeout_ms", 5000),
        ("grpc.keepalive_permit_without_calls", 1), ("grpc.http2.max_pings_without_data", 0)])


def idle_session_then_submit(address: str, interval_ms: int, idle_s: float) -> list:
    """Open a Session, stay idle with keepalive pings every interval_ms, then submit one tag."""
    channel = keepalive_channel(address, interval_ms)
    stub = pb_grpc.AssetGenStub(channel)
    import queue

    requests: queue.Queue = queue.Queue()
    call = stub.Session(iter(requests.get, None))
    time.sleep(idle_s)
    requests.put(pb.SessionRequest(submit=pb.Submit(tag="late", request=build_request("oak door", "prop", seed=3))))
    requests.put(None)
    try:
        return [m.WhichOneof("event") for m in call]
    finally:
        channel.close()


def test_keepalive_pings_at_the_allowed_interval_keep_an_idle_session_alive(models_dir):
    """The example at 1/10 scale, so it runs in seconds: with pings accepted 0.5 s apart (the
    default is 5 s, half the README's 10 s), a client pinging every 1 s through 6 s of idle still
    gets its asset (gRPC's own policy, 5 minutes, sends GOAWAY "too_many_pings" after 3 such
    pings); with the default policy the same 1 s pings are still refused as abuse."""
    thread = start_server(models_dir, keepalive_min_ping_ms=500)
    try:
        events = idle_session_then_submit(thread.address, 1000, 6.0)
        assert "asset" in events and events[-1] == "done", events
    finally:
        thread.stop()
    thread = start_server(models_dir)
    try:
        with pytest.raises(grpc.RpcError) as caught:
            idle_session_then_submit(thread.address, 1000, 6.0)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE and "pings" in caught.value.details()
    finally:
        thread.stop()


def test_a_prompt_gives_the_same_bytes_alone_beside_others_and_after_a_restart(models_dir):
    """Every input of the generator is a function of the request alone: the text embedding of a
    prompt does not depend on the prompts encoded with it, nor on the cache."""
    prompt = "weathered oak barrel"
    thread = start_server(models_dir)
    try:
        with AssetGenClient(thread.address) as c:
            [alone] = list(c.generate(prompt, "prop", seed=11, format="rgba8", timeout=30))
    finally:
        thread.stop()
    thread = start_server(models_dir)
    try:
        with AssetGenClient(thread.address) as c:
            session = c.session()
            session.submit("long", "an enormous, ancient, moss-covered stone gate of a ruined dwarven fortress", "prop", seed=5)
            session.submit("barrel", prompt, "prop", seed=11, format="rgba8")
            session.close()
            beside = [e.asset for e in session if e.asset is not None and e.asset.tag == "barrel"]
    finally:
        thread.stop()
    assert beside[0].data == alone.data


def test_retry_helper_retries_only_what_the_server_means_as_try_later(models_dir):
    """An oversized request (gRPC's own RESOURCE_EXHAUSTED, no hint) is tried once; a refusal with a
    hint (over the anonymous rate) is retried after it and succeeds; Session tags carry the hint."""
    from plugin_service.client.retry import call_with_retry, is_retryable

    thread = start_server(models_dir, max_receive_bytes=4096, anonymous_rate_per_second=2.0, anonymous_rate_burst=1)
    try:
        with AssetGenClient(thread.address) as c:
            attempts = []

            def oversized():
                attempts.append(1)
                return list(c.generate("x" * 5000, "prop", seed=1, timeout=10))

            with pytest.raises(grpc.RpcError) as caught:
                call_with_retry(oversized, deadline_s=5)
            assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and not is_retryable(caught.value)
            assert len(attempts) == 1

            list(c.generate("rush", "prop", seed=1, timeout=10))          # takes the one token
            calls = []

            def limited():
                calls.append(1)
                return list(c.generate("rush", "prop", seed=2, timeout=10))

            assert len(call_with_retry(limited, deadline_s=10)) == 1 and len(calls) >= 2

            with c.session() as session:
                session.submit("a", "rush", "prop", seed=3)
                session.submit("b", "rush", "prop", seed=4)
                session.close()
                refused = [e for e in session if e.failed]
            assert refused and all(e.code == grpc.StatusCode.RESOURCE_EXHAUSTED and e.retry_after_ms > 0 for e in refused)
    finally:
        thread.stop()


def test_a_session_tag_refused_for_good_has_no_retry_hint(client):
    with client.session() as session:
        session.submit("bad", "goblin archer", "sprite", seed=5, format="dds_bc1")
        session.close()
        [event] = [e for e in session if e.failed]
    assert event.code == grpc.StatusCode.INVALID_ARGUMENT and event.retry_after_ms == 0


@pytest.mark.parametrize("prompt", ["🔥", "🗡️ ⚔️"])
def test_prompts_the_text_encoder_cannot_read_are_refused(client, prompt):
    """What only the server can know: emoji alone tokenize to [UNK] and would all give one asset."""
    with pytest.raises(grpc.RpcError) as caught:
        list(client.generate(prompt, "prop", seed=1, timeout=30))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "nothing the model can read" in caught.value.details()
    assert len(list(client.generate("🔥 sword", "prop", seed=1, timeout=30))) == 1


def test_served_sprites_carry_the_nearest_visible_colour_under_alpha_zero():
    """Alpha bleeding on the CPU server: every alpha-0 pixel holds
    the colour of a nearest visible pixel, in raw RGBA8 and in PNG alike. The shipped model, whose
    sprites have a real cut-out (the random test model's alpha is never quite 0)."""
    from pathlib import Path

    thread = start_server(Path(__file__).resolve().parents[2] / "models", model="assetgen-tiny")
    try:
        with AssetGenClient(thread.address) as c:
            assets = [a for fmt in ("rgba8", "png") for a in c.generate("goblin archer", "sprite", seed=7, format=fmt)]
    finally:
        thread.stop()
    for asset in assets:
        fmt = asset.format
        px = asset.pixels().astype(int)
        visible = px[..., 3] > 0
        assert visible.any() and (~visible).any()
        vy, vx = np.nonzero(visible)
        for y, x in list(zip(*np.nonzero(~visible)))[::37]:          # a sample of transparent pixels
            d2 = (vy - y) ** 2 + (vx - x) ** 2
            nearest = d2 == d2.min()
            assert (np.abs(px[vy[nearest], vx[nearest], :3] - px[y, x, :3]).sum(-1) == 0).any(), (fmt, y, x)
