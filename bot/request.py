"""Bot API requests that survive Telegram's transient faults, without repeating a send that may have arrived.

A 5xx answer, a connection that could not be made, or a 429 "retry after N seconds" is
retried a few times with a short back-off before PTB turns it into an exception. A 5xx is
retried for sends too, as before: it is an answer, and nothing in it says whether Telegram
carried the call out (a choice kept for now, docs/decisions.md).

A failure after the request may have reached Telegram is retried only for calls that can be
repeated (reads, edits, answers, settings). Telegram has no idempotency key, so a call that
creates a message (`SENDING_METHODS`) is tried again only when it certainly never left this
machine: the connection could not be made (`httpx.ConnectError`: refused, unreachable, a
failed TLS handshake; `httpx.ConnectTimeout`), no pooled connection was free in time
(`httpx.PoolTimeout`), or the proxy refused the tunnel (`httpx.ProxyError`). Any other
network failure of a send (a read or write error or timeout, a connection dropped before the
answer) raises `OutcomeUnknown`: the message may have been sent, and the caller says so (the
outbox records the row as `unknown` and does not send it again; an interactive reply ends in
the error handler's "may not have arrived" notice). PTB wraps each httpx error in its own
(`TimedOut` or `NetworkError` raised `from` it, telegram/request/_httpxrequest.py), so
`__cause__` tells the two apart. A read or write timeout is not retried for any call: Telegram
may still be carrying it out.

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
from collections.abc import Callable
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.ratelimit import CURRENT_SLOT

log = logging.getLogger(__name__)
RETRIES = 3
BACKOFF = 0.25  # seconds before the first retry; doubled each time
MAX_RETRY_AFTER = 30.0  # a longer 429 wait is PTB's (and the caller's) to handle


# Bot API methods that make a message appear: a second call after one that reached Telegram would
# show it twice, so these are retried only when the request certainly never left (`_never_left`).
# Everything else the bot calls reads, edits, answers or sets something, and may be repeated.
SENDING_METHODS = frozenset(method.lower() for method in (
    "sendMessage", "sendPhoto", "sendAudio", "sendDocument", "sendVideo", "sendAnimation", "sendVoice",
    "sendVideoNote", "sendPaidMedia", "sendMediaGroup", "sendLocation", "sendVenue", "sendContact", "sendPoll",
    "sendChecklist", "sendDice", "sendSticker", "sendInvoice", "sendGame", "sendGift",
    "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
))

# httpx errors raised before a byte of the request was written: the connection was never made (refused,
# unreachable, TLS handshake failed, or too slow), no pooled connection was free, or the proxy refused
# the tunnel (httpcore raises ProxyError only while setting the tunnel up)
NEVER_LEFT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


class NotLeader(NetworkError):
    """This process no longer leads (bot/leader.py): the call was not made, and nothing was sent."""


class OutcomeUnknown(NetworkError):
    """A sending call (`SENDING_METHODS`) failed after its request may have reached Telegram: the
    message may have been sent, or not. Not retried; a `NetworkError`, so whoever handles those
    still does. Its `__cause__` is PTB's error, whose `__cause__` is httpx's."""


def _never_left(exc: NetworkError) -> bool:
    """True when the request certainly did not reach Telegram (PTB raises its error from httpx's)."""
    return isinstance(exc.__cause__, NEVER_LEFT)


def _safe_to_retry(exc: NetworkError, *, sending: bool) -> bool:
    """True when one more try cannot make Telegram carry the call out twice, or doing so is harmless."""
    if _never_left(exc):
        return True
    if isinstance(exc, TimedOut):
        return False  # a read or write timeout: Telegram may be carrying it out right now
    return not sending  # a read error, a dropped connection: a read or an edit may be repeated


# a button press can be answered once: Telegram refuses a second answer as "query is too old … or query
# ID is invalid". After an attempt that may have been carried out, that refusal means it was: done.
ANSWERED = b'{"ok":true,"result":true}'


def _answered_before(endpoint: str, payload: bytes) -> bool:
    return endpoint.lower() == "answercallbackquery" and b"query is too old" in payload.lower()


def _retry_after(payload: bytes) -> float | None:
    try:
        value = json.loads(payload).get("parameters", {}).get("retry_after")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) else None


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest with bounded retries of transient failures (see the module docstring)."""

    def __init__(self, *args: Any, retries: int = RETRIES, backoff: float = BACKOFF, in_flight: int | None = None,
                 pool_tuning: bool = True, fence: Callable[[], bool] | None = None, **kwargs: Any) -> None:
        self.pool_tuning = pool_tuning  # read by _build_client, which PTB's __init__ already calls
        super().__init__(*args, **kwargs)
        self.retries = retries
        self.backoff = backoff
        self.fence = fence  # with a hot standby: whether this process still leads, asked before every call
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
        sending = endpoint.lower() in SENDING_METHODS
        attempt = 0
        maybe_done = False  # an earlier attempt may have been carried out (its answer was lost, or a 5xx)
        while True:
            try:
                async with self._slots:
                    # asked after waiting for a slot, right before the call leaves
                    if self.fence is not None and not self.fence():
                        raise NotLeader(f"{endpoint} not called: this process no longer leads")
                    code, payload = await super().do_request(url, method, *args, **kwargs)
            except NotLeader:
                raise  # nothing left: not to be retried, nor taken for a send that may have arrived
            except NetworkError as exc:
                if sending and not _never_left(exc):
                    raise OutcomeUnknown(f"{endpoint} may have reached Telegram: {exc}") from exc
                if attempt >= self.retries or not _safe_to_retry(exc, sending=sending):
                    raise
                delay, reason = self.backoff * 2**attempt, type(exc.__cause__ or exc).__name__  # httpx's, if any
                maybe_done = maybe_done or not _never_left(exc)
            else:
                if maybe_done and code == 400 and _answered_before(endpoint, payload):
                    return 200, ANSWERED
                if code == 429 and attempt < self.retries:
                    wait = _retry_after(payload)
                    if wait is None or wait > MAX_RETRY_AFTER:
                        return code, payload
                    delay, reason = wait, "429"
                elif code >= 500 and attempt < self.retries:
                    delay, reason = self.backoff * 2**attempt, str(code)
                    maybe_done = True
                else:
                    return code, payload
            attempt += 1
            log.debug("%s failed (%s); retry %d/%d in %.2fs", endpoint, reason, attempt, self.retries, delay)
            slot = CURRENT_SLOT.get()
            if slot is None:
                await asyncio.sleep(delay)
            else:  # the retry is another request at Telegram's end: it takes its own rate-limit slot
                await slot.retry_after(delay, everyone=reason == "429")
