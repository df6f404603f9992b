"""Sending outbox rows through the Bot API: one row and what became of it (`deliver`), and the rows a
handler has just committed, at once (`send_now`).

Every message the bot sends on its own is an outbox row first (`bot/services/outbox.py`), written in the
same transaction as the change that causes it. Bulk rows wait for the delivery job
(`scheduler/delivery.py`), which paces them; a message caused by a person's action (a case card to a
member, a relay, a result) is sent by the handler right after its commit, as a reply (the rate limiter
lets it go first) — and should the process die in between, the delivery job sends it after the restart.
"""

from __future__ import annotations

import enum
import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application

from bot.db import Database
from bot.ratelimit import retry_seconds
from bot.request import OutcomeUnknown
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
    elif message.document is not None:
        document = InputFile(io.BytesIO(message.document), filename=message.document_name)
        await bot.send_document(message.chat_id, document=document, caption=message.text, reply_markup=markup, **extra)
    else:
        await bot.send_message(message.chat_id, message.text, reply_markup=markup, **extra)


async def deliver(application: Application, db: Database, message: OutboxMessage, *,
                  on_blocked: OnBlocked | None = None, max_attempts: int = MAX_ATTEMPTS) -> tuple[Outcome, float]:
    """Send one claimed row and record what became of it, committed right away (a crash repeats at most
    this one message). Returns the outcome and, after a 429, the seconds Telegram asked to wait."""
    try:
        await send_one(application, message)
    except RetryAfter as error:
        pause = retry_seconds(error)
        async with db.session() as session:
            await outbox.release(session, message=message, now=utcnow(), retry_in=timedelta(seconds=pause),
                                 error=str(error))
            await session.commit()
        return Outcome.wait, pause
    except Forbidden as error:
        async with db.session() as session:
            await outbox.mark_blocked(session, message=message, now=utcnow(), error=str(error))
            await session.commit()
        log.info("outbox %s: chat %s blocked the bot", message.key, message.chat_id)
        if on_blocked is not None:
            try:
                await on_blocked(message.chat_id)
            except Exception:  # the hook is someone else's; a failure there must not stop delivery
                log.exception("on_blocked hook failed for chat %s", message.chat_id)
        return Outcome.blocked, 0.0
    except OutcomeUnknown as error:  # before TelegramError: it is one, but must not be sent again
        async with db.session() as session:
            await outbox.mark_unknown(session, message=message, now=utcnow(), error=str(error))
            await session.commit()
        log.warning("outbox %s: may have been sent (%s); not sent again", message.key, error)
        return Outcome.unknown, 0.0
    except TelegramError as error:
        permanent = isinstance(error, BadRequest)  # the same request would fail the same way
        async with db.session() as session:
            status = await outbox.mark_failed(session, message=message, now=utcnow(), error=str(error),
                                              max_attempts=max_attempts, permanent=permanent)
            await session.commit()
        log.warning("outbox %s: attempt %d failed (%s), now %s", message.key, message.attempts, error, status.value)
        return Outcome.failed, 0.0
    async with db.session() as session:
        await outbox.mark_sent(session, message=message, now=utcnow())
        await session.commit()
    return Outcome.sent, 0.0


def blocked_recorder(db: Database) -> OnBlocked:
    """A 403 while delivering: the person is recorded as unreachable until they write to the bot again."""

    async def record(telegram_id: int) -> None:
        async with db.session() as session:
            await mark_blocked(session, telegram_id=telegram_id, now=utcnow())
            await session.commit()

    return record


async def send_now(application: Application, db: Database, keys: Sequence[str]) -> set[str]:
    """Send these just-committed rows at once, in the order they were written; the keys that were sent.

    A row the delivery job took meanwhile, or one that fails now, is left to the job (retried there).
    """
    if not keys:
        return set()
    async with db.session() as session:
        messages = await outbox.claim(session, limit=len(keys), now=utcnow(), keys=keys)
        await session.commit()
    sent: set[str] = set()
    for message in sorted(messages, key=lambda m: m.id):
        outcome, _ = await deliver(application, db, message, on_blocked=blocked_recorder(db))
        if outcome is Outcome.sent:
            sent.add(message.key)
    return sent
