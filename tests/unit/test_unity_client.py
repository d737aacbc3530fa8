"""The Unity package (unity_client/): generated C# is fresh, the package is well formed for UPM,
its engine-free Core assembly passes its NUnit tests under mono, and the Python client agrees with
it on the shared golden vectors (tests/golden/).

Tools (Debian 12): protoc from protobuf-compiler; mcs from mono-mcs; nunit-console and
nunit.framework.dll from nunit-console and libnunit-cil-dev. A test that needs a missing tool
skips and names the package to install; nothing else skips.
"""
from __future__ import annotations

import base64
import filecmp
import glob
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from plugin_service.client.assets import ChunkAssembler, ChunkError, FORMATS, KINDS
from plugin_service.client.cache_key import asset_cache_key
from plugin_service.proto.assetgen.v1 import assetgen_pb2 as pb

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "unity_client"
GENERATED = PACKAGE / "Runtime" / "Generated"
CORE = PACKAGE / "Runtime" / "Core"
CORE_TESTS = PACKAGE / "Tests" / "Editor" / "Core"
GOLDEN = ROOT / "tests" / "golden"
TOOL_TIMEOUT_S = 300


def load_gen_csharp():
    spec = importlib.util.spec_from_file_location("gen_csharp", ROOT / "scripts" / "gen_csharp.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed: apt-get install -y {package}")
    return path


def nunit_framework() -> str:
    found = os.environ.get("NUNIT_FRAMEWORK") or next(iter(sorted(glob.glob("/usr/lib/cli/nunit.framework-*/nunit.framework.dll"))), None)
    if not found:
        pytest.skip("nunit.framework.dll is not installed: apt-get install -y libnunit-cil-dev (or set NUNIT_FRAMEWORK)")
    return found


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=TOOL_TIMEOUT_S, **kwargs)


# --- generated code -----------------------------------------------------------------------------

def test_generated_csharp_is_fresh(tmp_path):
    require("protoc", "protobuf-compiler")
    gen = load_gen_csharp()
    version = gen.protoc_version(gen.find_protoc())
    fresh = {p.name for p in gen.generate(tmp_path)}
    checked_in = {p.name for p in GENERATED.iterdir() if p.is_file()}
    hint = f"run `python scripts/gen_csharp.py` and commit (checked-in files were made by {gen.PROTOC_VERSION}, this protoc is {version})"
    assert fresh == checked_in, f"generated file set changed: {hint}"
    stale = sorted(name for name in fresh if not filecmp.cmp(tmp_path / name, GENERATED / name, shallow=False))
    assert not stale, f"stale generated files {stale}: {hint}"


def test_generated_client_has_the_grpc_plugin_names():
    text = (GENERATED / "AssetgenGrpc.cs").read_text()
    assert "namespace AssetGen.V1 {" in text
    assert "public partial class AssetGenClient : grpc::ClientBase<AssetGenClient>" in text
    for signature in ("grpc::AsyncServerStreamingCall<global::AssetGen.V1.Asset> Generate(",
                      "grpc::AsyncDuplexStreamingCall<global::AssetGen.V1.SessionRequest, global::AssetGen.V1.SessionResponse> Session(",
                      "grpc::AsyncUnaryCall<global::AssetGen.V1.ListModelsResponse> ListModelsAsync("):
        assert signature in text
    assert '__ServiceName = "assetgen.v1.AssetGen"' in text


# --- package layout -----------------------------------------------------------------------------

def test_package_manifest_and_layout():
    manifest = json.loads((PACKAGE / "package.json").read_text())
    assert re.fullmatch(r"com\.[a-z0-9-]+\.[a-z0-9.-]+", manifest["name"])
    assert re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?", manifest["version"])
    assert re.fullmatch(r"\d{4}\.\d", manifest["unity"])
    for sample in manifest["samples"]:
        assert (PACKAGE / sample["path"]).is_dir(), sample
    for path in ("Runtime", "Editor", "Tests/Editor", "Tests/Runtime", "Samples~", "Documentation~", "CHANGELOG.md", "README.md"):
        assert (PACKAGE / path).exists(), path
    version = manifest["version"]
    assert f"## [{version}]" in (PACKAGE / "CHANGELOG.md").read_text(), "CHANGELOG.md has no entry for the package version"


