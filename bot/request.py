"""Bot API requests that survive Telegram's transient faults.

A 5xx answer, a connection that could not be made, or a 429 "retry after N seconds" is
retried a few times with a short back-off before PTB turns it into an exception. A read
or write timeout is *not* retried: Telegram may have carried out the request (a message
sent twice is worse than one reported late).

The client's connection pool is given a faster stream (bot/pool_tuning.py), which reaches into
httpcore's private parts. `RetryingRequest(pool_tuning=False)`, which the bot uses when the
setting HTTP_POOL_TUNING is false, leaves httpx and httpcore exactly as they come and never
imports that module.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.ratelimit import CURRENT_SLOT

log = logging.getLogger(__name__)
RETRIES = 3
BACKOFF = 0.25  # seconds before the first retry; doubled each time
MAX_RETRY_AFTER = 30.0  # a longer 429 wait is PTB's (and the caller's) to handle


def _safe_to_retry(exc: NetworkError) -> bool:
    """True when the request certainly did not reach Telegram, or failed before an answer for a reason worth
    one more try."""
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


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest with bounded retries of transient failures (see the module docstring)."""

    def __init__(self, *args: Any, retries: int = RETRIES, backoff: float = BACKOFF, in_flight: int | None = None,
                 pool_tuning: bool = True, **kwargs: Any) -> None:
        self.pool_tuning = pool_tuning  # read by _build_client, which PTB's __init__ already calls
        super().__init__(*args, **kwargs)
        self.retries = retries
        self.backoff = backoff
        # at most this many calls in flight; the others wait here, outside httpcore's pool, whose
        # bookkeeping on every request and response grows with the square of its connections
        self._slots = asyncio.Semaphore(in_flight) if in_flight else contextlib.nullcontext()

    def _build_client(self) -> httpx.AsyncClient:  # PTB builds it at start and again after a shutdown
        client = super()._build_client()
        if self.pool_tuning:
            # imported only here: with HTTP_POOL_TUNING off nothing private of httpcore's is touched
            from bot.pool_tuning import tune_pool

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
