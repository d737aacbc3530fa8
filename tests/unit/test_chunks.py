"""Chunking on the server and reassembly in the client, without a network."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin_service.client.assets import ChunkAssembler, ChunkError
from plugin_service.service.encode import chunks
from plugin_service.service.jobs import AssetResult
from plugin_service.service.wire import asset_messages


def result(data: bytes, tag: str = "t", index: int = 0) -> AssetResult:
    return AssetResult(tag=tag, index=index, seed=5, kind="texture", width=16, height=16, format="rgba8",
                       channels=4, tileable=True, model="m", model_version="1",
                       sha256=hashlib.sha256(data).hexdigest(), data=data)


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=5000), chunk_size=st.integers(1, 1500))
def test_chunks_cover_the_data_in_order(data, chunk_size):
    pieces = list(chunks(data, chunk_size))
    assert b"".join(p for _, p in pieces) == data
    assert all(len(p) <= chunk_size for _, p in pieces)
    assert [o for o, _ in pieces] == [sum(len(p) for _, p in pieces[:i]) for i in range(len(pieces))]


def test_round_trip_through_messages_and_assembler():
    data = bytes(range(256)) * 40  # 10240 bytes
    messages = list(asset_messages(result(data), chunk_size=4096))
    assert [m.offset for m in messages] == [0, 4096, 8192]
    assembler = ChunkAssembler()
    assert assembler.add(messages[0]) is None and assembler.add(messages[1]) is None
    asset = assembler.add(messages[2])
    assert asset.data == data and asset.seed == 5 and asset.kind == "texture" and asset.format == "rgba8"
    assert assembler.pending == 0


def test_interleaved_assets_reassemble_separately():
    a, b = b"a" * 3000, b"b" * 2500
    ma = list(asset_messages(result(a, "x", 0), 1000))
    mb = list(asset_messages(result(b, "x", 1), 1000))
    assembler = ChunkAssembler()
    done = [assembler.add(m) for pair in zip(ma, mb) for m in pair]
    done = [d for d in done if d is not None]
    assert {(d.index, d.data) for d in done} == {(0, a), (1, b)}


def test_small_and_empty_assets_are_one_message():
    assert len(list(asset_messages(result(b"xyz"), 1 << 20))) == 1
    (message,) = asset_messages(result(b""), 1 << 20)
    assert ChunkAssembler().add(message).data == b""


def test_missing_chunk_is_detected():
    messages = list(asset_messages(result(b"q" * 3000), 1000))
    assembler = ChunkAssembler()
    assembler.add(messages[0])
    with pytest.raises(ChunkError, match="expected 1000"):
        assembler.add(messages[2])
    with pytest.raises(ChunkError, match="offset"):
        ChunkAssembler().add(messages[1])


def test_corrupted_data_fails_the_hash_check():
    messages = list(asset_messages(result(b"q" * 3000), 1000))
    messages[1].data = b"Q" * 1000
    assembler = ChunkAssembler()
    assembler.add(messages[0])
    assembler.add(messages[1])
    with pytest.raises(ChunkError, match="sha256"):
        assembler.add(messages[2])
