"""ServiceConfig: every knob of `assetgen serve`, validated when built.

Each flag also reads an ASSETGEN_* environment variable (flag beats env beats default), so a
container sets ASSETGEN_MODELS=/models and a developer types --models. No torch, no grpc here.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, fields
from pathlib import Path

from ..vocabulary import DEFAULT_HOST, DEFAULT_MODEL, DEFAULT_PORT, MAX_COUNT, MAX_PROMPT_CHARS, PRECISIONS

DEVICES = ("auto", "cpu", "cuda")
BACKENDS = ("local", "ray")                              # service/ray_backend.py for "ray"
CPU_EXECUTORS = ("torchscript", "eager")                # service/cpu_trace.py says why
MIB = 1 << 20


@dataclass(frozen=True)
class ServiceConfig:
    host: str = DEFAULT_HOST         # loopback by default: exposing the port is a deliberate choice
    port: int = DEFAULT_PORT         # 0 = any free port (tests); the bound port is logged
    models: Path = Path("models")    # folder of model directories; requests name models inside it
    model: str = ""                  # default model; "" = assetgen-tiny if present, else the only one
    device: str = "auto"             # auto = cuda when torch sees one, else cpu
    threads: int = 0                 # torch intra-op threads; 0 = torch's default. On a CPU shared
                                     # with other jobs, 1 avoids oversubscription stalls.
    max_batch: int = 64              # images per forward pass
    max_batch_pixels: int = 1 << 20  # pixels per forward pass: big images batch fewer at a time
                                     # (64 at 128 px, 16 at 256 px, 1 at 1024 px) to bound memory
    max_wait_ms: float = 2.0         # how long a not-full batch waits for company
    max_queued_images: int = 1024    # beyond this, new requests get RESOURCE_EXHAUSTED
    max_count: int = MAX_COUNT       # images per request
    max_prompt_chars: int = MAX_PROMPT_CHARS
    chunk_size: int = MIB            # bytes of asset data per stream message (gRPC's default
                                     # message limit is 4 MiB; 1 MiB keeps memory per stream low)
    encode_threads: int = 2          # PNG encoding pool (zlib releases the GIL)
    grace_s: float = 10.0            # on SIGTERM/SIGINT, how long in-flight calls may finish
    # Speed. auto = the measured-fastest precision that keeps >= 35 dB PSNR vs fp32.
    precision: str = "auto"
    cpu_executor: str = "torchscript"  # CPU: checked TorchScript trace (holds the GIL once per forward) or eager
    capture_texture_sizes: tuple[int, ...] = (128, 256, 512)  # CUDA: texture sizes captured as graphs
                                     # besides each kind's native size; other sizes run eager
    # Security and limits. Per-caller limits apply to callers named by a token; without a tokens
    # file every caller is "anonymous" and shares one name, so a per-caller cap would throttle the
    # whole server: anonymous callers get only the anonymous_* caps, off by default (the queue
    # bound still protects the server).
    tokens_file: Path | None = None  # bearer tokens, `name:token` lines or JSON {"name": "token"}; unset = no auth
    tls_cert: Path | None = None     # PEM server certificate (chain); with tls_key, serve TLS only
    tls_key: Path | None = None      # PEM private key of tls_cert
    max_receive_bytes: int = MIB     # largest request message; requests are small, so 1 MiB is generous
    max_concurrent_streams: int = 100  # HTTP/2 streams per connection; more wait in the client
    # HTTP/2 connection policy for long-lived engine connections (a game holds one Session for its
    # whole run, often with client keepalive on). The server accepts client pings this far apart
    # or more, with or without calls in flight: half of the 10 s the README promises, so timer
    # jitter never counts as abuse (gRPC's own default, 5 minutes, closes a 10 s keepalive with
    # GOAWAY "too_many_pings" after about 40 s). Connections have no maximum age.
    keepalive_min_ping_ms: int = 5000
    keepalive_time_ms: int = 60_000  # the server pings an idle connection this often to find dead peers
    keepalive_timeout_ms: int = 20_000  # and closes it when the ping is not answered within this
    rate_per_second: float = 100.0   # requests (Generate calls + Session submits) per caller per second
    rate_burst: int = 200            # token bucket size: a caller may burst this many at once
    max_in_flight: int = 256         # unfinished requests per caller
    anonymous_rate_per_second: float = 0.0  # the same for anonymous callers, all together; 0 = no cap
    anonymous_rate_burst: int = 200
    anonymous_max_in_flight: int = 0  # unfinished anonymous requests, all together; 0 = no cap
    max_request_pixels: int = 1 << 26  # width*height*count per request (64 Mpx = 64 at 1024 px, 256 MiB RGBA)
    max_sessions: int = 256          # open Session streams, server-wide
    metrics_port: int = 0            # Prometheus /metrics on host:metrics_port; 0 = off
    http_port: int = -1              # HTTP/JSON API (http_api.py) on host:http_port; -1 = off, 0 = any free port
    http_cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the HTTP API (none by default)
    log_format: str = "text"         # text, or json (one JSON object per line, with request ids)
    # Scale-out (service/ray_backend.py). local = this process computes; ray = N model replicas on
    # Ray Serve behind this process's front door. Which settings apply per replica: REPLICA_SETTINGS.
    backend: str = "local"
    replicas: int = 1                # fixed replica count (ray), unless max_replicas turns autoscaling on
    min_replicas: int = 1            # autoscaling bounds (ray); max_replicas 0 = fixed at `replicas`
    max_replicas: int = 0
    target_ongoing_requests: float = 8.0  # autoscaling target: requests queued or computing per replica
    ray_address: str = ""            # "" = start a Ray instance on this machine; else a cluster's address ("auto", "host:6379")

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.port <= 65535:
            problems.append(f"port {self.port} is not in 0..65535")
        if self.device not in DEVICES:
            problems.append(f"device {self.device!r} is not one of {', '.join(DEVICES)}")
        for name in ("max_batch", "max_batch_pixels", "max_queued_images", "max_count", "max_prompt_chars", "chunk_size",
                     "encode_threads", "max_receive_bytes", "max_concurrent_streams", "rate_burst", "anonymous_rate_burst", "max_in_flight",
                     "max_request_pixels", "max_sessions", "keepalive_min_ping_ms", "keepalive_time_ms", "keepalive_timeout_ms"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1 (got {getattr(self, name)})")
        if self.cpu_executor not in CPU_EXECUTORS:
            problems.append(f"cpu_executor {self.cpu_executor!r} is not one of {', '.join(CPU_EXECUTORS)}")
        if self.precision not in PRECISIONS:
            problems.append(f"precision {self.precision!r} is not one of {', '.join(PRECISIONS)}")
        if any(s < 1 for s in self.capture_texture_sizes):
            problems.append(f"capture_texture_sizes must be positive pixel sizes (got {self.capture_texture_sizes})")
        if self.threads < 0:
            problems.append(f"threads must be 0 (torch default) or more (got {self.threads})")
        if self.max_wait_ms < 0 or self.grace_s < 0:
            problems.append("max_wait_ms and grace_s must not be negative")
        if self.chunk_size > 4 * MIB - 64 * 1024:
            problems.append(f"chunk_size {self.chunk_size} would exceed gRPC's 4 MiB message limit with metadata")
        if self.rate_per_second <= 0:
            problems.append(f"rate_per_second must be above 0 (got {self.rate_per_second})")
        if self.anonymous_rate_per_second < 0 or self.anonymous_max_in_flight < 0:
            problems.append("anonymous_rate_per_second and anonymous_max_in_flight must be 0 (no cap) or more")
        if not -1 <= self.http_port <= 65535:
            problems.append(f"http_port {self.http_port} is not in 0..65535 (-1 = off)")
        if not 0 <= self.metrics_port <= 65535:
            problems.append(f"metrics_port {self.metrics_port} is not in 0..65535 (0 = off)")
        if self.log_format not in ("text", "json"):
            problems.append(f"log_format {self.log_format!r} is not one of text, json")
        if self.backend not in BACKENDS:
            problems.append(f"backend {self.backend!r} is not one of {', '.join(BACKENDS)}")
        if self.replicas < 1 or self.min_replicas < 1:
            problems.append(f"replicas and min_replicas must be at least 1 (got {self.replicas}, {self.min_replicas})")
        if self.max_replicas and self.max_replicas < self.min_replicas:
            problems.append(f"max_replicas {self.max_replicas} is below min_replicas {self.min_replicas}")
        if self.target_ongoing_requests <= 0:
            problems.append(f"target_ongoing_requests must be above 0 (got {self.target_ongoing_requests})")
        if self.backend == "local" and (self.replicas != 1 or self.max_replicas or self.ray_address):
            problems.append("--replicas, --max-replicas and --ray-address need --backend ray (local serves from this process)")
        if (self.tls_cert is None) != (self.tls_key is None):
            problems.append("TLS needs both --tls-cert and --tls-key (or neither)")
        for name in ("tokens_file", "tls_cert", "tls_key"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                problems.append(f"{name} {path} is not a readable file")
        if problems:
            raise ValueError("invalid service config: " + "; ".join(problems))

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def str_list(text: str) -> tuple[str, ...]:
    """"https://a.example,https://b.example" -> a tuple of them."""
    return tuple(x.strip() for x in str(text).split(",") if x.strip())


def int_list(text: str) -> tuple[int, ...]:
    """"128,256" -> (128, 256); the flag/env form of a tuple of sizes."""
    return tuple(int(x) for x in str(text).split(",") if x.strip())


# Flags of `assetgen serve`: (flag, field, type, help). Env var = ASSETGEN_<FIELD upper>.
_FLAGS: list[tuple[str, str, type, str]] = [
    ("--host", "host", str, "interface to listen on (0.0.0.0 for all)"),
    ("--port", "port", int, "TCP port; 0 picks a free one"),
    ("--models", "models", Path, "folder holding model directories"),
    ("--model", "model", str, "default model when a request leaves it empty (default: assetgen-tiny or the only one)"),
    ("--device", "device", str, "auto, cpu or cuda"),
    ("--threads", "threads", int, "torch CPU threads (0 = torch default)"),
    ("--max-batch", "max_batch", int, "images per forward pass"),
    ("--max-batch-pixels", "max_batch_pixels", int, "pixels per forward pass (bounds memory for big sizes)"),
    ("--max-wait-ms", "max_wait_ms", float, "how long a partial batch waits for more requests"),
    ("--max-queued-images", "max_queued_images", int, "queue bound; beyond it requests get RESOURCE_EXHAUSTED"),
    ("--grace", "grace_s", float, "seconds in-flight calls get to finish on SIGTERM/SIGINT"),
    ("--precision", "precision", str, "auto, fp32, bf16, int8 or fp8 (auto: fastest measured with >= 35 dB vs fp32)"),
    ("--cpu-executor", "cpu_executor", str, "CPU: torchscript (default; a checked trace, faster behind gRPC) or eager"),
    ("--capture-texture-sizes", "capture_texture_sizes", int_list,
     "CUDA: comma-separated texture sizes to capture as graphs (e.g. 128,256,512)"),
    ("--tokens-file", "tokens_file", Path, "bearer tokens (`name:token` lines or JSON); unset = no auth"),
    ("--tls-cert", "tls_cert", Path, "PEM server certificate; with --tls-key the port speaks TLS only"),
    ("--tls-key", "tls_key", Path, "PEM private key for --tls-cert"),
    ("--max-receive-bytes", "max_receive_bytes", int, "largest request message in bytes"),
    ("--max-concurrent-streams", "max_concurrent_streams", int, "HTTP/2 streams per connection"),
    ("--keepalive-min-ping-ms", "keepalive_min_ping_ms", int,
     "accept client keepalive pings this far apart or more, with or without calls (closer ones count as abuse)"),
    ("--keepalive-time-ms", "keepalive_time_ms", int, "server keepalive ping interval on idle connections"),
    ("--keepalive-timeout-ms", "keepalive_timeout_ms", int, "close a connection whose keepalive ping is not answered within this"),
    ("--rate-per-second", "rate_per_second", float, "requests per caller per second (token bucket)"),
    ("--rate-burst", "rate_burst", int, "requests a caller may send at once (bucket size)"),
    ("--max-in-flight", "max_in_flight", int, "unfinished requests per caller; beyond it RESOURCE_EXHAUSTED"),
    ("--anonymous-rate-per-second", "anonymous_rate_per_second", float,
     "requests per second for anonymous callers (no token), all together; 0 = no cap"),
    ("--anonymous-rate-burst", "anonymous_rate_burst", int, "bucket size of the anonymous rate cap"),
    ("--anonymous-max-in-flight", "anonymous_max_in_flight", int, "unfinished anonymous requests, all together; 0 = no cap"),
    ("--max-request-pixels", "max_request_pixels", int, "width*height*count per request"),
    ("--max-sessions", "max_sessions", int, "open Session streams, server-wide"),
    ("--metrics-port", "metrics_port", int, "Prometheus /metrics HTTP port on --host (0 = off)"),
    ("--http-port", "http_port", int, "HTTP/JSON API port on --host (POST /v1/generate, GET /v1/models); -1 = off"),
    ("--http-cors-origins", "http_cors_origins", str_list, "comma-separated browser origins allowed to call the HTTP API"),
    ("--log-format", "log_format", str, "text or json (JSON lines with request ids and callers)"),
    ("--backend", "backend", str, "local (this process computes) or ray (model replicas on Ray Serve; pip install -e '.[ray]')"),
    ("--replicas", "replicas", int, "ray: model replicas (fixed count)"),
    ("--min-replicas", "min_replicas", int, "ray autoscaling: fewest replicas"),
    ("--max-replicas", "max_replicas", int, "ray autoscaling: most replicas (0 = off, fixed at --replicas)"),
    ("--target-ongoing-requests", "target_ongoing_requests", float,
     "ray autoscaling: requests queued or computing per replica that the autoscaler aims for"),
    ("--ray-address", "ray_address", str, "ray: a cluster to join (auto, or host:port); empty = start Ray on this machine"),
]

# What each Ray replica uses (the engine: scheduler + runner on one device); every other field
# applies at the front door (limits, auth, TLS, HTTP, metrics, grace, validation).
REPLICA_SETTINGS = ("models", "model", "device", "threads", "precision", "cpu_executor", "capture_texture_sizes",
                    "max_batch", "max_batch_pixels", "max_wait_ms", "max_queued_images", "encode_threads")


def env_name(field_name: str) -> str:
    return "ASSETGEN_" + field_name.upper().removesuffix("_S")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = ServiceConfig()
    for flag, name, _type, help_text in _FLAGS:
        env = env_name(name)
        parser.add_argument(flag, dest=name, default=None, help=f"{help_text} [env {env}; default {getattr(defaults, name)!s}]")


def from_args(args: argparse.Namespace, environ: dict[str, str] | None = None) -> ServiceConfig:
    """Flag, else ASSETGEN_* env var, else the dataclass default; converted and validated."""
    environ = os.environ if environ is None else environ
    known = {f.name for f in fields(ServiceConfig)}
    values = {}
    for flag, name, type_, _help in _FLAGS:
        raw = getattr(args, name, None)
        source = flag
        if raw is None and env_name(name) in environ:
            raw, source = environ[env_name(name)], env_name(name)
        if raw is None:
            continue
        try:
            values[name] = type_(raw)
        except ValueError:
            raise ValueError(f"{source}={raw!r} is not a valid {type_.__name__}") from None
    assert set(values) <= known
    return ServiceConfig(**values)
