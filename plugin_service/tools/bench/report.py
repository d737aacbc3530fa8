"""The benchmark's targets and its printed tables."""
from __future__ import annotations


def targets(result: dict) -> list[dict]:
    """The speed goals (README, "Performance"), checked on this run's numbers (only those that apply to it)."""
    checks = []
    naive, inproc = result["naive"], result["inprocess"]
    if result["device"] == "cpu" and result["kind"] == "sprite" and result["size"] == 64:
        for key, label in (("grpc", "gRPC Generate"), ("grpc_session", "gRPC Session")):
            grpc_ = result.get(key, {})
            if "64" in inproc and "64" in grpc_:
                checks.append({"target": f"optimized >= 4x naive throughput at 64 clients ({label})",
                               "value": grpc_["64"]["img_per_s"] / naive["img_per_s"], "goal": 4.0, "higher": True})
                checks.append({"target": f"{label} >= 85% of in-process throughput at 64 clients",
                               "value": grpc_["64"]["img_per_s"] / inproc["64"]["img_per_s"], "goal": 0.85,
                               "higher": True})
            if "8" in grpc_:
                checks.append({"target": f"p99 <= 3x p50 at 8 clients ({label})",
                               "value": grpc_["8"]["p99_ms"] / grpc_["8"]["p50_ms"], "goal": 3.0, "higher": False})
    if result["device"] == "cuda":
        graphs = {(r["kind"], r["size"], r["bucket"]): r for r in result.get("graphs", [])}
        one, many = graphs.get(("sprite", 64, 1)), graphs.get(("sprite", 64, 64))
        big = graphs.get(("texture", 512, 1))
        if one:
            checks.append({"target": "64 px sprite batch-1 compute <= 0.5 ms", "value": one["replay_ms"],
                           "goal": 0.5, "higher": False})
        if many:
            checks.append({"target": ">= 50,000 64 px sprites/s at bucket 64", "value": many["replay_img_per_s"],
                           "goal": 50_000, "higher": True})
        if big:
            checks.append({"target": "512 px texture batch-1 <= 5 ms", "value": big["replay_ms"], "goal": 5.0,
                           "higher": False})
        grpc_ = result.get("grpc", {})
        if "1" in grpc_ and result["kind"] == "sprite" and result["size"] == 64:
            checks.append({"target": "gRPC p50 for one 64 px sprite <= 3 ms", "value": grpc_["1"]["p50_ms"],
                           "goal": 3.0, "higher": False})
    for c in checks:
        c["met"] = c["value"] >= c["goal"] if c["higher"] else c["value"] <= c["goal"]
    return checks


def print_report(r: dict) -> None:
    print(f"\nassetgen bench: {r['model_note']}; {r['kind']} {r['size']}px on {r['device']} "
          f"({r['machine']}), precision {r['precision']}, {r.get('executor', 'eager')}, {r['threads']} thread(s)")
    peaks = r.get("peaks", {"fp32": {"gflops": r["peak_gflops"], "what": r["peak_what"]}})
    print(f"{r['gflop_per_image']:.3f} GFLOP/image; peaks " + ", ".join(f"{k} {v['gflops']:.0f} GFLOP/s ({v['what']})"
                                                                  for k, v in peaks.items())
          + f"; served rows use the {r.get('served_dtype', 'fp32')} peak, naive the fp32 one\n")
    print("| path | clients | img/s | p50 ms | p99 ms | x naive | % of peak | mean batch | runner busy | compute ms/img |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    naive = r["naive"]["img_per_s"]
    rows = [("naive (eager fp32 NCHW, batch 1, no cache)", "1", r["naive"])]
    rows += [("optimized in-process", c, s) for c, s in r["inprocess"].items()]
    rows += [("optimized gRPC Generate (loopback)", c, s) for c, s in r["grpc"].items()]
    rows += [("optimized gRPC Session (loopback)", c, s) for c, s in r.get("grpc_session", {}).items()]
    for name, c, s in rows:
        peak = peaks["fp32"]["gflops"] if name.startswith("naive") else r["peak_gflops"]
        share = s["img_per_s"] * r["gflop_per_image"] / peak * 100
        print(f"| {name} | {c} | {s['img_per_s']:.1f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | "
              f"{s['img_per_s'] / naive:.2f} | {share:.2f} | {s.get('mean_batch', 1.0):.1f} | "
              f"{s.get('runner_busy', 1.0):.0%} | {s.get('compute_ms_per_img', 1e3 / max(s['img_per_s'], 1e-9)):.2f} |")
    if r["precisions"]:
        print("\n| precision | PSNR vs fp32 (dB) | batch | ms/batch | img/s |")
        print("|---|---:|---:|---:|---:|")
        for p in r["precisions"]:
            if "skipped" in p:
                print(f"| {p['precision']} | skipped: {p['skipped']} | | | |")
            else:
                print(f"| {p['precision']} | {p['psnr_db']:.1f} | {p['batch']} | {p['ms_per_batch']:.1f} | "
                      f"{p['img_per_s']:.0f} |")
    if r.get("graphs"):
        print("\n| kind | size | bucket | replay ms | eager ms | replay img/s |")
        print("|---|---:|---:|---:|---:|---:|")
        for g in r["graphs"]:
            print(f"| {g['kind']} | {g['size']} | {g['bucket']} | {g['replay_ms']:.3f} | {g['eager_ms']:.3f} | "
                  f"{g['replay_img_per_s']:.0f} |")
    for t in r["targets"]:
        print(f"{'PASS' if t['met'] else 'MISS'}  {t['target']}: {t['value']:.2f}")
