"""`assetgen`: the one command line for serving, generating, and (delegated) data/train/eval.

    assetgen serve [--port 50051] [--models ./models] [--model NAME] [--device auto|cpu|cuda]
    assetgen generate "mossy cobblestone" --kind texture --size 128 --count 4 --out out/
    assetgen models | assetgen wait
    assetgen data build ... | assetgen train ... | assetgen eval ...

Client commands import only grpc and the client (fast start, no torch); `serve` imports the
model stack; data/train/eval modules are imported only when their command runs, so this CLI
works in a checkout that lacks them.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

from .client.arguments import add_address_argument, add_credential_arguments
from .vocabulary import KINDS, MAPS, PRIORITIES

# Subcommands whose arguments and logic live in another module: command path -> module.
DELEGATED = {
    ("data", "build"): "plugin_service.data.build",
    ("train",): "plugin_service.training.train",
    ("eval",): "plugin_service.training.evaluate",
    ("average",): "plugin_service.training.average",
    ("bench",): "plugin_service.tools.bench",
    ("batch",): "plugin_service.tools.batch",
    ("loadtest",): "plugin_service.tools.loadtest",
}


def _err(message: str) -> int:
    print(f"assetgen: error: {message}", file=sys.stderr)
    return 1


def _rpc_error(e, address: str) -> int:
    import grpc

    code = e.code()
    if code == grpc.StatusCode.UNAVAILABLE:
        return _err(f"assetgen at {address} is unavailable ({e.details()}); is `assetgen serve` running and "
                    f"ready? (`assetgen wait`, or --address / ASSETGEN_ADDRESS)")
    return _err(f"{code.name}: {e.details()}")


def cmd_serve(args: argparse.Namespace) -> int:
    from .service.config import from_args

    try:
        config = from_args(args)
        from .service.server import run

        return run(config)
    except (ValueError, FileNotFoundError, OSError, RuntimeError) as e:
        return _err(str(e))


def _client_call(args: argparse.Namespace, body) -> int:
    """Run body(client) with the usual error reporting for client commands."""
    import grpc

    from .client import AssetGenClient

    try:
        with AssetGenClient(args.address, token=args.token or None, tls_ca=args.tls_ca or None) as client:
            if getattr(args, "wait_ready", 0):
                client.wait_ready(args.wait_ready)
            return body(client)
    except grpc.RpcError as e:
        return _rpc_error(e, args.address)
    except (TimeoutError, ValueError) as e:
        return _err(str(e))


def cmd_generate(args: argparse.Namespace) -> int:
    if args.count < 1:
        return _err(f"--count {args.count}: ask for at least one asset")
    from tqdm import tqdm

    from .client.files import save_asset

    options = dict(model=args.model, width=args.width or args.size, height=args.height or args.size,
                   count=args.count, seed=args.seed, format=args.format, priority=args.priority,
                   maps=tuple(args.maps or ()))
    if args.no_tileable:
        options["tileable"] = False
    if args.vary_seed is not None and args.interpolate:
        return _err("--vary-seed and --interpolate are exclusive: ask for one of them")
    if args.vary_seed is not None:
        options.update(vary_seed=args.vary_seed, strength=args.strength)
    if args.interpolate:
        options.update(seed=args.interpolate[0], interpolate_seed=args.interpolate[1])
        if args.at is not None:
            options.update(interpolate_t=args.at, count=1)
        elif args.frames is not None:
            options["count"] = args.frames
    if args.atlas and args.format.startswith("dds_"):
        return _err("--atlas packs PNG or raw RGBA8 sprites; use --format png or rgba")
    images = max(1, options["count"]) * max(1, len(options["maps"]))

    def body(client) -> int:
        show_bar = sys.stdout.isatty() and images > 1
        sprites = []
        with tqdm(total=images, unit="asset", disable=not show_bar) as bar:
            for asset in client.generate(args.prompt, args.kind, timeout=args.timeout, **options):
                path = save_asset(asset, args.prompt, args.out)
                bar.write(str(path), file=sys.stdout)
                bar.update()
                if args.atlas:
                    sprites.append((path.stem, asset.pixels()))
        if args.atlas:
            from .client.atlas import atlas_name, write_atlas

            sprites.sort()  # assets arrive in any order; the atlas does not depend on it
            print(write_atlas(sprites, args.out, atlas_name(args.prompt, [name for name, _ in sprites]),
                              padding=args.atlas_padding, mips=args.atlas_mips))
        return 0

    return _client_call(args, body)


def cmd_models(args: argparse.Namespace) -> int:
    def body(client) -> int:
        models, default = client.list_models()
        if args.json:
            from dataclasses import asdict

            print(json.dumps({"default_model": default, "models": [asdict(m) for m in models]}, indent=2))
            return 0
        for m in models:
            print(f"{m.name} {m.version}{'  (default)' if m.is_default else ''}  formats: {', '.join(m.formats)}"
                  f"  max count {m.limits['max_count']}, prompt <= {m.limits['max_prompt_chars']} chars")
            for k in m.kinds.values():
                tile = ", tileable" if k.tileable else ""
                print(f"  {k.kind:8} native {k.native_size}px, sizes {', '.join(map(str, k.sizes))}, "
                      f"{k.channels} channels{tile}")
        return 0

    return _client_call(args, body)


def cmd_wait(args: argparse.Namespace) -> int:
    def body(client) -> int:
        client.wait_ready(args.timeout)
        print(f"assetgen at {args.address} is SERVING")
        return 0

    return _client_call(args, body)


def run_delegated(command: tuple[str, ...], argv: list[str]) -> int:
    module_name = DELEGATED[command]
    prog = "assetgen " + " ".join(command)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        parts = module_name.split(".")
        if e.name not in {".".join(parts[:i]) for i in range(1, len(parts) + 1)}:
            raise  # the module exists but one of its own imports is missing: show that
        return _err(f"`{prog}` is not available: module {module_name} is not in this installation "
                    f"(it ships with the data/training part of the project)")
    if not (hasattr(module, "add_arguments") and hasattr(module, "run")):
        return _err(f"{module_name} does not expose add_arguments(parser) and run(args)")
    summary = (module.__doc__ or "").strip().split("\n", 1)[0]
    parser = argparse.ArgumentParser(prog=prog, description=summary or None)
    module.add_arguments(parser)
    return int(module.run(parser.parse_args(argv)) or 0)


def _add_client_arguments(parser: argparse.ArgumentParser) -> None:
    add_address_argument(parser)
    add_credential_arguments(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assetgen", description="Runtime game asset generation service and tools.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the gRPC service")
    from .service.config import add_arguments as add_serve_arguments

    add_serve_arguments(serve)
    serve.set_defaults(handler=cmd_serve)

    gen = sub.add_parser("generate", help="generate assets into a folder (file + JSON sidecar each)")
    gen.add_argument("prompt", help='what to make, e.g. "mossy cobblestone"')
    gen.add_argument("--kind", default="texture", choices=KINDS)
    gen.add_argument("--size", type=int, default=0, help="width and height in pixels (default: the kind's native size)")
    gen.add_argument("--width", type=int, default=0, help="overrides --size")
    gen.add_argument("--height", type=int, default=0, help="overrides --size")
    gen.add_argument("--count", type=int, default=1, help="how many assets (1..64); seeds seed, seed+1, ...")
    gen.add_argument("--seed", type=int, default=None, help="first seed (default: the server picks one)")
    gen.add_argument("--format", default="png", choices=("png", "rgba", "dds_bc1", "dds_bc3", "dds_bc7"),
                     help="png, raw RGBA8 bytes (.rgba), or a block-compressed DDS with mips (bc1: opaque, "
                          "bc3/bc7: with alpha)")
    gen.add_argument("--maps", nargs="+", choices=MAPS, default=None,
                     help="textures: material maps to make from each image (default: albedo only)")
    gen.add_argument("--vary-seed", type=int, default=None, metavar="S",
                     help="variations of --seed: asset i mixes in the noise of seed S + i")
    gen.add_argument("--strength", type=float, default=0.2,
                     help="with --vary-seed: how far to move, in (0, 1] (default 0.2)")
    gen.add_argument("--interpolate", type=int, nargs=2, default=None, metavar=("SEED_A", "SEED_B"),
                     help="frames that morph from SEED_A's image to SEED_B's")
    gen.add_argument("--frames", type=int, default=None, help="with --interpolate: how many frames (default --count)")
    gen.add_argument("--at", type=float, default=None, metavar="T",
                     help="with --interpolate: only the frame at T in [0, 1] (what a sidecar reproduces)")
    gen.add_argument("--atlas", action="store_true",
                     help="also pack the assets into <prompt>_<id>_atlas.png with Unity sprite metadata (.json)")
    gen.add_argument("--atlas-mips", type=int, default=0,
                     help="mip levels the atlas must stay clean at: edges are extruded and padding grows to "
                          "2^(N+1) px so no mip mixes neighbours (default 0: mip 0 only)")
    gen.add_argument("--atlas-padding", type=int, default=None, help="pixels between sprites (default: what --atlas-mips needs)")
    gen.add_argument("--model", default="", help="model name (default: the server's default)")
    gen.add_argument("--priority", default="interactive", choices=PRIORITIES)
    gen.add_argument("--no-tileable", action="store_true", help="textures: do not ask for seamless wrap")
    gen.add_argument("--out", default="out", help="output folder (default ./out)")
    gen.add_argument("--timeout", type=float, default=None, help="deadline in seconds for the whole request")
    gen.add_argument("--wait-ready", type=float, default=0, metavar="SECONDS",
                     help="first wait up to SECONDS for the server to report SERVING")
    _add_client_arguments(gen)
    gen.set_defaults(handler=cmd_generate)

    models = sub.add_parser("models", help="list the server's models, kinds, sizes and limits")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    models.add_argument("--wait-ready", type=float, default=0, metavar="SECONDS")
    _add_client_arguments(models)
    models.set_defaults(handler=cmd_models)

    wait = sub.add_parser("wait", help="block until the server reports SERVING (exit 1 on timeout)")
    wait.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    _add_client_arguments(wait)
    wait.set_defaults(handler=cmd_wait)

    # Delegated commands: their own module parses the rest of the line (so --help reaches it too).
    data = sub.add_parser("data", help="dataset tools")
    data_sub = data.add_subparsers(dest="data_command", required=True, metavar="DATA_COMMAND")
    data_sub.add_parser("build", help="build the training dataset", add_help=False).set_defaults(delegate=("data", "build"))
    sub.add_parser("train", help="train a generator", add_help=False).set_defaults(delegate=("train",))
    sub.add_parser("eval", help="evaluate a model directory", add_help=False).set_defaults(delegate=("eval",))
    sub.add_parser("average", help="average a model's generator weights with its fine-tune's (WiSE-FT)",
                   add_help=False).set_defaults(delegate=("average",))
    sub.add_parser("bench", help="naive vs optimized vs gRPC speed on this machine (img/s, p50/p99, % of peak)",
                   add_help=False).set_defaults(delegate=("bench",))
    sub.add_parser("batch", help="generate every asset of a TOML manifest into a folder tree (resumable)",
                   add_help=False).set_defaults(delegate=("batch",))
    sub.add_parser("loadtest", help="load-test a server (loopback): N clients for T seconds, latency and RSS",
                   add_help=False).set_defaults(delegate=("loadtest",))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    if getattr(args, "delegate", None):
        return run_delegated(args.delegate, rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
