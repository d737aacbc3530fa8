"""Bearer-token authentication: who is calling, decided before any AssetGen method runs.

A tokens file names each token, so logs, metrics and per-caller limits speak of "level-editor"
rather than of a secret. Two formats, chosen by the first character:

    # comments and blank lines are ignored
    level-editor:3f9c...           (name:token lines)
    {"level-editor": "3f9c...", "pipeline": "a1b2..."}   (JSON object name -> token)

Clients send `authorization: Bearer <token>` metadata. Tokens are compared with
hmac.compare_digest against *every* known token, so the time taken says nothing about which
token (or which prefix) was close. Health and reflection stay open: orchestrators probe health
without credentials, and reflection only describes the API.
"""
from __future__ import annotations

import hmac
import json
from pathlib import Path

import grpc

ANONYMOUS = "anonymous"      # the caller name when authentication is off
PROTECTED_PREFIX = "/assetgen.v1."  # every AssetGen RPC; grpc.health.v1 and reflection are not under it
MIN_TOKEN_CHARS = 16         # shorter tokens are guessable; refuse to start with them


class TokenTable:
    """token -> caller name, looked up in constant time per token."""

    def __init__(self, tokens: dict[str, str]) -> None:
        # Stored as (token bytes, name) so compare_digest compares equal-typed values.
        self._entries = [(token.encode(), name) for name, token in tokens.items()]

    def __len__(self) -> int:
        return len(self._entries)

    @classmethod
    def load(cls, path: Path) -> "TokenTable":
        text = Path(path).read_text(encoding="utf-8")
        if text.lstrip().startswith("{"):
            try:
                raw = json.loads(text)
            except json.JSONDecodeError as e:
                raise ValueError(f"tokens file {path}: not valid JSON ({e})") from None
            if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
                raise ValueError(f'tokens file {path}: JSON must be an object {{"name": "token", ...}}')
            tokens = {str(k): v for k, v in raw.items()}
        else:
            tokens = {}
            for number, line in enumerate(text.splitlines(), 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                name, sep, token = line.partition(":")
                if not sep or not name.strip() or not token.strip():
                    raise ValueError(f"tokens file {path} line {number}: expected `name:token`")
                if name.strip() in tokens:
                    raise ValueError(f"tokens file {path} line {number}: name {name.strip()!r} appears twice")
                tokens[name.strip()] = token.strip()
        problems = [f"{name!r} has a token shorter than {MIN_TOKEN_CHARS} characters"
                    for name, token in tokens.items() if len(token) < MIN_TOKEN_CHARS]
        if len(set(tokens.values())) != len(tokens):
            problems.append("two names share one token (each caller needs its own)")
        if not tokens:
            problems.append("it holds no tokens (remove --tokens-file to turn authentication off)")
        if problems:
            raise ValueError(f"tokens file {path}: " + "; ".join(problems))
        return cls(tokens)

    def identify(self, token: str | None) -> str | None:
        """The caller's name, or None for a missing or unknown token."""
        if not token:
            return None
        candidate = token.encode()
        found = None
        for known, name in self._entries:  # no early exit: every token costs the same time
            if hmac.compare_digest(candidate, known):
                found = name
        return found


def bearer_token(metadata) -> str | None:
    """The token of an `authorization: Bearer <token>` entry in gRPC metadata, if any."""
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str):
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer":
                return token.strip()
    return None


def caller_name(tokens: TokenTable | None, metadata) -> str | None:
    """Who is calling: ANONYMOUS when auth is off, the token's name, or None (reject)."""
    if tokens is None:
        return ANONYMOUS
    return tokens.identify(bearer_token(metadata))


def _denying_handler(handler: grpc.RpcMethodHandler, message: str) -> grpc.RpcMethodHandler:
    """A handler of the same streaming shape as `handler` that only ends the call UNAUTHENTICATED."""

    async def deny(request_or_iterator, context):
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    kwargs = dict(request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(deny, **kwargs)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(deny, **kwargs)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(deny, **kwargs)
    return grpc.unary_unary_rpc_method_handler(deny, **kwargs)


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Rejects AssetGen calls without a valid bearer token before the servicer sees them.

    An interceptor rather than a check in each method, so an RPC added later is covered too.
    """

    def __init__(self, tokens: TokenTable, on_reject=None) -> None:
        self.tokens = tokens
        self.on_reject = on_reject  # called with the method name of each refused call (metrics)

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or not handler_call_details.method.startswith(PROTECTED_PREFIX):
            return handler
        token = bearer_token(handler_call_details.invocation_metadata)
        if self.tokens.identify(token) is not None:
            return handler
        message = ("missing bearer token: send metadata `authorization: Bearer <token>` (--token / ASSETGEN_TOKEN)"
                   if token is None else "the bearer token is not valid on this server; check --token / ASSETGEN_TOKEN")
        if self.on_reject is not None:
            self.on_reject(handler_call_details.method)
        return _denying_handler(handler, message)
