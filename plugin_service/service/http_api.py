"""HTTP/JSON beside gRPC (`assetgen serve --http-port P`): for browsers, web tools, engines without
gRPC and `curl`. Same process, same scheduler, same front door (caller, limits, metrics, request
ids: the servicer's generate() and the front door's hooks), same messages.

    POST /v1/generate   body: a GenerateRequest in protobuf's canonical JSON mapping (json_format)
                        reply: NDJSON (application/x-ndjson), one line per asset as it is ready,
                        {"asset": <Asset in canonical JSON, data in base64>}, then one last line
                        {"status": {"code": "OK"}}, or {"error": {"code", "message", "retryAfterMs"}}
                        when it fails after the first asset
    GET  /v1/models     ListModelsResponse in canonical JSON
    GET  /              the playground (playground.html): prompt, kind, size, count, seed, format,
                        maps; textures tiled 3x3, sprites over a checkerboard, variations of a seed,
                        download with a sidecar

Errors before streaming map to HTTP codes as Google's API conventions do (INVALID_ARGUMENT 400,
UNAUTHENTICATED 401, NOT_FOUND 404, ALREADY_EXISTS 409, RESOURCE_EXHAUSTED 429 with Retry-After in
whole seconds rounded up, UNAVAILABLE 503, DEADLINE_EXCEEDED 504, anything else 500) with the same
messages as gRPC, as {"error": {...}}. Bearer tokens as on gRPC; TLS with the same certificate;
CORS only for the origins configured (none by default); without tokens, the Host header must name
this server, so a web page cannot reach it through DNS rebinding.

gRPC-Web (the protocol grpc-web's JavaScript clients speak) for Generate and ListModels at their
gRPC paths (/assetgen.v1.AssetGen/Generate), binary (application/grpc-web+proto) and text
(application/grpc-web-text: base64) modes: length-prefixed frames, then a trailer frame with
grpc-status; a refusal before streaming is a trailers-only reply (grpc-status in the headers).
The bidirectional Session cannot run over gRPC-Web (browsers have no full-duplex HTTP stream).

Built on aiohttp (a maintained asyncio HTTP server: it runs on the gRPC server's event loop). For
gRPC-Web, sonora (WSGI/ASGI, last released 2023) and proxies (Envoy, grpcwebproxy) were
considered: each is a second server beside this one, outside the front door's hooks; the framing
itself is a few lines here, tested against the protocol.
"""
from __future__ import annotations

import base64
import json
import logging
import math
import ssl
import struct
import urllib.parse
from contextlib import aclosing
from pathlib import Path

import grpc
from aiohttp import web
from google.protobuf import json_format

from ..proto.assetgen.v1 import assetgen_pb2 as pb
from .auth import TokenTable, bearer_token
from .config import ServiceConfig
from .jobs import ServiceError
from .servicer import AssetGenServicer
from .wire import asset_messages, list_models_response, request_from_proto