def test_asmdefs_reference_what_exists():
    asmdefs = {p: json.loads(p.read_text()) for p in PACKAGE.rglob("*.asmdef")}
    names = {a["name"] for a in asmdefs.values()}
    external = {"YetAnotherHttpHandler", "UnityEngine.TestRunner", "UnityEditor.TestRunner"}
    for path, asmdef in asmdefs.items():
        for ref in asmdef.get("references", []):
            assert ref in names or ref in external, f"{path.relative_to(PACKAGE)} references unknown assembly {ref}"
    core = json.loads((CORE / "AssetGen.Client.Core.asmdef").read_text())
    assert core["noEngineReferences"] is True and core["references"] == []
    editor = json.loads((PACKAGE / "Editor" / "AssetGen.Client.Editor.asmdef").read_text())
    assert editor["includePlatforms"] == ["Editor"]


def test_core_does_not_touch_unity_or_grpc():
    for path in CORE.glob("*.cs"):
        text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("//"))
        for forbidden in ("using UnityEngine", "using UnityEditor", "using Grpc", "using Google.Protobuf", "AssetGen.V1"):
            assert forbidden not in text, f"{path.name} uses {forbidden}: Core must build with the base library alone"


def test_every_unity_visible_file_has_a_stable_meta():
    gen = load_gen_csharp()
    guids: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix == ".meta":
            owner = path.with_name(path.name[: -len(".meta")])
            assert owner.exists(), f"orphan meta {path.relative_to(PACKAGE)}"
            continue
        if not gen.unity_visible(path, PACKAGE):
            continue
        meta = path.with_name(path.name + ".meta")
        assert meta.exists(), f"{path.relative_to(PACKAGE)} has no .meta: run `python scripts/gen_csharp.py --metas`"
        guid = re.search(r"^guid: ([0-9a-f]{32})$", meta.read_text(), re.MULTILINE).group(1)
        assert guid not in guids, f"{path} and {guids[guid]} share GUID {guid}"
        guids[guid] = path
        assert ("folderAsset: yes" in meta.read_text()) == path.is_dir(), meta


# --- the shared golden vectors, Python side -----------------------------------------------------

def _pb_asset(message: dict) -> pb.Asset:
    return pb.Asset(
        tag=message["tag"], index=message["index"], seed=message["seed"], kind=KINDS[message["kind"]],
        width=message["width"], height=message["height"], format=FORMATS[message["format"]],
        channels=message["channels"], tileable=message["tileable"], model=message["model"],
        model_version=message["model_version"], sha256=message["sha256"], total_size=message["total_size"],
        offset=message["offset"], data=base64.b64decode(message["data_b64"]), pipeline=message["pipeline"],
    )


@pytest.mark.parametrize("case", json.loads((GOLDEN / "chunked_asset.json").read_text())["cases"], ids=lambda c: c["name"])
def test_python_chunk_golden(case):
    assembler = ChunkAssembler()
    expected = list(case["expect"])
    for i, message in enumerate(case["messages"]):
        if i == case.get("error_at"):
            with pytest.raises(ChunkError):
                assembler.add(_pb_asset(message))
            return
        asset = assembler.add(_pb_asset(message))
        if asset is None:
            continue
        want = expected.pop(0)
        assert want["after_message"] == i
        data = base64.b64decode(want["data_b64"])
        assert (asset.tag, asset.index, asset.seed, asset.kind, asset.format, asset.width, asset.height, asset.channels,
                asset.tileable, asset.sha256, asset.data, asset.pipeline) == (
                want["tag"], want["index"], want["seed"], want["kind"], want["format"], want["width"], want["height"],
                want["channels"], want["tileable"], want["sha256"], data, want["pipeline"])
        assert hashlib.sha256(asset.data).hexdigest() == want["sha256"] and len(data) == want["size"]
        assert asset_cache_key(case["prompt"], asset) == want["cache_key"]
    assert "error_at" not in case, "the refused message was never reached"
    assert expected == [] and assembler.pending == 0


# --- the C# side: compile with mcs, run NUnit ---------------------------------------------------

