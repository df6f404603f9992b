"""Updates of different people are handled concurrently; one person's updates strictly in order.

PTB handles one update at a time by default, so every database wait or Bot API round trip
of one user's update stalls everyone else's. This processor lets up to `max_concurrent`
updates run at once, but takes a per-person lock first: a person's updates (and with them
their form, which is keyed by chat and user) are still handled one after another, in the
order Telegram sent them (asyncio's semaphore and locks wake their waiters first come,
first served, and the application starts the tasks in queue order).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def person_of(update: object) -> int | None:
    """Whose updates must not overlap: the sender's, else the chat's; None for anything else."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 32) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        person = person_of(update)
        if person is None:
            await coroutine
            return
        lock = self._locks.setdefault(person, asyncio.Lock())
        self._waiting[person] = self._waiting.get(person, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[person] -= 1
            if not self._waiting[person]:  # nobody else queued behind: forget the lock
                del self._waiting[person]
                del self._locks[person]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