log = logging.getLogger(__name__)
HTTP_STATUS = {"INVALID_ARGUMENT": 400, "UNAUTHENTICATED": 401, "NOT_FOUND": 404, "ALREADY_EXISTS": 409,
               "RESOURCE_EXHAUSTED": 429, "UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504, "CANCELLED": 499}
WHOLE_ASSET = 1 << 62   # one NDJSON line carries a whole asset: no chunking over HTTP
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
SERVICE = pb.DESCRIPTOR.services_by_name["AssetGen"].full_name          # "assetgen.v1.AssetGen"
GRPC_CODES = {name: code.value[0] for name, code in grpc.StatusCode.__members__.items()}


def ndjson_asset_lines(result) -> list[bytes]:
    """The NDJSON lines of one AssetResult (its maps follow as their own lines): the Asset message in
    canonical JSON, whole (no chunks). tests/golden/http_generate.ndjson holds lines in this form."""
    return [(json.dumps({"asset": json_format.MessageToDict(asset)}) + "\n").encode()
            for asset in asset_messages(result, WHOLE_ASSET)]


def error_body(error: ServiceError) -> dict:
    body = {"code": error.code, "message": error.message}
    if error.retry_after_ms is not None:
        body["retryAfterMs"] = error.retry_after_ms
    return {"error": body}


def error_response(error: ServiceError, request_id: str = "") -> web.Response:
    headers = {"x-request-id": request_id} if request_id else {}
    if error.retry_after_ms is not None:
        headers["Retry-After"] = str(max(1, math.ceil(error.retry_after_ms / 1000)))
    return web.json_response(error_body(error), status=HTTP_STATUS.get(error.code, 500), headers=headers)


class HttpApi:
    def __init__(self, servicer: AssetGenServicer, config: ServiceConfig, tokens: TokenTable | None) -> None:
        self.servicer, self.config, self.tokens = servicer, config, tokens
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        app = web.Application(middlewares=[self._guard])
        app.router.add_post("/v1/generate", self.generate)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/", self.playground)
        app.router.add_post(f"/{SERVICE}/Generate", self.grpc_web_generate)
        app.router.add_post(f"/{SERVICE}/ListModels", self.grpc_web_list_models)
        app.router.add_route("OPTIONS", "/{tail:.*}", self.preflight)
        self.app = app

    # ---- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> int:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        context = None
        if self.config.tls_cert:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.config.tls_cert), str(self.config.tls_key))
        site = web.TCPSite(self._runner, self.config.host, self.config.http_port, ssl_context=context)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        log.info("HTTP/JSON on %s://%s:%d", "https" if context else "http", self.config.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- every request: host, CORS, auth ----------------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request, handler):
        if self.tokens is None and not self._host_is_ours(request.host):
            return web.json_response({"error": {"code": "PERMISSION_DENIED", "message":
                                      f"Host {request.host!r} is not this server; without tokens the HTTP port only "
                                      f"answers requests addressed to {self.config.host}:{self.port}"}}, status=403)
        response = await handler(request)
        origin = request.headers.get("Origin")
        if origin and origin in self.config.http_cors_origins and not response.prepared:
            response.headers.update(self._cors(origin))
        return response

    def _host_is_ours(self, host: str | None) -> bool:
        if not host:
            return False
        name, _, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
        names = {self.config.host, *LOOPBACK_NAMES} if self.config.host in ("127.0.0.1", "0.0.0.0", "::") else {self.config.host}
        return name in names and (port == str(self.port) or not port)

    def _cors(self, origin: str) -> dict:
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
                "Access-Control-Allow-Headers": "authorization, content-type, x-request-id, x-grpc-web, x-user-agent",
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Expose-Headers": "x-request-id, retry-after, grpc-status, grpc-message, retry-after-ms"}

    async def preflight(self, request: web.Request) -> web.Response:
        origin = request.headers.get("Origin", "")
        if origin not in self.config.http_cors_origins:
            return web.Response(status=403, text=f"origin {origin!r} is not allowed (--http-cors-origins)")
        return web.Response(status=204, headers=self._cors(origin))

    def _caller(self, request: web.Request):
        metadata = [(k.lower(), v) for k, v in request.headers.items()]
        if self.tokens is not None and self.tokens.identify(bearer_token(metadata)) is None:
            token = bearer_token(metadata)
            raise ServiceError("UNAUTHENTICATED", "missing bearer token: send the header `Authorization: Bearer <token>`"
                               if token is None else "the bearer token is not valid on this server")
        return self.servicer.front.begin(metadata)

    # ---- routes -------------------------------------------------------------------------------
    async def playground(self, request: web.Request) -> web.Response:
        """The playground page (playground.html): no external resources, so it works offline."""
        page = Path(__file__).with_name("playground.html").read_text(encoding="utf-8")
        return web.Response(text=page, content_type="text/html")

    async def models(self, request: web.Request) -> web.Response:
        try:
            call = self._caller(request)
        except ServiceError as e:
            return error_response(e)
        body = json_format.MessageToDict(list_models_response(self.servicer.catalog, self.config))
        return web.json_response(body, headers={"x-request-id": call.request_id})

    async def generate(self, request: web.Request) -> web.StreamResponse:
        try:
            call = self._caller(request)
            try:
                message = json_format.Parse(await request.text(), pb.GenerateRequest())
            except json_format.ParseError as e:
                raise ServiceError("INVALID_ARGUMENT", f"the body is not a GenerateRequest in JSON: {e}") from None
        except ServiceError as e:
            return error_response(e)
        asked = request_from_proto(message)
        async with aclosing(self.servicer.generate(asked, call.who, "HTTP")) as results:
            try:
                first = await anext(results, None)
            except ServiceError as e:
                return error_response(e, call.request_id)
            response = web.StreamResponse(status=200, headers={"Content-Type": "application/x-ndjson",
                                                               "x-request-id": call.request_id})
            origin = request.headers.get("Origin")
            if origin and origin in self.config.http_cors_origins:
                response.headers.update(self._cors(origin))
            await response.prepare(request)
            try:
                result = first
                while result is not None:
                    for line in ndjson_asset_lines(result):
                        await response.write(line)
                    result = await anext(results, None)
                await response.write(b'{"status": {"code": "OK"}}\n')
            except ServiceError as e:
                await response.write((json.dumps(error_body(e)) + "\n").encode())
            await response.write_eof()
            return response

    async def grpc_web_generate(self, request: web.Request) -> web.StreamResponse:
        reply = _GrpcWebReply(request)
        try:
            call = self._caller(request)
            message = await _grpc_web_message(reply, request, pb.GenerateRequest)
        except ServiceError as e:
            return reply.refusal(e)
        async with aclosing(self.servicer.generate(request_from_proto(message), call.who, "gRPC-Web")) as results:
            try:
                first = await anext(results, None)
            except ServiceError as e:
                return reply.refusal(e, call.request_id)
            response = web.StreamResponse(status=200, headers={"Content-Type": reply.content_type,
                                                               "x-request-id": call.request_id})
            await response.prepare(request)
            code, text, extra = "OK", "", {"x-request-id": call.request_id}
            try:
                result = first
                while result is not None:
                    for asset in asset_messages(result, self.config.chunk_size):
                        await response.write(reply.encode(_frame(asset.SerializeToString())))
                    result = await anext(results, None)
            except ServiceError as e:
                code, text = e.code, e.message
                if e.retry_after_ms is not None:
                    extra["retry-after-ms"] = str(e.retry_after_ms)
            trailer = "".join(f"{k}: {v}\r\n" for k, v in _trailers(code, text, extra).items()).encode()
            await response.write(reply.encode(_frame(trailer, trailer=True)))
            await response.write_eof()
            return response


    async def grpc_web_list_models(self, request: web.Request) -> web.Response:
        reply = _GrpcWebReply(request)
        try:
            call = self._caller(request)
            await _grpc_web_message(reply, request, pb.ListModelsRequest)
        except ServiceError as e:
            return reply.refusal(e)
        body = _frame(list_models_response(self.servicer.catalog, self.config).SerializeToString())
        trailer = "".join(f"{k}: {v}\r\n" for k, v in _trailers("OK", "", {"x-request-id": call.request_id}).items())
        return web.Response(status=200, body=reply.encode(body + _frame(trailer.encode(), trailer=True)),
                            headers={"Content-Type": reply.content_type, "x-request-id": call.request_id})


