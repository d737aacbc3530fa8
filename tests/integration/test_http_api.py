"""The HTTP/JSON API beside gRPC (service/http_api.py), on a real server over loopback: routes,
streaming order, the error mapping with the gRPC messages, auth, CORS and the Host check."""
from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from plugin_service.client.sync_client import AssetGenClient

from server_helpers import start_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def http(models_dir):
    thread = start_server(models_dir, http_port=0, http_cors_origins=("https://editor.example",))
    with AssetGenClient(thread.address) as c:
        c.wait_ready(120)
    yield thread, f"http://127.0.0.1:{thread.server.http.port}"
    thread.stop()


def call(url: str, body: dict | None = None, headers: dict | None = None, method: str | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})},
                                     method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, dict(reply.headers), reply.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read().decode()


def test_generate_streams_one_line_per_asset_then_the_status(http):
    thread, base = http
    status, headers, text = call(base + "/v1/generate", {"prompt": "mossy cobblestone", "kind": "ASSET_KIND_TEXTURE",
                                                         "count": 3, "seed": "40", "format": "OUTPUT_FORMAT_RGBA8"})
    assert status == 200 and headers["Content-Type"].startswith("application/x-ndjson") and headers["x-request-id"]
    lines = [json.loads(line) for line in text.splitlines()]
    assert [("asset" in x) for x in lines] == [True, True, True, False] and lines[-1] == {"status": {"code": "OK"}}
    assets = [x["asset"] for x in lines[:3]]
    assert sorted(int(a["seed"]) for a in assets) == [40, 41, 42]
    for a in assets:
        data = base64.b64decode(a["data"])
        assert hashlib.sha256(data).hexdigest() == a["sha256"] and len(data) == 64 * 64 * 4 and a["pipeline"] >= 2
    with AssetGenClient(thread.address) as c:                            # the same bytes as gRPC
        grpc_assets = {a.seed: a.sha256 for a in c.generate("mossy cobblestone", "texture", count=3, seed=40, format="rgba8")}
    assert {int(a["seed"]): a["sha256"] for a in assets} == grpc_assets


def test_models_in_canonical_json(http):
    _, base = http
    status, _, text = call(base + "/v1/models")
    body = json.loads(text)
    assert status == 200 and body["defaultModel"] == "assetgen-test" and body["models"][0]["kinds"]


@pytest.mark.parametrize("body, status, words", [
    ({"prompt": "x", "kind": "ASSET_KIND_SPRITE", "format": "OUTPUT_FORMAT_DDS_BC1"}, 400, ["dds_bc3"]),
    ({"prompt": "\u200b", "kind": "ASSET_KIND_PROP"}, 400, ["no visible text"]),
    ({"prompt": "x", "kind": "ASSET_KIND_TEXTURE", "model": "nope"}, 404, ["nope"]),
    ({"prompt": "x", "kind": "ASSET_KIND_TEXTURE", "count": 1000}, 400, ["count"]),
    ({"prompt": "x", "colour": "red"}, 400, ["not a GenerateRequest"]),
])
def test_errors_map_to_http_codes_with_the_grpc_messages(http, body, status, words):
    _, base = http
    got, _, text = call(base + "/v1/generate", body)
    error = json.loads(text)["error"]
    assert got == status, text
    assert all(w in error["message"] for w in words), error


def test_refusal_to_retry_later_is_429_with_retry_after(models_dir):
    thread = start_server(models_dir, http_port=0, anonymous_rate_per_second=1.0, anonymous_rate_burst=2)
    try:
        with AssetGenClient(thread.address) as c:
            c.wait_ready(120)
        base = f"http://127.0.0.1:{thread.server.http.port}"
        replies = [call(base + "/v1/generate", {"prompt": "rush", "kind": "ASSET_KIND_PROP", "seed": str(seed)})
                   for seed in range(4)]                                   # past the burst of 2 at 1/s
    finally:
        thread.stop()
    refused = [(headers, text) for status, headers, text in replies if status == 429]
    assert refused, [r[0] for r in replies]
    headers, text = refused[0]
    assert int(headers["Retry-After"]) >= 1 and json.loads(text)["error"]["retryAfterMs"] > 0


