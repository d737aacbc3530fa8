"""Opening a channel: plaintext or TLS (trusting a CA file), with an optional bearer token.

The token rides on every call as `authorization: Bearer <token>` metadata, added by a client
interceptor, so every RPC of the stub (including ones added later) carries it without each
method passing metadata by hand. Over plaintext the token is readable by anyone on the path:
use --tls-ca with a TLS server for anything beyond loopback.
"""
from __future__ import annotations

import collections
from pathlib import Path

import grpc


def _with_token(metadata, token: str) -> tuple:
    return tuple(metadata or ()) + (("authorization", f"Bearer {token}"),)


class _CallDetails(collections.namedtuple(
        "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")),
        grpc.ClientCallDetails):
    pass


class _BearerToken(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                   grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    def __init__(self, token: str) -> None:
        self.token = token

    def _details(self, d) -> _CallDetails:
        return _CallDetails(d.method, d.timeout, _with_token(d.metadata, self.token), d.credentials,
                            getattr(d, "wait_for_ready", None), getattr(d, "compression", None))

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)


def _aio_details(d, token: str) -> grpc.aio.ClientCallDetails:
    return grpc.aio.ClientCallDetails(d.method, d.timeout, _with_token(d.metadata, token), d.credentials,
                                      d.wait_for_ready)


class _AioUnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    def __init__(self, token: str) -> None:
        self.token = token

    async def intercept_unary_unary(self, continuation, details, request):
        return await continuation(_aio_details(details, self.token), request)


class _AioUnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    def __init__(self, token: str) -> None:
        self.token = token

    async def intercept_unary_stream(self, continuation, details, request):
        return await continuation(_aio_details(details, self.token), request)


class _AioStreamStream(grpc.aio.StreamStreamClientInterceptor):
    def __init__(self, token: str) -> None:
        self.token = token

    async def intercept_stream_stream(self, continuation, details, request_iterator):
        return await continuation(_aio_details(details, self.token), request_iterator)


def _tls(tls_ca: str | Path) -> grpc.ChannelCredentials:
    path = Path(tls_ca)
    if not path.is_file():
        raise ValueError(f"--tls-ca {path}: no such file (a PEM file with the CA that signed the server certificate)")
    return grpc.ssl_channel_credentials(root_certificates=path.read_bytes())


def open_channel(address: str, options, *, token: str | None = None, tls_ca: str | Path | None = None) -> grpc.Channel:
    channel = (grpc.secure_channel(address, _tls(tls_ca), options=options) if tls_ca
               else grpc.insecure_channel(address, options=options))
    return grpc.intercept_channel(channel, _BearerToken(token)) if token else channel


def open_aio_channel(address: str, options, *, token: str | None = None,
                     tls_ca: str | Path | None = None) -> grpc.aio.Channel:
    interceptors = [_AioUnaryUnary(token), _AioUnaryStream(token), _AioStreamStream(token)] if token else None
    if tls_ca:
        return grpc.aio.secure_channel(address, _tls(tls_ca), options=options, interceptors=interceptors)
    return grpc.aio.insecure_channel(address, options=options, interceptors=interceptors)
