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

Built on aiohttp (a maintained asyncio HTTP server: it runs on the gRPC server's event loop).
"""
from __future__ import annotations

import json
import logging
import math
import ssl
from contextlib import aclosing
from pathlib import Path

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
                "Access-Control-Allow-Headers": "authorization, content-type, x-request-id",
                "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                "Access-Control-Expose-Headers": "x-request-id, retry-after"}

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
                    for asset in asset_messages(result, WHOLE_ASSET):
                        line = {"asset": json_format.MessageToDict(asset)}
                        await response.write((json.dumps(line) + "\n").encode())
                    result = await anext(results, None)
                await response.write(b'{"status": {"code": "OK"}}\n')
            except ServiceError as e:
                await response.write((json.dumps(error_body(e)) + "\n").encode())
            await response.write_eof()
            return response
