"""Sending outbox rows through the Bot API: one row and what became of it (`deliver`), and the rows a
handler has just committed, at once (`send_now`).

Every message the bot sends on its own is an outbox row first (`bot/services/outbox.py`), written in the
same transaction as the change that causes it. Bulk rows wait for the delivery job
(`scheduler/delivery.py`), which paces them; a message caused by a person's action (a case card to a
member, a relay, a result) is sent by the handler right after its commit, as a reply (the rate limiter
lets it go first) — and should the process die in between, the delivery job sends it after the restart.
"""

from __future__ import annotations

import asyncio
import enum
import io
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application

from bot.db import Database
from bot.ratelimit import retry_seconds
from bot.request import NotLeader, OutcomeUnknown
from bot.services import outbox
from bot.services.reachability import mark_blocked
from models import OutboxMessage, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5

OnBlocked = Callable[[int], Awaitable[None]]


class Outcome(enum.Enum):
    sent = "sent"
    blocked = "blocked"  # 403: recorded, never retried
    wait = "wait"  # 429: given back, due again after Telegram's wait
    failed = "failed"  # retried later, or failed for good
    unknown = "unknown"  # the request may have reached Telegram: recorded, never sent again


def _markup(message: OutboxMessage) -> InlineKeyboardMarkup | None:
    rows = outbox.buttons_of(message)
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(**button) for button in row] for row in rows])


async def send_one(application: Application, message: OutboxMessage) -> None:
    """One Bot API call for one outbox row; a bulk row tells the rate limiter so, and waits behind replies."""
    bot = application.bot
    bulk = message.priority != outbox.REPLY
    extra = {"rate_limit_args": {"bulk": bulk}} if bot.rate_limiter is not None else {}
    markup = _markup(message)
    if message.photo is not None or message.photo_id is not None:
        photo = message.photo if message.photo is not None else message.photo_id
        await bot.send_photo(message.chat_id, photo=photo, caption=message.text, reply_markup=markup, **extra)
    elif message.voice_id is not None:
        await bot.send_voice(message.chat_id, voice=message.voice_id, caption=message.text, reply_markup=markup,
                             **extra)
    elif message.audio_id is not None:
        await bot.send_audio(message.chat_id, audio=message.audio_id, caption=message.text, reply_markup=markup,
                             **extra)
    elif message.document is not None:
        document = InputFile(io.BytesIO(message.document), filename=message.document_name)
        await bot.send_document(message.chat_id, document=document, caption=message.text, reply_markup=markup, **extra)
    else:
        await bot.send_message(message.chat_id, message.text, reply_markup=markup, **extra)


@dataclass
class Attempt:
    """What one send came to, before it is recorded."""

    message: OutboxMessage
    outcome: Outcome
    pause: float = 0.0  # after a 429: the seconds Telegram asked to wait
    error: TelegramError | None = None


async def attempt(application: Application, message: OutboxMessage) -> Attempt:
    """One send of a claimed row; nothing recorded yet (`record`)."""
    try:
        await send_one(application, message)
    except RetryAfter as error:
        return Attempt(message, Outcome.wait, retry_seconds(error), error)
    except Forbidden as error:
        return Attempt(message, Outcome.blocked, error=error)
    except NotLeader as error:  # never called: given back at once, the attempt not counted (the new leader's)
        return Attempt(message, Outcome.wait, 0.0, error)
    except OutcomeUnknown as error:  # before TelegramError: it is one, but must not be sent again
        return Attempt(message, Outcome.unknown, error=error)
    except TelegramError as error:
        return Attempt(message, Outcome.failed, error=error)
    return Attempt(message, Outcome.sent)


