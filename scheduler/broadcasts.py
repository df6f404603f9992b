"""Broadcast progress: one message per broadcast, edited as its outbox rows are sent, ending with the tally.

Nothing is remembered between runs but the last text shown (to skip edits that change
nothing): each run asks the database which broadcasts are still sending and counts their
rows, so after a restart the progress message carries on and the tally is still right.
The final tally is shown before the broadcast is marked done, so a crash in between shows
it again rather than never.
"""

from __future__ import annotations

import logging

from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot.context import LianxinContext
from bot.services import broadcasts
from bot.texts import render_broadcast_progress
from models import utcnow

log = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 2.0
SHOWN_KEY = "broadcast_progress_shown"  # bot_data (never persisted): broadcast id -> last text shown


async def show(context: LianxinContext, broadcast, text: str) -> None:  # noqa: ANN001 - models.Broadcast
    shown = context.bot_data.setdefault(SHOWN_KEY, {})
    if shown.get(broadcast.id) == text or broadcast.progress_message_id is None:
        return
    try:
        await context.bot.edit_message_text(text, chat_id=broadcast.chat_id, message_id=broadcast.progress_message_id)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():  # deleted by the sender: progress goes on, unseen
            log.info("broadcast %s: progress message not updated: %s", broadcast.id, exc)
    except Forbidden as exc:
        log.info("broadcast %s: the sender blocked the bot: %s", broadcast.id, exc)
    except TelegramError as exc:  # shown on the next run
        log.info("broadcast %s: progress not shown this time: %s", broadcast.id, exc)
        return
    shown[broadcast.id] = text


async def broadcast_progress(context: LianxinContext) -> None:
    if context.bot_data.get(broadcasts.ACTIVE_FLAG) is False:  # nothing sending: no query every 2 s
        return
    async with context.db.session() as session:
        running = await broadcasts.in_progress(session)
        context.bot_data[broadcasts.ACTIVE_FLAG] = bool(running)
        for broadcast in running:
            counts = await broadcasts.tally(session, broadcast)
            await show(context, broadcast, render_broadcast_progress(broadcast, counts))
            if counts.finished:
                await broadcasts.finish(session, broadcast, counts, now=utcnow())
                log.info("broadcast %s done: %d sent, %d blocked, %d failed, %d may have been sent of %d",
                         broadcast.id, counts.sent, counts.blocked, counts.failed, counts.unknown, counts.total)
        await session.commit()


def schedule_broadcasts(application: Application) -> None:
    queue = application.job_queue
    if queue is None:
        return
    queue.run_repeating(broadcast_progress, interval=PROGRESS_EVERY_SECONDS, first=1, name="broadcast_progress",
                        job_kwargs={"max_instances": 1, "coalesce": True})
