"""The assetgen CLI against the shared real server: files, sidecars, models, wait, delegation."""
from __future__ import annotations

import hashlib
import json

import pytest
from PIL import Image

from plugin_service import cli

pytestmark = pytest.mark.integration


def test_generate_writes_files_and_reproducible_sidecars(server, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(["generate", "Mossy cobblestone!", "--kind", "texture", "--size", "128", "--count", "3",
                     "--seed", "1234", "--out", str(out), "--address", server.address, "--wait-ready", "10"])
    assert code == 0
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 6 and all(n.startswith(f"mossy-cobblestone_s{s}_") for n, s in zip(names, (1234, 1234, 1235, 1235, 1236, 1236)))
    printed = capsys.readouterr().out.split()
    assert len(printed) == 3 and all(p.endswith(".png") for p in printed)
    [middle] = out.glob("mossy-cobblestone_s1235_*.png")
    side = json.loads(middle.with_name(middle.name + ".json").read_text())
    assert side["file"] == middle.name and middle.name == f"mossy-cobblestone_s1235_{side['cache_key'][:8]}.png"
    data = middle.read_bytes()
    assert side["sha256"] == hashlib.sha256(data).hexdigest()
    assert {k: side[k] for k in ("model", "prompt", "kind", "width", "height", "seed", "format", "tileable")} == {
        "model": "assetgen-test", "prompt": "Mossy cobblestone!", "kind": "texture", "width": 128, "height": 128,
        "seed": 1235, "format": "png", "tileable": True}
    assert side["model_version"] == "test-0"
    assert Image.open(middle).size == (128, 128)

    # The sidecar's values give the same bytes again.
    again = tmp_path / "again"
    assert cli.main(["generate", side["prompt"], "--kind", side["kind"], "--width", str(side["width"]),
                     "--height", str(side["height"]), "--seed", str(side["seed"]), "--model", side["model"],
                     "--out", str(again), "--address", server.address]) == 0
    assert (again / middle.name).read_bytes() == data           # the same asset: the same name and bytes


def test_generate_raw_rgba_sprite(server, tmp_path):
    assert cli.main(["generate", "goblin archer", "--kind", "sprite", "--format", "rgba", "--seed", "7",
                     "--out", str(tmp_path), "--address", server.address]) == 0
    [path] = tmp_path.glob("goblin-archer_s7_*.rgba")
    assert len(path.read_bytes()) == 64 * 64 * 4
    assert json.loads(path.with_name(path.name + ".json").read_text())["format"] == "rgba8"


def test_generate_bad_request_exits_nonzero_with_the_servers_message(server, tmp_path, capsys):
    code = cli.main(["generate", "moss", "--size", "100", "--out", str(tmp_path), "--address", server.address])
    assert code == 1
    err = capsys.readouterr().err
    assert "INVALID_ARGUMENT" in err and "32, 64, 128" in err
    assert not any(tmp_path.iterdir())


def test_models_and_wait(server, capsys):
    assert cli.main(["models", "--address", server.address]) == 0
    text = capsys.readouterr().out
    assert "assetgen-test test-0  (default)" in text and "sizes 32, 64, 128, 256, 512, 1024" in text
    assert cli.main(["models", "--json", "--address", server.address]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["default_model"] == "assetgen-test"
    assert cli.main(["wait", "--timeout", "5", "--address", server.address]) == 0


def test_unreachable_server_is_a_clear_error(capsys):
    assert cli.main(["models", "--address", "127.0.0.1:1"]) == 1
    assert "is `assetgen serve` running" in capsys.readouterr().err
    assert cli.main(["wait", "--timeout", "0.3", "--address", "127.0.0.1:1"]) == 1
    assert "not SERVING" in capsys.readouterr().err


def test_missing_delegated_module_is_a_clear_error(monkeypatch, capsys):
    monkeypatch.setitem(cli.DELEGATED, ("train",), "plugin_service.training.not_written_yet")
    assert cli.main(["train", "--epochs", "3"]) == 1
    assert "`assetgen train` is not available" in capsys.readouterr().err