def test_cors_only_for_configured_origins_and_host_must_name_the_server(http):
    _, base = http
    status, headers, _ = call(base + "/v1/models", headers={"Origin": "https://editor.example"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://editor.example"
    status, headers, _ = call(base + "/v1/models", headers={"Origin": "https://evil.example"})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = call(base + "/v1/generate", method="OPTIONS",
                              headers={"Origin": "https://editor.example", "Access-Control-Request-Method": "POST"})
    assert status == 204 and "POST" in headers["Access-Control-Allow-Methods"]
    status, _, text = call(base + "/v1/models", headers={"Host": "attacker.example"})
    assert status == 403 and "not this server" in text


def test_bearer_tokens_as_on_grpc(models_dir, tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("editor:s3cret-token-for-the-editor\n")
    thread = start_server(models_dir, http_port=0, tokens_file=tokens)
    try:
        with AssetGenClient(thread.address, token="s3cret-token-for-the-editor") as c:
            c.wait_ready(120)
        base = f"http://127.0.0.1:{thread.server.http.port}"
        status, _, text = call(base + "/v1/models")
        assert status == 401 and "Bearer" in json.loads(text)["error"]["message"]
        assert call(base + "/v1/models", headers={"Authorization": "Bearer wrong"})[0] == 401
        status, _, text = call(base + "/v1/generate", {"prompt": "oak door", "kind": "ASSET_KIND_PROP", "seed": "1"},
                               headers={"Authorization": "Bearer s3cret-token-for-the-editor", "Host": "anything.example"})
        assert status == 200 and text.splitlines()[-1] == '{"status": {"code": "OK"}}'
    finally:
        thread.stop()


# ---- gRPC-Web: frames as the protocol defines them (flag byte, 4-byte big-endian length) -------------

def grpc_web(base: str, method: str, message, text: bool = False, headers: dict | None = None):
    import base64
    import struct

    body = b"\x00" + struct.pack(">I", len(message.SerializeToString())) + message.SerializeToString()
    kind = "application/grpc-web-text" if text else "application/grpc-web+proto"
    request = urllib.request.Request(f"{base}/assetgen.v1.AssetGen/{method}", data=base64.b64encode(body) if text else body,
                                     headers={"Content-Type": kind, "X-Grpc-Web": "1", **(headers or {})})
    with urllib.request.urlopen(request, timeout=60) as reply:
        raw, head = reply.read(), dict(reply.headers)
    if text:   # a concatenation of base64 blocks, each padded
        raw = b"".join(base64.b64decode(block) for block in _b64_blocks(raw))
    frames, i = [], 0
    while i < len(raw):
        flag, length = raw[i], struct.unpack(">I", raw[i + 1:i + 5])[0]
        frames.append((flag, raw[i + 5:i + 5 + length]))
        i += 5 + length
    return head, frames


def _b64_blocks(raw: bytes):
    """Split at padding ends: each encoded frame is its own padded block."""
    out, start = [], 0
    for i in range(len(raw)):
        if raw[i:i + 1] == b"=" and (i + 1 == len(raw) or raw[i + 1:i + 2] != b"="):
            out.append(raw[start:i + 1])
            start = i + 1
    if start < len(raw):
        out.append(raw[start:])
    return out


@pytest.mark.parametrize("text", [False, True], ids=["binary", "text"])
def test_grpc_web_generate_and_list_models(http, text):
    from plugin_service.client.assets import build_request
    from plugin_service.proto.assetgen.v1 import assetgen_pb2 as pb

    thread, base = http
    head, frames = grpc_web(base, "Generate", build_request("oak door", "prop", count=2, seed=9, format="rgba8"), text)
    assert head["Content-Type"].startswith("application/grpc-web")
    data = [pb.Asset.FromString(payload) for flag, payload in frames if flag == 0]
    trailer = [payload.decode() for flag, payload in frames if flag == 0x80]
    assert sorted(a.seed for a in data) == [9, 10] and len(trailer) == 1 and "grpc-status: 0" in trailer[0]
    assert frames[-1][0] == 0x80                                        # trailers come last
    with AssetGenClient(thread.address) as c:
        expected = {a.seed: a.sha256 for a in c.generate("oak door", "prop", count=2, seed=9, format="rgba8")}
    assert {a.seed: a.sha256 for a in data} == expected
    head, frames = grpc_web(base, "ListModels", pb.ListModelsRequest(), text)
    assert pb.ListModelsResponse.FromString(frames[0][1]).default_model == "assetgen-test"


def test_grpc_web_refusal_is_trailers_only_with_the_grpc_status(http):
    from plugin_service.client.assets import build_request

    _, base = http
    head, frames = grpc_web(base, "Generate", build_request("goblin archer", "sprite", format="dds_bc1"))
    assert head["grpc-status"] == "3" and "dds_bc3" in urllib.parse.unquote(head["grpc-message"]) and frames == []


def test_https_with_the_same_certificate_and_tokens(models_dir, tmp_path):
    import ssl

    from test_auth_tls import make_ca_and_server_cert

    paths = make_ca_and_server_cert(tmp_path)
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("editor:s3cret-token-for-the-editor\n")
    thread = start_server(models_dir, http_port=0, tokens_file=tokens, tls_cert=paths["cert"], tls_key=paths["key"])
    try:
        with AssetGenClient(thread.address, tls_ca=paths["ca"]) as c:
            c.wait_ready(120)
        url = f"https://127.0.0.1:{thread.server.http.port}/v1/models"
        context = ssl.create_default_context(cafile=str(paths["ca"]))
        request = urllib.request.Request(url, headers={"Authorization": "Bearer s3cret-token-for-the-editor"})
        with urllib.request.urlopen(request, timeout=30, context=context) as reply:
            assert reply.status == 200 and json.loads(reply.read())["defaultModel"] == "assetgen-test"
        import http.client

        with pytest.raises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):   # no plaintext on a TLS port
            urllib.request.urlopen(url.replace("https://", "http://"), timeout=10)
    finally:
        thread.stop()
