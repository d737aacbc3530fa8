"""`assetgen loadtest`: N clients for T seconds of mixed traffic against a server on loopback.

    assetgen loadtest --models /tmp/models --clients 64 --duration 60
    assetgen loadtest --address 127.0.0.1:50051 --server-pid 1234 --clients 8 --duration 10

By default it starts `assetgen serve` itself as a child process (configured by the usual
ASSETGEN_* environment variables, port chosen freely) so it can read the server's memory from
/proc; with --address it drives a running server (and reads its RSS if --server-pid is given).

Traffic per client, in a loop: interactive Generate (1-2 assets), background Generate (4-8),
a Generate abandoned after its first asset (a player who walked away), and a Session that
submits three tags and cancels one. RESOURCE_EXHAUSTED is a deliberate refusal: the client
waits the server's `retry-after-ms` hint and goes on. Anything else is a failure.

Bounded on purpose: at most MAX_CLIENTS clients, MAX_DURATION_S seconds and --max-requests
requests, and only loopback addresses unless --allow-remote (a load test is not a tool to point
at someone else's server).
"""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..measure import percentile

MAX_CLIENTS = 512
MAX_DURATION_S = 900.0
CALL_TIMEOUT_S = 60.0
PROMPTS = [
    "mossy cobblestone wall", "cracked marble floor", "rusty iron sword", "goblin archer", "oak door",
    "lava rock", "wooden crate", "gold coins", "healing potion", "sand dunes", "ice cave wall",
    "brick chimney", "skeleton warrior", "bronze shield", "grass tile", "dark forest floor",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, default=8, help=f"concurrent clients (1..{MAX_CLIENTS}; default 8)")
    parser.add_argument("--duration", type=float, default=10.0,
                        help=f"seconds of load (up to {MAX_DURATION_S:.0f}; default 10)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop starting requests after this many")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds of load before the RSS baseline is taken (default: 10%% of --duration, max 10)")
    parser.add_argument("--models", default=os.environ.get("ASSETGEN_MODELS", "models"),
                        help="models folder for the server this command starts [env ASSETGEN_MODELS]")
    parser.add_argument("--address", default="",
                        help="drive a running server at host:port instead of starting one")
    parser.add_argument("--server-pid", type=int, default=0, help="with --address: the server's pid, to read its RSS")
    parser.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --address")
    parser.add_argument("--max-rss-growth", type=float, default=0.10,
                        help="exit 1 if server RSS grows more than this fraction after warm-up (default 0.10)")
    parser.add_argument("--seed", type=int, default=0, help="traffic mix seed")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    from ..client.arguments import add_credential_arguments

    add_credential_arguments(parser)


def is_loopback(address: str) -> bool:
    host = address.rsplit(":", 1)[0].strip("[]") if ":" in address else address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a DNS name could resolve anywhere


def rss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@dataclass
class Tally:
    completed: int = 0          # requests (Generate calls, Session tags) that delivered every asset
    assets: int = 0
    rejected: int = 0           # RESOURCE_EXHAUSTED: deliberate refusals
    cancelled: int = 0          # cancelled by this load test on purpose
    failed: int = 0
    started: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # "CODE: details" -> times (first 100 chars)
    latency: dict[str, list[float]] = field(default_factory=lambda: {"interactive": [], "background": []})

    def fail(self, code: str, details: str) -> None:
        self.failed += 1
        key = f"{code}: {details[:100]}"
        self.failures[key] = self.failures.get(key, 0) + 1


