"""Outgoing Bot API calls: replies first, bulk sends after, all under Telegram's overall limit.

PTB's AIORateLimiter puts every call in one queue, so a push of thousands of reminders
would make people typing /help wait behind it. Here every call takes a slot in a sliding
one-second window (≤ `overall_rate`); a bulk call (`rate_limit_args={"bulk": True}`, sent
by the outbox delivery) also waits while any interactive call is waiting, so replies
always take the next free slot. The delivery paces itself below the limit (see
`scheduler/delivery.py`), which leaves slots free for replies in the first place.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whether PTB hands a timedelta (PTB_TIMEDELTA=1) or an int."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class SlidingWindow:
    """At most `rate` events in any `period` seconds.

    An event may be counted from its start until it is done (`begin`/`end`): then it holds
    its slot while in flight and for `period` after it finished, so however long the
    network takes, no `rate + 1` requests can reach the server within one period.
    """

    def __init__(self, rate: int, period: float = 1.0) -> None:
        self.rate = rate
        self.period = period
        self._times: deque[float] = deque()
        self._in_flight = 0

    def wait_time(self, now: float) -> float:
        while self._times and self._times[0] <= now - self.period:
            self._times.popleft()
        if len(self._times) + self._in_flight < self.rate:
            return 0.0
        if not self._times:  # every slot is in flight: check again shortly
            return 0.01
        return self._times[0] + self.period - now

    def record(self, now: float) -> None:
        self._times.append(now)

    def begin(self) -> None:
        self._in_flight += 1

    def end(self, now: float) -> None:
        self._in_flight -= 1
        self._times.append(now)


class Slot:
    """One call's slot in the limiter's window; the transport retakes it before sending the same request again.

    Every attempt that may reach Telegram holds its own slot from its start until its answer
    (or error) plus the window's period: a request retried inside one call (`bot/request.py`:
    5xx, a connection error, a short 429) is a second arrival at Telegram's end and is counted
    as one.
    """

    def __init__(self, limiter: PriorityRateLimiter, *, bulk: bool) -> None:
        self._limiter = limiter
        self.bulk = bulk
        self.held = False

    async def take(self) -> None:
        await self._limiter._acquire(bulk=self.bulk)  # noqa: SLF001 - the limiter's own slot, this module
        self.held = True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self._limiter._window.end(self._limiter._loop_time())  # noqa: SLF001 - as in take()

    async def retry_after(self, seconds: float, *, everyone: bool = False) -> None:
        """Before sending again: give the slot back, wait `seconds` (every call waits too when
        `everyone`: Telegram's 429), then take a new slot."""
        self.give_back()
        if everyone:
            self._limiter.pause(seconds)
        await asyncio.sleep(seconds)
        await self.take()


# the slot of the call being made (set by PriorityRateLimiter around the network call, read by the transport)
CURRENT_SLOT: ContextVar[Slot | None] = ContextVar("current_slot", default=None)


class PriorityRateLimiter(BaseRateLimiter[dict]):
    """Interactive calls before bulk ones; ≤ `overall_rate` calls a second; a 429 pauses everything."""

    def __init__(self, *, overall_rate: int = 30, max_retries: int = 2) -> None:
        self._window = SlidingWindow(overall_rate)
        self._max_retries = max_retries
        self._interactive_waiting = 0
        self._paused_until = 0.0
        # bulk calls start at most `overall_rate + 1` a second, evenly: a burst of them would free its
        # slots in a burst one second later, again and again, and a reply arriving between two bursts
        # would wait for the next one; spread out, a slot frees every ~1/30 s and a reply takes it
        self._bulk_spacing = 1.0 / (overall_rate + 1)
        self._next_bulk = 0.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def _loop_time(self) -> float:
        return asyncio.get_running_loop().time()

    async def _acquire(self, *, bulk: bool) -> None:
        if not bulk:
            self._interactive_waiting += 1
        try:
            while True:
                now = self._loop_time()
                wait = max(self._window.wait_time(now), self._paused_until - now)
                if bulk:
                    wait = max(wait, self._next_bulk - now)
                    if wait <= 0 and self._interactive_waiting:
                        wait = 0.005  # a reply is waiting for this slot: let it go first
                if wait <= 0:
                    self._window.begin()
                    if bulk:
                        self._next_bulk = now + self._bulk_spacing
                    return
                await asyncio.sleep(wait)
        finally:
            if not bulk:
                self._interactive_waiting -= 1

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        attempt = 0
        while True:
            slot = Slot(self, bulk=bulk)
            await slot.take()
            current = CURRENT_SLOT.set(slot)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                slot.give_back()
                seconds = retry_seconds(error)
                self.pause(seconds)
                log.warning("Telegram asked to wait %.1f s (%s, bulk=%s)", seconds, endpoint, bulk)
                # bulk: the outbox records the wait and retries later; replies retry here a few times
                if bulk or attempt >= self._max_retries:
                    raise
                attempt += 1
            finally:
                CURRENT_SLOT.reset(current)
                slot.give_back()  # the answer (or error) has arrived: the period starts now

    def pause(self, seconds: float) -> None:
        """Telegram asked to wait: no call starts for `seconds` (plus a little)."""
        self._paused_until = max(self._paused_until, self._loop_time() + seconds + 0.1)