def test_all_package_csharp_parses():
    """Syntax of every C# file, Unity-dependent ones included (mcs cannot resolve UnityEngine here).

    mcs speaks C# 7.0: the package keeps to it (no local functions, `default` literals or
    `await foreach` inside the package; callers may use them)."""
    mcs = require("mcs", "mono-mcs")
    files = sorted(str(p) for p in PACKAGE.rglob("*.cs"))
    result = run([mcs, "--parse", *files])
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_assembly_passes_its_nunit_tests(tmp_path):
    mcs = require("mcs", "mono-mcs")
    console = require("nunit-console", "nunit-console")
    framework = nunit_framework()
    core_dll = tmp_path / "AssetGen.Client.Core.dll"
    tests_dll = tmp_path / "AssetGen.Client.Core.Tests.dll"
    shutil.copy(framework, tmp_path / "nunit.framework.dll")

    build = run([mcs, "-target:library", "-warnaserror+", "-nowarn:1591", f"-out:{core_dll}",
                 *sorted(str(p) for p in CORE.glob("*.cs"))])
    assert build.returncode == 0, "Core does not compile:\n" + build.stdout + build.stderr
    build = run([mcs, "-target:library", f"-out:{tests_dll}", f"-r:{core_dll}", f"-r:{tmp_path / 'nunit.framework.dll'}",
                 *sorted(str(p) for p in CORE_TESTS.glob("*.cs"))])
    assert build.returncode == 0, "Core tests do not compile:\n" + build.stdout + build.stderr

    result_xml = tmp_path / "nunit-result.xml"
    env = {**os.environ, "ASSETGEN_GOLDEN_DIR": str(GOLDEN)}
    result = run([console, "-nologo", "-nodots", f"-xml={result_xml}", str(tests_dll)], cwd=tmp_path, env=env)
    output = result.stdout + result.stderr
    assert result_xml.exists(), "nunit-console wrote no result:\n" + output
    summary = ET.parse(result_xml).getroot().attrib
    counts = {k: int(summary.get(k, 0)) for k in ("total", "errors", "failures", "not-run", "inconclusive", "ignored", "skipped", "invalid")}
    print(f"NUnit: {counts}")
    assert result.returncode == 0, "NUnit tests failed:\n" + output
    assert counts["total"] >= 30, counts
    bad = {k: v for k, v in counts.items() if k != "total" and v}
    assert not bad, f"NUnit tests that did not pass (golden tests must run, not be ignored): {bad}\n{output}"


def test_http_golden_files_are_what_the_server_writes_and_reads():
    """tests/golden/http_*.json(l): lines the HTTP/JSON API writes and request JSON it parses; the C#
    HttpJson tests read the same files."""
    from google.protobuf import json_format

    from plugin_service.client.assets import build_request
    from plugin_service.service.http_api import error_body, ndjson_asset_lines
    from plugin_service.service.jobs import AssetResult, RetryLater

    for case in json.loads((GOLDEN / "http_requests.json").read_text())["cases"]:
        request = {k: tuple(v) if isinstance(v, list) else v for k, v in case["request"].items()}
        assert json_format.Parse(json.dumps(case["json"]), pb.GenerateRequest()) == build_request(**request), case["name"]
    lines = (GOLDEN / "http_generate.ndjson").read_text().splitlines(keepends=True)
    assets = [json.loads(line)["asset"] for line in lines if line.startswith('{"asset"')]
    for line, asset in zip(lines, assets):
        message = json_format.ParseDict(asset, pb.Asset())
        result = AssetResult(
            tag=message.tag, index=message.index, seed=message.seed, kind={1: "texture", 2: "sprite", 3: "prop"}[message.kind],
            width=message.width, height=message.height, format={1: "png", 2: "rgba8"}[message.format],
            channels=message.channels, tileable=message.tileable, model=message.model, model_version=message.model_version,
            sha256=message.sha256, data=message.data, map={1: "albedo", 2: "normal"}[message.map],
            vary_seed=message.vary.seed if message.HasField("vary") else None,
            vary_strength=message.vary.strength if message.HasField("vary") else None,
            interpolate_seed=message.interpolate.seed_b if message.HasField("interpolate") else None,
            interpolate_t=message.interpolate.t if message.HasField("interpolate") else None, pipeline=message.pipeline)
        assert ndjson_asset_lines(result) == [line.encode()]
    assert json.loads(lines[-1]) == error_body(RetryLater("RESOURCE_EXHAUSTED", "the server queue is full", 250, "queue"))