class LoadClient:
    def __init__(self, number: int, address: str, args, kinds: list[tuple[str, int]], tally: Tally,
                 stop_at: float, budget: list[int]) -> None:
        from ..client import AsyncAssetGenClient

        self.client = AsyncAssetGenClient(address, token=args.token or None, tls_ca=args.tls_ca or None)
        self.rng = random.Random(args.seed * 100_003 + number)
        self.kinds = kinds
        self.tally = tally
        self.stop_at = stop_at
        self.budget = budget  # shared [requests left]
        self.number = number

    async def run(self) -> None:
        try:
            while time.monotonic() < self.stop_at and self.budget[0] > 0:
                self.budget[0] -= 1
                self.tally.started += 1
                pick = self.rng.random()
                if pick < 0.55:
                    await self._generate("interactive", self.rng.randint(1, 2))
                elif pick < 0.75:
                    await self._generate("background", self.rng.randint(4, 8))
                elif pick < 0.87:
                    await self._generate("interactive", 4, abandon=True)
                else:
                    await self._session()
        finally:
            await self.client.close()

    def _request(self) -> dict:
        kind, _size = self.rng.choice(self.kinds)
        return dict(prompt=self.rng.choice(PROMPTS), kind=kind, seed=self.rng.randrange(2**32))

    async def _refused(self, error) -> None:
        """Honour the server's retry hint (capped, so a client never sleeps through the test)."""
        self.tally.rejected += 1
        hint = dict(error.trailing_metadata() or ()).get("retry-after-ms", "100")
        await asyncio.sleep(min(1.0, int(hint) / 1000.0) if str(hint).isdigit() else 0.1)

    async def _generate(self, priority: str, count: int, abandon: bool = False) -> None:
        import grpc

        request = self._request()
        started = time.monotonic()
        got = 0
        try:
            async for _asset in self.client.generate(request.pop("prompt"), request.pop("kind"), count=count,
                                                     priority=priority, timeout=CALL_TIMEOUT_S, **request):
                got += 1
                if abandon:
                    break  # leaving the loop cancels the call; the server must drop the rest
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                await self._refused(e)
            else:
                self.tally.fail(e.code().name, e.details() or "")
            return
        self.tally.assets += got
        if abandon:
            self.tally.cancelled += 1
        elif got == count:
            self.tally.completed += 1
            self.tally.latency[priority].append(time.monotonic() - started)
        else:
            self.tally.fail("SHORT", f"{got} of {count} assets")

    async def _session(self) -> None:
        import grpc

        session = self.client.session()
        tags = [f"c{self.number}-{self.rng.randrange(1 << 30)}-{i}" for i in range(3)]
        started = {}
        try:
            for tag in tags:
                request = self._request()
                started[tag] = time.monotonic()
                await session.submit(tag, request.pop("prompt"), request.pop("kind"), count=self.rng.randint(1, 3),
                                     **request)
            await session.cancel(tags[1])
            await session.close()
            async for event in session:
                if event.asset is not None:
                    self.tally.assets += 1
                elif event.done:
                    self.tally.completed += 1
                    self.tally.latency["interactive"].append(time.monotonic() - started[event.tag])
                elif event.failed:
                    if event.code == grpc.StatusCode.CANCELLED and event.tag == tags[1]:
                        self.tally.cancelled += 1
                    elif event.code == grpc.StatusCode.RESOURCE_EXHAUSTED:
                        self.tally.rejected += 1
                    else:
                        self.tally.fail(event.code.name, event.message)
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                await self._refused(e)
            else:
                self.tally.fail(e.code().name, e.details() or "")
        finally:
            session.abort()


def start_server(models: str) -> tuple[subprocess.Popen, str, Path]:
    """`assetgen serve` on a free loopback port; its log goes to a temporary file."""
    log_path = Path(tempfile.mkstemp(prefix="assetgen-loadtest-", suffix=".log")[1])
    env = dict(os.environ, ASSETGEN_HOST="127.0.0.1", ASSETGEN_PORT="0", ASSETGEN_MODELS=str(models))
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "plugin_service.cli", "serve"], env=env,
                                stdout=subprocess.PIPE, stderr=log, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.startswith("assetgen: SERVING on "):
            return proc, line.split()[-1], log_path
    proc.kill()
    raise RuntimeError(f"the server did not become SERVING (exit {proc.poll()}); its log: {log_path}")


