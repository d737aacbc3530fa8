"""The checked-in generated code matches protos/: regenerate into a temp folder and diff."""
from __future__ import annotations

import filecmp
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED_IN = ROOT / "plugin_service" / "proto"


def load_gen_protos():
    spec = importlib.util.spec_from_file_location("gen_protos", ROOT / "scripts" / "gen_protos.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_proto_code_is_fresh(tmp_path):
    gen = load_gen_protos()
    fresh = {p.relative_to(tmp_path) for p in gen.generate(tmp_path)}
    checked_in = {p.relative_to(CHECKED_IN) for p in CHECKED_IN.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert fresh == checked_in, "generated file set changed: run `python scripts/gen_protos.py` and commit"
    stale = [str(p) for p in sorted(fresh) if not filecmp.cmp(tmp_path / p, CHECKED_IN / p, shallow=False)]
    assert not stale, f"stale generated files {stale}: run `python scripts/gen_protos.py` and commit"


def test_generated_code_imports_from_the_package():
    from plugin_service.proto.assetgen.v1 import assetgen_pb2, assetgen_pb2_grpc

    assert assetgen_pb2.DESCRIPTOR.package == "assetgen.v1"
    assert hasattr(assetgen_pb2_grpc, "AssetGenStub")
    assert "from plugin_service.proto.assetgen.v1 import assetgen_pb2" in Path(assetgen_pb2_grpc.__file__).read_text()
