"""`assetgen batch` manifests: parsing, defaults, and errors that name the line and the field."""
from __future__ import annotations

import pytest

from plugin_service.tools.batch import ManifestError, default_seed, parse_manifest

GOOD = '''\
[defaults]
format = "png"
count = 2

[assets.cobblestone]
prompt = "mossy cobblestone"
kind = "texture"
size = 128
seed = 100
format = "dds_bc1"
maps = ["albedo", "normal"]

[assets."goblin-archer"]
prompt = "goblin archer"
kind = "sprite"
'''


def test_a_manifest_reads_with_defaults_and_stable_seeds():
    cobble, goblin = parse_manifest(GOOD)
    assert (cobble.name, cobble.width, cobble.height, cobble.seed, cobble.count) == ("cobblestone", 128, 128, 100, 2)
    assert cobble.format == "dds_bc1" and cobble.maps == ("albedo", "normal") and cobble.tileable is None
    assert (goblin.name, goblin.kind, goblin.format, goblin.width) == ("goblin-archer", "sprite", "png", 0)
    assert goblin.seed == default_seed("goblin-archer") == parse_manifest(GOOD)[1].seed


@pytest.mark.parametrize("bad,line,text", [
    (GOOD.replace('kind = "sprite"', 'kind = "sprit"'), 15, "assets.goblin-archer.kind: 'sprit' is not one of"),
    (GOOD.replace("size = 128", 'size = "big"'), 8, "assets.cobblestone.size: must be a int"),
    (GOOD.replace('maps = ["albedo", "normal"]', 'maps = ["albedo", "shiny"]'), 11, "assets.cobblestone.maps"),
    (GOOD.replace("seed = 100", "sead = 100"), 9, "assets.cobblestone.sead: unknown field"),
    (GOOD.replace('prompt = "goblin archer"\n', ""), 13, "assets.goblin-archer.prompt: missing"),
    (GOOD.replace("count = 2", "count = 0"), 3, "assets.cobblestone.count: 0 is out of range"),
    (GOOD.replace('kind = "sprite"', 'kind = "sprite"\nmaps = ["normal"]'), 16, "material maps are for textures"),
])
def test_errors_name_the_line_and_the_field(bad, line, text):
    with pytest.raises(ManifestError) as e:
        parse_manifest(bad, "assets.toml")
    assert str(e.value).startswith(f"assets.toml:{line}: ") and text in str(e.value), str(e.value)


def test_broken_toml_and_empty_manifests_are_reported():
    with pytest.raises(ManifestError, match="invalid TOML"):
        parse_manifest("[assets.x\nprompt = 1")
    with pytest.raises(ManifestError, match="no assets"):
        parse_manifest("[defaults]\nformat = 'png'\n")
    with pytest.raises(ManifestError, match=r"assets.toml:1: unknown table \[asset\]"):
        parse_manifest("[asset.x]\nprompt = 'a'\n", "assets.toml")
    with pytest.raises(ManifestError, match="folder names"):
        parse_manifest('[assets."../x"]\nprompt = "a"\n')
