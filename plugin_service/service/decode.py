"""Requests whose bytes do not parse end with INVALID_ARGUMENT, not UNKNOWN.

grpc.aio treats a failing request deserializer like a crash in the handler: status UNKNOWN and
an ERROR log with a traceback per message, so anyone could fill the logs with garbage bytes.
This interceptor swaps each AssetGen method's deserializer for one that turns a parse failure
into a marker, and the handler into one that answers the marker with a clear status.

In a request stream the marker is raised where the handler reads it and answered by the handler's
own task once the exception reaches it. Aborting right where the message is read would abort from
whatever task reads the stream (a Session reads in a task of its own): that races a reply the
handler is writing, which grpc refuses with GRPC_CALL_ERROR_TOO_MANY_OPERATIONS and an ERROR log.
"""
from __future__ import annotations

import grpc
from google.protobuf.message import DecodeError

from .auth import PROTECTED_PREFIX


class _Malformed:
    def __init__(self, error: Exception) -> None:
        self.error = error


class _MalformedInStream(Exception):
    """Raised by a checked request stream at a malformed message; carries its marker."""

    def __init__(self, marker: _Malformed) -> None:
        super().__init__(str(marker.error))
        self.marker = marker


def _message(method: str, marker: _Malformed) -> str:
    return (f"the request to {method} is not a valid protobuf message of its type ({marker.error}); "
            f"use the assetgen.v1 proto or the assetgen client")


def _safe(deserializer):
    def parse(data: bytes):
        try:
            return deserializer(data) if deserializer is not None else data
        except (DecodeError, ValueError, UnicodeDecodeError) as e:  # upb raises DecodeError; be generous
            return _Malformed(e)
    return parse


def _checked(handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
    async def refuse(context, marker):
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, _message(method, marker))

    def checked_iterator(request_iterator, context):
        async def requests():
            async for request in request_iterator:
                if isinstance(request, _Malformed):
                    raise _MalformedInStream(request)
                yield request
        return requests()

    if handler.unary_unary:
        inner = handler.unary_unary

        async def behaviour(request, context):
            if isinstance(request, _Malformed):
                await refuse(context, request)
            return await inner(request, context)
        field = "unary_unary"
    elif handler.unary_stream:
        inner = handler.unary_stream

        async def behaviour(request, context):
            if isinstance(request, _Malformed):
                await refuse(context, request)
            async for message in inner(request, context):
                yield message
        field = "unary_stream"
    elif handler.stream_unary:
        inner = handler.stream_unary

        async def behaviour(request_iterator, context):
            try:
                return await inner(checked_iterator(request_iterator, context), context)
            except _MalformedInStream as e:
                await refuse(context, e.marker)
        field = "stream_unary"
    else:
        inner = handler.stream_stream

        async def behaviour(request_iterator, context):
            try:
                async for message in inner(checked_iterator(request_iterator, context), context):
                    yield message
            except _MalformedInStream as e:
                await refuse(context, e.marker)
        field = "stream_stream"
    return handler._replace(request_deserializer=_safe(handler.request_deserializer), **{field: behaviour})


class MalformedRequestInterceptor(grpc.aio.ServerInterceptor):
    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or not handler_call_details.method.startswith(PROTECTED_PREFIX):
            return handler
        return _checked(handler, handler_call_details.method)
