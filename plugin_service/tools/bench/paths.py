"""The measured paths of `assetgen bench`: naive (what a plain PyTorch script does), the optimized
path in-process (runner + scheduler), and the same through gRPC Generate and Session with the
clients in a child process; closed loops of N concurrent callers, interleaved in rounds."""
from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import numpy as np

from ...measure import percentile

PROMPTS = ("goblin archer", "rusty iron sword", "mossy cobblestone wall", "red health potion", "oak door",
           "skeleton warrior", "wooden shield", "gold coins", "blue mage", "lava rock", "brazier flame",
           "elven bow", "cracked marble", "orc axe", "green slime", "treasure chest")
LIFTED_LIMITS = {"rate_per_second": 1e9, "rate_burst": 10**9, "max_in_flight": 10**6, "max_sessions": 10**6,
                 "max_concurrent_streams": 1024}


def summarize(latencies_s: list[float], wall_s: float) -> dict:
    ms = np.array(latencies_s) * 1e3
    return {"requests": len(ms), "img_per_s": len(ms) / wall_s if wall_s > 0 else 0.0,
            "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99), "wall_s": wall_s}


# ---- the three paths ----------------------------------------------------------------------------


def bench_naive(entry, device, kind: str, size: int, requests: int, seconds: float) -> dict:
    """One request at a time: encode the prompt, make the noise, fp32 NCHW batch 1, uint8, PNG."""
    import torch

    from ...model.config import KIND_INDEX
    from ...model.generator import make_noise
    from ...model.model_dir import load_generator
    from ...model.text_encoder import load_text_encoder
    from ...service.encode import encode_pixels
    from ...service.postprocess import to_rgba8

    _, generator = load_generator(entry.path, entry.manifest)
    generator = generator.to(device).eval()
    cfg, channels = entry.manifest.config, entry.manifest.kinds[kind].channels
    encoder = load_text_encoder(device, cache_size=0)
    cells = size // cfg.stride

    def one(i: int) -> None:
        with torch.inference_mode():
            text = encoder.encode_uncached([PROMPTS[i % len(PROMPTS)]])                    # no cache
            noise = make_noise(i, cfg.noise_channels, cells, cells)[None].to(device)
            images = generator(text, noise, torch.tensor([KIND_INDEX[kind]], device=device))
            encode_pixels(to_rgba8(images, kind == "texture").numpy()[0], "png", channels)

    for i in range(3):
        one(i)  # warm-up, not timed
    latencies, start = [], time.perf_counter()
    i = 0
    while (i < requests) if requests else (time.perf_counter() - start < seconds):
        t = time.perf_counter()
        one(i)
        latencies.append(time.perf_counter() - t)
        i += 1
    return summarize(latencies, time.perf_counter() - start)


async def closed_loop(call, concurrency: int, requests: int, seconds: float, stats=None, on_warm=None) -> dict:
    """`concurrency` callers, each awaiting call(i) back to back, after one untimed call each.
    -> {"latencies_s", "wall_s"} plus, given the scheduler's `stats`, what it ran meanwhile.
    `on_warm()`: called once the untimed calls are done and timing starts."""
    await asyncio.gather(*(call(10_000_000 + c) for c in range(concurrency)))
    if on_warm is not None:
        on_warm()
    before = stats_snapshot(stats)
    latencies: list[float] = []
    counter = iter(range(10**9))
    start = time.perf_counter()

    async def caller() -> None:
        for i in counter:
            if (i >= requests) if requests else (time.perf_counter() - start >= seconds):
                return
            t = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - t)

    await asyncio.gather(*(caller() for _ in range(concurrency)))
    part = {"latencies_s": latencies, "wall_s": time.perf_counter() - start}
    if before is not None:
        part["ran"] = stats_delta(stats, before)
    return part


def stats_snapshot(stats) -> tuple[int, int, float] | None:
    return None if stats is None else (stats.batches, stats.images, stats.compute_s)


def stats_delta(stats, before: tuple[int, int, float]) -> list:
    """[batches, images, compute seconds] the scheduler ran since `before`."""
    now = stats_snapshot(stats)
    return [now[0] - before[0], now[1] - before[1], now[2] - before[2]]


def merge_parts(parts: list[dict]) -> dict:
    """Rounds of one path -> its summary: pooled latencies over summed wall time; the scheduler's
    mean batch, busy share (time in runner.run / wall) and compute ms per image."""
    latencies = [x for p in parts for x in p["latencies_s"]]
    wall = sum(p["wall_s"] for p in parts)
    summary = summarize(latencies, wall)
    ran = [sum(p["ran"][i] for p in parts if "ran" in p) for i in range(3)]
    if ran[0]:
        summary.update(mean_batch=ran[1] / ran[0], runner_busy=ran[2] / wall, compute_ms_per_img=1e3 * ran[2] / ran[1])
    summary["rounds"] = len(parts)
    return summary


RPCS = ("generate", "session")  # gRPC paths: result keys "grpc" and "grpc_session"


