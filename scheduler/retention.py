"""The nightly phone retention: at 03:00 local time (after the 02:30 backup), phones on cases closed more than
PHONE_RETENTION_DAYS ago are cleared (bot/services/forget.py: `clear_old_phones`), in one commit."""

from __future__ import annotations

import logging
from datetime import time

from telegram.ext import Application

from bot.context import LianxinContext
from bot.services.forget import clear_old_phones
from models import utcnow

log = logging.getLogger(__name__)
NIGHTLY_AT = time(3, 0)


async def phone_retention(context: LianxinContext) -> None:
    async with context.db.session() as session:
        cases, residents = await clear_old_phones(session, now=utcnow(), days=context.settings.phone_retention_days)
        await session.commit()
    if cases or residents:
        log.info("phone retention: cleared the phone of %d cases and %d residents", cases, residents)


def schedule_retention(application: Application) -> None:
    if application.job_queue is not None:
        tz = application.settings.tz  # type: ignore[attr-defined] - LianxinApplication
        application.job_queue.run_daily(phone_retention, NIGHTLY_AT.replace(tzinfo=tz), name="phone_retention",
                                        job_kwargs={"max_instances": 1, "coalesce": True})
