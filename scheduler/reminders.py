"""The reminder job: asks the database which occasion is due and not yet done, and enqueues it once.

Runs every few minutes (and shortly after start-up, so a bot that was down at 09:00
catches up within the same period); the outbox delivery job sends what it wrote.
"""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.context import LianxinContext
from bot.services.outbox import Button
from bot.services.reminders import ReminderPolicy, run_due
from bot.texts import label
from handlers.callbacks import RemindButton
from models import utcnow

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 600


def log_button() -> Button:
    return Button(label("remind_log"), callback_data=RemindButton().pack())


async def remind_due(context: LianxinContext) -> None:
    """One unit of work: the due occasion's scan, its run marker and its messages commit together."""
    policy = ReminderPolicy.from_settings(context.settings)
    async with context.db.session() as session:
        plan = await run_due(session, now=utcnow(), policy=policy, log_button=log_button())
        await session.commit()
    if plan is not None:
        log.info("%s %s: %d messages enqueued", plan.occasion.value, plan.quarter.label, len(plan.outgoing))


def schedule_reminders(application: Application) -> None:
    queue = application.job_queue
    if queue is None:
        return
    queue.run_repeating(remind_due, interval=CHECK_EVERY_SECONDS, first=20, name="reminders",
                        job_kwargs={"max_instances": 1, "coalesce": True})