async def bench_served(runner, catalog, config, model: str, kind: str, size: int, concurrencies, requests, seconds,
                       rounds: int = 3, client_process: bool = True) -> dict[str, dict[int, dict]]:
    """Optimized in-process and through both gRPC paths, interleaved: for each client count,
    `rounds` x (in-process slice, Generate slice, Session slice), each seconds/rounds (or
    requests/rounds) long. A 2-core VM drifts by 20% or more over a minute; alternating slices
    puts every path on the same drift, so their ratios measure the paths, not the minute.
    -> {"inprocess" | "grpc" | "grpc_session": {clients: summary}}.

    gRPC "generate": one Generate call per request, as a pipeline script does. "session": one
    Session stream per client process carrying every caller's submits as tags, as a game does.
    With `client_process`, gRPC callers run in a child process, as a game's would, so their
    Python work (protobuf parsing, sha256 checks, reassembly) does not share the server's event
    loop and GIL; the child still shares this machine's cores."""
    from ...service.jobs import AssetRequest
    from ...service.scheduler import Scheduler
    from ...service.server import AssetGenServer
    from ...service.validation import validate

    scheduler = Scheduler(runner, catalog, config)
    await scheduler.start()
    server = AssetGenServer(replace(config, port=0), runner=runner)
    port = await server.start()
    await server.warm()
    target = f"127.0.0.1:{port}"

    async def call(i: int) -> None:
        request = AssetRequest(prompt=PROMPTS[i % len(PROMPTS)], kind=kind, model=model, width=size, height=size,
                               seed=i)
        async for _ in scheduler.submit(validate(request, catalog, config, time.monotonic())):
            pass

    async def remote(rpc: str, c: int, n: int, s: float) -> dict:
        if client_process:
            return await _grpc_in_child(target, model, kind, size, c, n, s, server.scheduler.stats, rpc)
        return await _grpc_closed_loop(target, model, kind, size, c, n, s, server.scheduler.stats, rpc=rpc)

    per_round = max(1, requests // rounds) if requests else 0
    keys = {"generate": "grpc", "session": "grpc_session"}
    results: dict[str, dict[int, dict]] = {"inprocess": {}, **{keys[r]: {} for r in RPCS}}
    try:
        for c in concurrencies:
            parts: dict[str, list[dict]] = {k: [] for k in results}
            for _ in range(rounds):
                parts["inprocess"].append(await closed_loop(call, c, per_round, seconds / rounds, scheduler.stats))
                for rpc in RPCS:
                    parts[keys[rpc]].append(await remote(rpc, c, per_round, seconds / rounds))
            for key, p in parts.items():
                results[key][c] = merge_parts(p)
            for rpc in RPCS:
                results[keys[rpc]][c].update(client_process=client_process, rpc=rpc)
        return results
    finally:
        await server.stop(grace_s=1)
        await scheduler.close()


async def _grpc_closed_loop(target: str, model: str, kind: str, size: int, concurrency: int, requests, seconds,
                            stats=None, on_warm=None, rpc: str = "generate") -> dict:
    """rpc "generate": one Generate call per request (a pipeline script). "session": one Session
    stream carrying every caller's submits as tags (how a game talks to the service)."""
    from ...client.async_client import AsyncAssetGenClient

    async with AsyncAssetGenClient(target) as client:
        if rpc == "generate":
            async def call(i: int) -> None:
                async for _ in client.generate(PROMPTS[i % len(PROMPTS)], kind, model=model, width=size,
                                               height=size, seed=i, timeout=60):
                    pass

            return await closed_loop(call, concurrency, requests, seconds, stats, on_warm)

        session = client.session()
        waiting: dict[str, asyncio.Future] = {}

        async def route() -> None:
            async for event in session:
                if event.done or event.failed:
                    waiting.pop(event.tag).set_result(event)

        router = asyncio.create_task(route())

        async def call(i: int) -> None:
            tag = str(i)
            waiting[tag] = asyncio.get_running_loop().create_future()
            await session.submit(tag, PROMPTS[i % len(PROMPTS)], kind, model=model, width=size, height=size, seed=i)
            event = await waiting[tag]
            if event.failed:
                raise RuntimeError(f"tag {tag} failed: {event.code} {event.message}")

        try:
            return await closed_loop(call, concurrency, requests, seconds, stats, on_warm)
        finally:
            await session.close()
            await router


def _grpc_child_main(conn, target: str, model: str, kind: str, size: int, concurrency: int, requests,
                     seconds, rpc: str) -> None:
    """Child process body: run the closed loop, tell the parent when timing starts, send the result."""
    try:
        part = asyncio.run(_grpc_closed_loop(target, model, kind, size, concurrency, requests, seconds,
                                             on_warm=lambda: conn.send("timing"), rpc=rpc))
        conn.send(part)
    except BaseException as e:  # the parent must hear about it rather than wait forever
        conn.send(RuntimeError(f"bench client process failed: {e!r}"))
    finally:
        conn.close()


async def _grpc_in_child(target: str, model: str, kind: str, size: int, concurrency: int, requests, seconds,
                         stats, rpc: str) -> dict:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding torch and grpc threads
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_grpc_child_main, args=(child, target, model, kind, size, concurrency, requests, seconds, rpc),
                       daemon=True)
    proc.start()
    child.close()
    try:
        before = None
        while True:
            try:
                message = await asyncio.to_thread(parent.recv)
            except EOFError:
                await asyncio.to_thread(proc.join, 5)
                raise RuntimeError(f"bench client process exited without a result (exit code {proc.exitcode})") from None
            if isinstance(message, Exception):
                raise message
            if message == "timing":
                before = stats_snapshot(stats)
                continue
            part = message
            break
        if before is not None:
            part["ran"] = stats_delta(stats, before)
        return part
    finally:
        await asyncio.to_thread(proc.join, 30)
        if proc.is_alive():
            proc.kill()


# ---- engine-level measurements --------------------------------------------------------------------
