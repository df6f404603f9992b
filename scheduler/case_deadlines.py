"""The case-deadline job: every few minutes, whatever deadline is due is acted on once (bot/services/deadlines.py)."""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.buttons import case_answer_buttons, case_view_button
from bot.context import LianxinContext
from bot.services.deadlines import run_case_deadlines
from models import utcnow

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 600


async def case_deadlines(context: LianxinContext) -> None:
    """One unit of work: the steps, their timeline rows and their outbox messages commit together."""
    async with context.db.session() as session:
        run = await run_case_deadlines(
            session, now=utcnow(), table=context.routing, admin_ids=context.settings.admin_ids,
            policy=context.policies.deadline, case_policy=context.policies.case,
            view_button=case_view_button, answer_buttons=case_answer_buttons,
        )
        await session.commit()
    done = {k: len(v) for k, v in vars(run).items() if v}
    if done:
        log.info("case deadlines: %s", done)


def schedule_case_deadlines(application: Application) -> None:
    if application.job_queue is not None:
        application.job_queue.run_repeating(case_deadlines, interval=CHECK_EVERY_SECONDS, first=30,
                                            name="case_deadlines", job_kwargs={"max_instances": 1, "coalesce": True})
