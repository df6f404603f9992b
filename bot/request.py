"""Bot API requests that survive Telegram's transient faults.

A 5xx answer, a connection that could not be made, or a 429 "retry after N seconds" is
retried a few times with a short back-off before PTB turns it into an exception. A read
or write timeout is *not* retried: Telegram may have carried out the request (a message
sent twice is worse than one reported late).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import httpcore
import httpx
from httpcore._utils import is_socket_readable
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.ratelimit import CURRENT_SLOT

log = logging.getLogger(__name__)
RETRIES = 3
BACKOFF = 0.25  # seconds before the first retry; doubled each time
MAX_RETRY_AFTER = 30.0  # a longer 429 wait is PTB's (and the caller's) to handle


def _safe_to_retry(exc: NetworkError) -> bool:
    """True when the request certainly did not reach Telegram, or failed before an answer for a reason worth one more try."""
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        # connect and pool timeouts never sent anything; read/write timeouts may have
        return isinstance(cause, (httpx.ConnectTimeout, httpx.PoolTimeout))
    return True


def _retry_after(payload: bytes) -> float | None:
    try:
        value = json.loads(payload).get("parameters", {}).get("retry_after")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) else None


HOLD_AT_MOST = 16 * 1024  # bytes: a request's head is held back to go out with its body (see _PooledStream)


class _PooledStream(httpcore.AsyncNetworkStream):
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
        return _PooledStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return is_socket_readable(self._socket)
        return self._stream.get_extra_info(info)


class _PooledBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, its streams wrapped in `_PooledStream`."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return _PooledStream(await self._backend.connect_tcp(*args, **kwargs))

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return _PooledStream(await self._backend.connect_unix_socket(*args, **kwargs))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


def tune_pool(client: httpx.AsyncClient) -> bool:
    """Give the client's direct connection pool `_PooledBackend`; True if it has it. A proxy's
    transport (BOT_PROXY_URL) is left as it is. httpx offers no parameter for the backend, so this
    reaches into the transport: if a later httpx or httpcore moves it, nothing changes but speed
    (`tests/test_hot_path.py` checks that it is in place with the pinned versions)."""
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if not isinstance(pool, httpcore.AsyncConnectionPool) or backend is None:
        return False
    if getattr(pool, "_http2", False):  # holding a write back is for HTTP/1.1, one request per connection
        return False
    if not isinstance(backend, _PooledBackend):
        pool._network_backend = _PooledBackend(backend)
    return True


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest with bounded retries of transient failures (see the module docstring)."""

    def __init__(self, *args: Any, retries: int = RETRIES, backoff: float = BACKOFF, in_flight: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.retries = retries
        self.backoff = backoff
        # at most this many calls in flight; the others wait here, outside httpcore's pool, whose
        # bookkeeping on every request and response grows with the square of its connections
        self._slots = asyncio.Semaphore(in_flight) if in_flight else contextlib.nullcontext()

    def _build_client(self) -> httpx.AsyncClient:  # PTB builds it at start and again after a shutdown
        client = super()._build_client()
        tune_pool(client)
        return client

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        attempt = 0
        while True:
            try:
                async with self._slots:
                    code, payload = await super().do_request(url, method, *args, **kwargs)
            except NetworkError as exc:
                if attempt >= self.retries or not _safe_to_retry(exc):
                    raise
                delay, reason = self.backoff * 2**attempt, exc.__class__.__name__
            else:
                if code == 429 and attempt < self.retries:
                    wait = _retry_after(payload)
                    if wait is None or wait > MAX_RETRY_AFTER:
                        return code, payload
                    delay, reason = wait, "429"
                elif code >= 500 and attempt < self.retries:
                    delay, reason = self.backoff * 2**attempt, str(code)
                else:
                    return code, payload
            attempt += 1
            log.debug("%s failed (%s); retry %d/%d in %.2fs", endpoint, reason, attempt, self.retries, delay)
            slot = CURRENT_SLOT.get()
            if slot is None:
                await asyncio.sleep(delay)
            else:  # the retry is another request at Telegram's end: it takes its own rate-limit slot
                await slot.retry_after(delay, everyone=reason == "429")
