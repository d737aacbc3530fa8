"""GPU texture files and the pixels they hold: block-compressed DDS (dds.py, BC1/BC3/BC7 via
etcpak), mip chains (mips.py) and alpha bleeding (alpha.py, torch: it also runs on the runner's
device).

Import the submodule you need (`from ..formats.dds import encode_dds`): this package imports none
of them, so code that only bleeds alpha does not need the block encoder.
"""