async def record(session: AsyncSession, done: Attempt, *, max_attempts: int = MAX_ATTEMPTS) -> None:
    """Stage what became of one attempt on its row (a 429 gives it back, due after Telegram's wait; a
    400 fails for good; another failure is retried later)."""
    message, now, error = done.message, utcnow(), str(done.error)
    if done.outcome is Outcome.sent:
        await outbox.mark_sent(session, message=message, now=now)
    elif done.outcome is Outcome.wait:
        await outbox.release(session, message=message, now=now, retry_in=timedelta(seconds=done.pause), error=error)
    elif done.outcome is Outcome.blocked:
        await outbox.mark_blocked(session, message=message, now=now, error=error)
        log.info("outbox %s: chat %s blocked the bot", message.key, message.chat_id)
    elif done.outcome is Outcome.unknown:
        await outbox.mark_unknown(session, message=message, now=now, error=error)
        log.warning("outbox %s: may have been sent (%s); not sent again", message.key, error)
    else:
        permanent = isinstance(done.error, BadRequest)  # the same request would fail the same way
        status = await outbox.mark_failed(session, message=message, now=now, error=error,
                                          max_attempts=max_attempts, permanent=permanent)
        log.warning("outbox %s: attempt %d failed (%s), now %s", message.key, message.attempts, error, status.value)


async def _after_blocked(done: Attempt, on_blocked: OnBlocked | None) -> None:
    if done.outcome is Outcome.blocked and on_blocked is not None:
        try:
            await on_blocked(done.message.chat_id)
        except Exception:  # the hook is someone else's; a failure there must not stop delivery
            log.exception("on_blocked hook failed for chat %s", done.message.chat_id)


async def deliver(application: Application, db: Database, message: OutboxMessage, *,
                  on_blocked: OnBlocked | None = None, max_attempts: int = MAX_ATTEMPTS) -> tuple[Outcome, float]:
    """Send one claimed row and record what became of it, committed right away (a crash repeats at most
    this one message). Returns the outcome and, after a 429, the seconds Telegram asked to wait."""
    done = await attempt(application, message)
    async with db.session() as session:
        await record(session, done, max_attempts=max_attempts)
        await session.commit()
    await _after_blocked(done, on_blocked)
    return done.outcome, done.pause


def blocked_recorder(db: Database) -> OnBlocked:
    """A 403 while delivering: the person is recorded as unreachable until they write to the bot again."""

    async def record(telegram_id: int) -> None:
        async with db.session() as session:
            await mark_blocked(session, telegram_id=telegram_id, now=utcnow())
            await session.commit()

    return record


class Recorder:
    """Records handlers' sends in as few commits as they come: whoever holds the lock writes every
    outcome waiting by then, so 20 handlers sending at once take a few write transactions, not 20
    (on SQLite each waits for the one writer). An outcome is written before `add` returns."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._waiting: list[Attempt] = []
        self._lock = asyncio.Lock()

    async def add(self, done: Sequence[Attempt]) -> None:
        self._waiting.extend(done)
        async with self._lock:
            if not self._waiting:
                return  # written by the holder before us
            batch, self._waiting = self._waiting, []
            async with self.db.session() as session:
                for one in batch:
                    await record(session, one)
                await session.commit()


_recorders: weakref.WeakKeyDictionary[Database, Recorder] = weakref.WeakKeyDictionary()


def recorder(db: Database) -> Recorder:
    kept = _recorders.get(db)
    if kept is None:
        kept = _recorders[db] = Recorder(db)
    return kept


async def send_now(application: Application, db: Database, claim: str) -> set[str]:
    """Send the rows a handler has just committed under `claim` (`outbox.enqueue(claim=…)`), in the order
    they were written, and record them (`Recorder`); the keys that were sent. What fails is retried by
    the delivery job; should the process die first, its next start sends them (`outbox.release_orphans`).
    """
    with db.bounded_reads():
        async with db.session() as session:
            messages = await outbox.claimed(session, claim=claim)
    if not messages:
        return set()
    done = [await attempt(application, message) for message in messages]
    await recorder(db).add(done)
    for one in done:
        await _after_blocked(one, blocked_recorder(db))
    return {one.message.key for one in done if one.outcome is Outcome.sent}
