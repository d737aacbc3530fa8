"""The product's names and defaults, defined once: asset kinds, output formats, material maps,
priorities, precisions, the default address, request limits. Pure data (no torch, no grpc), so the
server, the torch-free clients, the CLI, `assetgen batch` and the training code share one list.
The proto <-> name tables live in wire_names.py; the C# client mirrors these in
unity_client/Runtime/Core (AssetTypes.cs, ClientDefaults.cs).
"""
from __future__ import annotations

# The order of KINDS is part of the generator weights' contract (kind embedding rows, head order):
# append, never reorder.
KINDS: tuple[str, ...] = ("texture", "sprite", "prop")
TILEABLE_KINDS = frozenset({"texture"})
FORMATS: tuple[str, ...] = ("png", "rgba8", "dds_bc1", "dds_bc3", "dds_bc7")
DDS_FORMAT_NAMES: tuple[str, ...] = tuple(f for f in FORMATS if f.startswith("dds_"))
# BC1 as etcpak writes it has no punch-through alpha: opaque assets only (textures and their maps).
FORMATS_WITHOUT_ALPHA = frozenset({"dds_bc1"})
MAPS: tuple[str, ...] = ("albedo", "normal", "height", "roughness")   # material maps of a texture
PRIORITIES: tuple[str, ...] = ("interactive", "background")           # interactive is batched first
PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16", "int8", "fp8")  # service/quantize.py says what each is

DEFAULT_HOST = "127.0.0.1"   # loopback: exposing the port is a deliberate choice
DEFAULT_PORT = 50051
DEFAULT_ADDRESS = f"{DEFAULT_HOST}:{DEFAULT_PORT}"
DEFAULT_MODEL = "assetgen-tiny"
MAX_COUNT = 64               # assets per request (the server's default max_count)
MAX_PROMPT_CHARS = 512
