"""The reception-day reminder: the day before, at RECEPTION_REMINDER_TIME, the residents signed up and the
member on duty are reminded through the outbox, exactly once.

Runs every few minutes (and shortly after start-up, so a bot that was down at 18:00 catches up before
the day starts). Each reception day is its own unit of work: its `reminder_sent_at` and its outbox rows
commit together, and the conditional UPDATE in `receptions.remind` lets only one run or process do it.
"""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.callbacks import ReceptionAction, ReceptionButton
from bot.context import LianxinContext
from bot.services.outbox import Button
from bot.services.receptions import ReceptionPolicy, due_reminders, remind
from bot.texts import label
from models import utcnow

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 300


async def remind_receptions(context: LianxinContext) -> None:
    policy = ReceptionPolicy.from_settings(context.settings)
    now = utcnow()
    async with context.db.session() as session:
        due = await due_reminders(session, now=now, policy=policy)
    for reception_id in due:
        buttons = [[Button(label("rcp_attendees_all"),
                           callback_data=ReceptionButton(ReceptionAction.attendees, reception_id).pack())]]
        async with context.db.session() as session:
            told = await remind(session, reception_id=reception_id, now=now, policy=policy, buttons=buttons)
            await session.commit()
        if told is not None:
            log.info("reception %s: %d reminders enqueued", reception_id, told)


def schedule_reception_reminders(application: Application) -> None:
    queue = application.job_queue
    if queue is None:
        return
    queue.run_repeating(remind_receptions, interval=CHECK_EVERY_SECONDS, first=30, name="reception_reminders",
                        job_kwargs={"max_instances": 1, "coalesce": True})
