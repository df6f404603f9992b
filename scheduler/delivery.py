"""Outbox delivery: a JobQueue job that claims due messages in small batches and sends them.

Memory stays flat: at most one batch is loaded at a time. Messages caused by a person's action
(priority REPLY) are claimed first; they were normally sent already, right after their handler's
commit (`bot/sending.py: send_now`), and are here only when that failed or the process died.
Sends are paced below Telegram's limits (`bulk_rate` a second overall, one a second per chat)
so replies keep their room, and bulk ones carry `rate_limit_args={"bulk": True}` so the
application's `PriorityRateLimiter` lets replies go first. What became of each send (a 429, a
403, a send that may have arrived before the connection failed, another error) is recorded by
`bot/sending.py: deliver`; a 429 also pauses every send of this loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram.ext import Application

from bot.db import Database
from bot.ratelimit import SlidingWindow
from bot.sending import MAX_ATTEMPTS, OnBlocked, Outcome, deliver
from bot.services import outbox
from models import OutboxMessage, utcnow

log = logging.getLogger(__name__)
DELIVERY_JOB = "outbox_delivery"  # the name of the chain's one-off jobs (one pending at a time)


@dataclass(frozen=True)
class DeliveryConfig:
    batch: int = 20
    bulk_rate: int = 28  # messages a second; the limiter keeps everything ≤ 30 and lets replies go first
    per_chat_interval: float = 1.0  # seconds between two messages to one chat
    max_attempts: int = MAX_ATTEMPTS
    lease: timedelta = outbox.DEFAULT_LEASE
    run_seconds: float = 50.0  # one job run ends after this; the next run continues at once
    interval: float = 5.0  # seconds between job runs once the outbox has nothing due


STOP_CHECK = 0.25  # seconds: how soon a waiting send notices that the application is stopping


class Pacer:
    """≤ `rate` sends a second overall and one per `per_chat` seconds to any one chat."""

    def __init__(self, rate: int, per_chat: float) -> None:
        self._window = SlidingWindow(rate)
        self._per_chat = per_chat
        self._last: dict[int, float] = {}
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def wait(self, chat_id: int, stop: Callable[[], bool] | None = None) -> bool:
        """Wait for this chat's turn; False (without taking it) as soon as `stop()` says the sender stops."""
        while True:
            if stop is not None and stop():
                return False
            now = time.monotonic()
            last = self._last.get(chat_id)
            wait = max(self._window.wait_time(now), self._paused_until - now)
            if last is not None:
                wait = max(wait, last + self._per_chat - now)
            if wait <= 0:
                self._window.record(now)
                self._last[chat_id] = now
                if len(self._last) > 4096:  # forget chats whose interval is long over
                    self._last = {c: t for c, t in self._last.items() if t > now - self._per_chat}
                return True
            await asyncio.sleep(wait if stop is None else min(wait, STOP_CHECK))


