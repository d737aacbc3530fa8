"""`assetgen bench` (command.py has the whole story): paths.py (what is measured), device.py (peaks,
FLOPs, precisions), report.py (targets and tables)."""
from .command import add_arguments, main, run
from .paths import PROMPTS

__all__ = ["PROMPTS", "add_arguments", "main", "run"]
