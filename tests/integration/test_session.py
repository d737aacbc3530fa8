"""Session over real gRPC: tagged submits, cancel by tag, per-tag errors, the session goes on."""
from __future__ import annotations

import asyncio
import threading
from collections import defaultdict

import grpc
import pytest

from plugin_service.client import AsyncAssetGenClient, build_request

pytestmark = pytest.mark.integration


def collect(session, until_finished: set[str], timeout: float = 60.0) -> dict[str, list]:
    """Read events until every tag in `until_finished` is done or failed; events by tag."""
    events: dict[str, list] = defaultdict(list)
    pending = set(until_finished)
    timer = threading.Timer(timeout, session.abort)  # never hang the suite on a lost event
    timer.start()
    try:
        for event in session:
            events[event.tag].append(event)
            if event.done or event.failed:
                pending.discard(event.tag)
            if not pending:
                break
    finally:
        timer.cancel()
    assert not pending, f"tags never finished: {pending}"
    return events


def finished(events: list):
    assert events[-1].done or events[-1].failed
    return events[-1]


def test_submit_many_tags_and_receive_all(client):
    with client.session() as session:
        session.submit("wall", "stone wall", "texture", count=3, seed=1)
        session.submit("hero", "knight", "sprite", seed=2)
        session.submit("loot", "gold coins", "prop", count=2, seed=3, format="rgba8")
        events = collect(session, {"wall", "hero", "loot"})
    for tag, n in (("wall", 3), ("hero", 1), ("loot", 2)):
        assets = [e.asset for e in events[tag] if e.asset]
        assert len(assets) == n and finished(events[tag]).done
        assert all(a.tag == tag for a in assets)
    assert sorted(a.asset.seed for a in events["wall"] if a.asset) == [1, 2, 3]


def test_cancel_by_tag_stops_only_that_tag(client):
    with client.session() as session:
        # Several batches of background work (16 per pass at 256 px): the cancel lands while most
        # of it is queued, and whatever is already computing is discarded.
        session.submit("big", "endless dungeon floor", "texture", size=256, count=64, seed=1, priority="background")
        session.cancel("big")
        session.submit("small", "torch", "prop", seed=2)
        session.cancel("never-submitted")  # unknown tags are ignored
        events = collect(session, {"big", "small"})
    big = finished(events["big"])
    assert big.failed and big.code == grpc.StatusCode.CANCELLED
    assert len([e for e in events["big"] if e.asset]) < 64
    assert finished(events["small"]).done


def test_bad_requests_fail_only_their_tag(client):
    with client.session() as session:
        session.submit("ok-1", "brick", "texture", seed=1)
        session.submit("empty", "", "texture")
        session.submit("huge", "brick", "texture", size=96)
        session.submit_raw("nokind", build_request("brick", "texture"))
        session.submit("many", "brick", "texture", count=65)
        session.submit("ghost", "brick", "texture", model="no-such-model")
        session.submit("ok-2", "moss", "texture", seed=2)
        events = collect(session, {"ok-1", "empty", "huge", "many", "ghost", "ok-2", "nokind"})
    assert finished(events["ok-1"]).done and finished(events["ok-2"]).done
    assert finished(events["empty"]).code == grpc.StatusCode.INVALID_ARGUMENT
    assert "allowed" in finished(events["huge"]).message
    assert finished(events["many"]).code == grpc.StatusCode.INVALID_ARGUMENT
    assert finished(events["ghost"]).code == grpc.StatusCode.NOT_FOUND


def test_unknown_kind_in_session(client):
    request = build_request("brick", "texture")
    request.kind = 0  # unset
    with client.session() as session:
        session.submit_raw("unset-kind", request)
        events = collect(session, {"unset-kind"})
    error = finished(events["unset-kind"])
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT and "texture" in error.message


def test_duplicate_tag_fails_the_duplicate_and_the_session_goes_on(client):
    with client.session() as session:
        session.submit("dup", "oak planks", "texture", count=8, size=256, seed=1)
        session.submit("dup", "oak planks", "texture", seed=99)
        events = collect(session, {"dup"})
        # The first finishing event for "dup" is the rejection; the original still completes.
        assert events["dup"][0].failed and events["dup"][0].code == grpc.StatusCode.ALREADY_EXISTS
        rest = collect(session, {"dup"})
        session.submit("after", "grass", "texture", seed=3)
        after = collect(session, {"after"})
    assets = [e.asset for e in events["dup"] + rest["dup"] if e.asset]
    assert sorted(a.seed for a in assets) == list(range(1, 9))
    assert finished(rest["dup"]).done and finished(after["after"]).done


def test_tag_deadline_passing_in_queue_fails_that_tag(client):
    with client.session() as session:
        # The 1024 px batch takes far longer than 1 ms; the tiny-deadline tag waits behind it.
        session.submit("slow", "castle wall", "texture", size=1024, count=4, seed=1)
        session.submit("hurry", "pebble", "prop", seed=2, timeout_ms=1)
        events = collect(session, {"slow", "hurry"})
    hurry = finished(events["hurry"])
    assert hurry.code == grpc.StatusCode.DEADLINE_EXCEEDED and "deadline" in hurry.message
    assert finished(events["slow"]).done


def test_async_session_submit_and_cancel(server):
    async def go():
        async with AsyncAssetGenClient(server.address) as client:
            session = client.session()
            await session.submit("a", "ice", "texture", count=2, seed=5)
            await session.submit("b", "endless sand", "texture", size=256, count=64, seed=1, priority="background")
            await session.cancel("b")
            await session.close()
            return [e async for e in session]

    events = asyncio.run(asyncio.wait_for(go(), 120))
    by_tag = defaultdict(list)
    for e in events:
        by_tag[e.tag].append(e)
    assert len([e for e in by_tag["a"] if e.asset]) == 2 and by_tag["a"][-1].done
    assert by_tag["b"][-1].code == grpc.StatusCode.CANCELLED