class Delivery:
    """The outbox sender of one process; several may run on one database."""

    def __init__(
        self,
        application: Application,
        db: Database,
        *,
        on_blocked: OnBlocked | None = None,
        config: DeliveryConfig = DeliveryConfig(),
    ) -> None:
        self.application = application
        self.db = db
        self.on_blocked = on_blocked
        self.config = config
        self.pacer = Pacer(config.bulk_rate, config.per_chat_interval)
        self.sent = 0
        self.more = False  # the last run ended on its budget with messages still due
        self._stop: Callable[[], bool] = lambda: False

    async def run(self, *, budget: float | None = None) -> int:
        """Send what is due until nothing is or `budget` seconds pass; returns how many were sent.

        Messages are sent concurrently, each waiting for its turn at the pacer, so the round
        trips and the commits overlap and the pace, not the latency, sets the rate. The next
        batch is claimed while the last half of the current one is still sending (at most two
        batches in memory), so the pace never stalls on a claim between batches.
        """
        deadline = time.monotonic() + (self.config.run_seconds if budget is None else budget)
        sent = 0
        # a stopping application (restart, shutdown) lets the sends in flight finish and gives
        # the rest of the batch back at once, rather than holding them until the lease runs out
        watched = self.application.running
        self._stop = (lambda: not self.application.running) if watched else (lambda: False)
        sending: set[asyncio.Task] = set()
        drained = False  # the last claim found nothing: claim again once what is sending is done
        claimed = False  # anything this run: then look once more before ending (rows due meanwhile)
        while True:
            if not drained and len(sending) <= self.config.batch // 2 and time.monotonic() < deadline \
                    and not self._stop():
                async with self.db.session() as session:
                    batch = await outbox.claim(session, limit=self.config.batch, now=utcnow(), lease=self.config.lease)
                    await session.commit()
                drained = not batch
                claimed = claimed or bool(batch)
                sending.update(asyncio.create_task(self._deliver(message)) for message in batch)
            if not sending:
                if claimed and drained and time.monotonic() < deadline and not self._stop():
                    drained = claimed = False  # all done: one more look for rows that became due meanwhile
                    async with self.db.session() as session:
                        if not await outbox.has_pending(session, now=utcnow(), lease=self.config.lease):
                            drained = True  # nothing left: the next run waits its interval
                            break
                    continue
                break
            finished, sending = await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
            sent += sum(1 for task in finished if task.result() is None)
        self.sent += sent
        self.more = not drained and not self._stop()
        return sent

    def next_run_in(self) -> float:
        """Seconds until the next run: at once while a push is under way (a pause between runs
        would cost the push seconds of its rate), `interval` once nothing was left."""
        return 0.0 if self.more else self.config.interval

    async def _deliver(self, message: OutboxMessage) -> float | None:
        """Send and record one message at its turn; returns seconds to pause after a 429, 0 after another
        failure, None when sent."""
        if not await self.pacer.wait(message.chat_id, self._stop):
            async with self.db.session() as session:  # not sent: due again at once, the attempt not counted
                await outbox.release(session, message=message, now=utcnow(), retry_in=timedelta(0), error="stopped")
                await session.commit()
            return 0.0
        outcome, pause = await deliver(self.application, self.db, message, on_blocked=self.on_blocked,
                                       max_attempts=self.config.max_attempts)
        if outcome is Outcome.wait:
            self.pacer.pause(pause)  # everyone waits, as Telegram asked
            return pause
        return None if outcome is Outcome.sent else 0.0

    async def start(self, context: object) -> None:
        """The first run of this process: rows an earlier process claimed and never recorded (it died
        between) are taken back at once, then the chain starts (`job`). This process alone delivers
        from the database: SQLite has one, and on PostgreSQL only the leader runs jobs."""
        async with self.db.session() as session:
            released = await outbox.release_orphans(session)
            await session.commit()
        if released:
            log.info("outbox: %d message(s) an earlier process had taken are due again", released)
        await self.job(context)

    async def job(self, context: object) -> None:
        """The JobQueue callback: one run, then the next one chained after it (`next_run_in`), rather
        than repeating, so a long push never overlaps itself."""
        self.more = False
        try:
            await self.run()
        finally:
            queue = self.application.job_queue
            if queue is not None and self.application.running:
                queue.run_once(self.job, when=self.next_run_in(), name=DELIVERY_JOB, job_kwargs=LATE_IS_FINE)


# APScheduler drops a one-off job that starts more than a second late (misfire_grace_time=1): a loop
# busy for a second, or a clock that jumped, would end the chain and leave the outbox unsent until a
# restart. Late, it runs all the same.
LATE_IS_FINE = {"misfire_grace_time": None}


def schedule_delivery(application: Application, delivery: Delivery) -> None:
    """Start the delivery chain shortly after start-up."""
    queue = application.job_queue
    if queue is None:
        return
    queue.run_once(delivery.start, when=1, name=DELIVERY_JOB, job_kwargs=LATE_IS_FINE)
