"""GPU texture files: mip chains and block-compressed DDS (BC1/BC3/BC7).

Pure numpy + a block encoder (etcpak): no torch, no grpc, so the server's encoder pool, the
batch command and tests all use the same code.
"""
from .dds import DDS_FORMATS, DdsInfo, encode_dds, read_dds_header
from .mips import mip_chain

__all__ = ["DDS_FORMATS", "DdsInfo", "encode_dds", "mip_chain", "read_dds_header"]