# ---- gRPC-Web ---------------------------------------------------------------------------------
def _frames(body: bytes) -> list[tuple[int, bytes]]:
    """gRPC-Web frames: [flag (1 byte), length (4 bytes, big-endian), payload]..."""
    out, i = [], 0
    while i + 5 <= len(body):
        flag, length = body[i], struct.unpack(">I", body[i + 1:i + 5])[0]
        out.append((flag, body[i + 5:i + 5 + length]))
        i += 5 + length
    if i != len(body):
        raise ValueError("truncated gRPC-Web frame")
    return out


def _frame(payload: bytes, trailer: bool = False) -> bytes:
    return bytes([0x80 if trailer else 0]) + struct.pack(">I", len(payload)) + payload


def _trailers(code: str, message: str, extra: dict[str, str]) -> dict[str, str]:
    return {"grpc-status": str(GRPC_CODES.get(code, 2)), "grpc-message": urllib.parse.quote(message, safe=" "), **extra}


class _GrpcWebReply:
    """One gRPC-Web call's reply: binary or text (base64 per frame) like the request."""

    def __init__(self, request: web.Request) -> None:
        kind = request.headers.get("Content-Type", "")
        self.text = kind.startswith("application/grpc-web-text")
        self.content_type = "application/grpc-web-text+proto" if self.text else "application/grpc-web+proto"

    def decode(self, body: bytes) -> bytes:
        return base64.b64decode(body) if self.text else body

    def encode(self, data: bytes) -> bytes:
        return base64.b64encode(data) if self.text else data

    def refusal(self, error: ServiceError, request_id: str = "") -> web.Response:
        """Trailers-only: the status in the headers, no body."""
        extra = {"x-request-id": request_id} if request_id else {}
        if error.retry_after_ms is not None:
            extra["retry-after-ms"] = str(error.retry_after_ms)
        return web.Response(status=200, headers={"Content-Type": self.content_type,
                                                 **_trailers(error.code, error.message, extra)})


async def _grpc_web_message(reply: _GrpcWebReply, request: web.Request, message_type):
    try:
        frames = _frames(reply.decode(await request.read()))
        data = next(payload for flag, payload in frames if flag == 0)
        return message_type.FromString(data)
    except (ValueError, StopIteration, Exception) as e:  # any malformed body is the caller's to fix
        raise ServiceError("INVALID_ARGUMENT", f"the request is not a gRPC-Web {message_type.DESCRIPTOR.name} "
                           f"frame ({e.__class__.__name__})") from None
