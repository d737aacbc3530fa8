"""Proto enum numbers <-> the vocabulary's names (vocabulary.py), one table for the server's wire
layer and the Python clients. UNSPECIFIED reads as the field's default (png, albedo, interactive);
a number this code does not know reads as None, so the caller can name it in its own message.
"""
from __future__ import annotations

from .proto.assetgen.v1 import assetgen_pb2 as pb
from .vocabulary import FORMATS, KINDS, MAPS, PRIORITIES

KIND_TO_PROTO = {k: pb.AssetKind.Value(f"ASSET_KIND_{k.upper()}") for k in KINDS}
FORMAT_TO_PROTO = {f: pb.OutputFormat.Value(f"OUTPUT_FORMAT_{f.upper()}") for f in FORMATS}
MAP_TO_PROTO = {m: pb.MaterialMap.Value(f"MATERIAL_MAP_{m.upper()}") for m in MAPS}
PRIORITY_TO_PROTO = {p: pb.Priority.Value(f"PRIORITY_{p.upper()}") for p in PRIORITIES}

KIND_FROM_PROTO = {v: k for k, v in KIND_TO_PROTO.items()}
FORMAT_FROM_PROTO = {v: k for k, v in FORMAT_TO_PROTO.items()} | {pb.OUTPUT_FORMAT_UNSPECIFIED: "png"}
MAP_FROM_PROTO = {v: k for k, v in MAP_TO_PROTO.items()} | {pb.MATERIAL_MAP_UNSPECIFIED: "albedo"}
PRIORITY_FROM_PROTO = {v: k for k, v in PRIORITY_TO_PROTO.items()} | {pb.PRIORITY_UNSPECIFIED: "interactive"}
