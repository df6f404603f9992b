"""A faster stream for the Bot API's connection pool, through httpcore's private parts.

`RetryingRequest` (bot/request.py) installs `PooledBackend` on the pool of the httpx client it
builds, unless the setting HTTP_POOL_TUNING is false: then this module is never imported and
httpcore's own backend is used as it comes. What it relies on, and is not httpcore's or httpx's
public API: `httpcore._utils.is_socket_readable`, and the pool reached as
`client._transport._pool._network_backend` (tests/test_library_pins.py checks both against the
pinned versions and names the setting when they change).
"""

from __future__ import annotations

from typing import Any

import httpcore
import httpx
from httpcore._utils import is_socket_readable

HOLD_AT_MOST = 16 * 1024  # bytes: a request's head is held back to go out with its body (see PooledStream)


class PooledStream(httpcore.AsyncNetworkStream):
    """A pooled connection's stream, two things cheaper than httpcore's own over anyio:

    - httpcore asks every idle connection in the pool "is your socket readable?" (a server that
      closed a kept-alive connection leaves it readable) before each request is given a connection
      and after each response. anyio answers by building all the socket's attributes, a
      `getpeername` system call included; this stream polls the socket it kept. The pool holds up to
      `BOT_API_IN_FLIGHT` (16) connections, each asked on every request: 7 % of the bot's CPU
      before this (bench/README.md).
    - httpcore writes a request's head and its body separately: two sends, two packets (asyncio
      sets TCP_NODELAY). The first write after a read is held back (if short) and goes out with
      the next write, or before the next read: one send for a Bot API call. Held bytes are sent
      with the write timeout they came with; an error sending them is the same WriteError or
      WriteTimeout, raised by the next write or read instead.
    """

    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        self._socket = stream.get_extra_info("socket")
        self._held = b""
        self._held_timeout: float | None = None
        self._may_hold = True  # the next write starts a request (nothing written since the last read)

    async def _flush(self) -> None:
        if self._held:
            held, self._held = self._held, b""
            await self._stream.write(held, self._held_timeout)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        await self._flush()
        self._may_hold = True
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._may_hold and len(buffer) <= HOLD_AT_MOST:
            self._may_hold = False
            self._held, self._held_timeout = buffer, timeout
            return
        self._may_hold = False
        held, self._held = self._held, b""
        await self._stream.write(held + buffer if held else buffer, timeout)

    async def aclose(self) -> None:
        self._held = b""  # a request abandoned half-way: nothing more goes out on this connection
        await self._stream.aclose()

    async def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        await self._flush()
        return PooledStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return is_socket_readable(self._socket)
        return self._stream.get_extra_info(info)


class PooledBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, its streams wrapped in `PooledStream`."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return PooledStream(await self._backend.connect_tcp(*args, **kwargs))

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return PooledStream(await self._backend.connect_unix_socket(*args, **kwargs))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def tune_pool(client: httpx.AsyncClient) -> bool:
    """Give the client's direct connection pool `PooledBackend`; True if it has it. A proxy's
    transport (BOT_PROXY_URL) is left as it is. httpx offers no parameter for the backend, so this
    reaches into the transport: if a later httpx or httpcore moves it, nothing changes but speed
    (`tests/test_library_pins.py` checks that it is in place with the pinned versions)."""
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(pool, httpcore.AsyncConnectionPool) or backend is None:
        return False
    if getattr(pool, "_http2", False):  # holding a write back is for HTTP/1.1, one request per connection
        return False
    if not isinstance(backend, PooledBackend):
        pool._network_backend = PooledBackend(backend)
    return True
