#!/usr/bin/env python3
"""Write a random-weight model directory, for trying the service before a trained model exists.

    python scripts/make_random_model.py /tmp/models/assetgen-tiny --config tiny
    assetgen serve --models /tmp/models

The pixels are noise shaped by the architecture (textures still tile exactly), never art.
Do not commit its output under models/: that folder holds trained models with model cards.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from plugin_service.model.config import get_config  # noqa: E402
from plugin_service.model.random_model import make_random_model_dir  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="model directory to write (its name becomes the model name)")
    parser.add_argument("--config", default="tiny", help="generator config: tiny, base or test")
    parser.add_argument("--native", type=int, default=64, help="native size of every kind in pixels")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    path = make_random_model_dir(args.out, get_config(args.config), native=args.native, seed=args.seed)
    print(f"wrote random-weight model {path.name!r} to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