async def drive(address: str, args, server_pid: int | None) -> dict:
    from ..client import AsyncAssetGenClient

    async with AsyncAssetGenClient(address, token=args.token or None, tls_ca=args.tls_ca or None) as probe:
        await probe.wait_ready(timeout=300)
        models, default = await probe.list_models()
    model = next(m for m in models if m.name == default)
    kinds = [(k.kind, k.native_size) for k in model.kinds.values()]
    rss_idle = rss_bytes(server_pid) if server_pid else None

    tally = Tally()
    started = time.monotonic()
    stop_at = started + args.duration
    budget = [args.max_requests]
    clients = [LoadClient(i, address, args, kinds, tally, stop_at, budget) for i in range(args.clients)]
    tasks = [asyncio.create_task(c.run()) for c in clients]
    warmup = args.warmup if args.warmup is not None else min(10.0, args.duration * 0.1)
    await asyncio.sleep(min(warmup, args.duration))
    rss_warm = rss_bytes(server_pid) if server_pid else None
    rss_peak = rss_warm or 0
    while not all(t.done() for t in tasks):
        await asyncio.wait(tasks, timeout=0.5)
        rss_peak = max(rss_peak, (rss_bytes(server_pid) if server_pid else 0) or 0)
    for task in tasks:
        task.result()  # a bug in the load test itself should show, not hide
    elapsed = time.monotonic() - started
    await asyncio.sleep(1.0)  # let the server finish encoding and free per-call buffers
    rss_end = rss_bytes(server_pid) if server_pid else None

    all_latency = tally.latency["interactive"] + tally.latency["background"]
    ms = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731
    report = {
        "address": address, "model": default, "clients": args.clients, "duration_s": round(elapsed, 1),
        "operations": tally.started, "completed": tally.completed, "assets": tally.assets,
        "rejected": tally.rejected, "cancelled": tally.cancelled, "failed": tally.failed,
        "failures": tally.failures,
        "assets_per_s": round(tally.assets / elapsed, 1),
        "p50_ms": ms(percentile(all_latency, 50)), "p99_ms": ms(percentile(all_latency, 99)),
        "interactive_p50_ms": ms(percentile(tally.latency["interactive"], 50)),
        "interactive_p99_ms": ms(percentile(tally.latency["interactive"], 99)),
        "background_p50_ms": ms(percentile(tally.latency["background"], 50)),
        "background_p99_ms": ms(percentile(tally.latency["background"], 99)),
        "server_rss_idle_mb": _mb(rss_idle), "server_rss_after_warmup_mb": _mb(rss_warm),
        "server_rss_peak_mb": _mb(rss_peak or None), "server_rss_end_mb": _mb(rss_end),
        "rss_growth_after_warmup": round(rss_end / rss_warm - 1, 4) if rss_end and rss_warm else None,
    }
    return report


def _mb(value: int | None) -> float | None:
    return None if value is None else round(value / (1 << 20), 1)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.clients <= MAX_CLIENTS:
        print(f"assetgen loadtest: --clients must be 1..{MAX_CLIENTS}", file=sys.stderr)
        return 2
    if not 0 < args.duration <= MAX_DURATION_S:
        print(f"assetgen loadtest: --duration must be in (0, {MAX_DURATION_S:.0f}] seconds", file=sys.stderr)
        return 2
    if args.address and not args.allow_remote and not is_loopback(args.address):
        print(f"assetgen loadtest: {args.address} is not a loopback address; pass --allow-remote if you own "
              f"that server", file=sys.stderr)
        return 2

    proc = log_path = None
    if args.address:
        address, pid = args.address, args.server_pid or None
    else:
        proc, address, log_path = start_server(args.models)
        pid = proc.pid
    try:
        report = asyncio.run(drive(address, args, pid))
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    if log_path is not None:
        report["server_log"] = str(log_path)
    growth = report["rss_growth_after_warmup"]
    report["ok"] = report["failed"] == 0 and (growth is None or growth <= args.max_rss_growth)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:28} {value}")
    return 0 if report["ok"] else 1
