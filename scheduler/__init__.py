"""Scheduled jobs, run by PTB's JobQueue (APScheduler) in exactly one bot process.

Jobs keep nothing in APScheduler's store: what must survive a restart lives in our
tables and the jobs are re-created at start-up (see STACK_NOTES). A job calls services
and the text catalogue only; it owns its unit of work and commits once.
"""

from __future__ import annotations

import logging
from datetime import time, timedelta

from telegram.error import Forbidden, TelegramError

from bot.context import LianxinApplication, LianxinContext
from bot.sending import blocked_recorder
from bot.services.access import purge_bind_attempts
from bot.services.forms import expire_idle_forms, sweep_interval
from bot.services.reachability import mark_blocked
from bot.texts import t
from models import utcnow
from scheduler.backups import schedule_backups
from scheduler.broadcasts import schedule_broadcasts
from scheduler.case_deadlines import schedule_case_deadlines
from scheduler.checkin import schedule_checkin_cards
from scheduler.delivery import Delivery, schedule_delivery
from scheduler.media import schedule_media
from scheduler.receptions import schedule_reception_reminders
from scheduler.reminders import schedule_reminders
from scheduler.retention import schedule_retention

log = logging.getLogger(__name__)


async def purge_old_bind_attempts(context: LianxinContext) -> None:
    """Failed binding attempts older than any lock-out window are dropped."""
    lockout = timedelta(minutes=context.settings.bind_lockout_minutes)
    async with context.db.session() as session:
        count = await purge_bind_attempts(session, lockout=lockout, now=utcnow())
        await session.commit()
    log.info("purged %d old binding attempts", count)


async def expire_forms(context: LianxinContext) -> None:
    """Forms idle past the timeout that PTB will not time out itself (restored after a restart)."""
    application = context.application
    settings = context.settings
    slack = timedelta(seconds=sweep_interval(settings.conversation_timeout_minutes))
    timeout = timedelta(minutes=settings.conversation_timeout_minutes) + slack
    # PTB's user_data: a mapping of user id to each user's dict, changed in place
    expired = expire_idle_forms(application.user_data, now=utcnow(), timeout=timeout)  # type: ignore[arg-type] - see above
    if not expired:
        return
    application.mark_data_for_update_persistence(user_ids=[user_id for user_id, _ in expired])
    await application.update_persistence()
    minutes = f"{settings.conversation_timeout_minutes:g}"
    for user_id, form in expired:
        try:
            await application.bot.send_message(user_id, t(f"{form}_timeout", minutes=minutes))
        except Forbidden:  # they blocked the bot: recorded, as any 403 is
            async with context.db.session() as session:
                await mark_blocked(session, telegram_id=user_id, now=utcnow())
                await session.commit()
            log.info("user %s blocked the bot; their expired form was dropped silently", user_id)
        except TelegramError as exc:
            log.info("could not tell %s that their form expired: %s", user_id, exc)


def schedule_jobs(application: LianxinApplication) -> None:
    """(Re-)create every job; called from post_init, so once per start."""
    queue = application.job_queue
    if queue is None:
        log.warning("JobQueue unavailable: install python-telegram-bot[job-queue]")
        return
    settings = application.settings
    queue.run_daily(purge_old_bind_attempts, time(hour=3, minute=30, tzinfo=settings.tz), name="purge_bind_attempts")
    interval = sweep_interval(settings.conversation_timeout_minutes)
    queue.run_repeating(expire_forms, interval=interval, first=interval, name="expire_idle_forms")

    schedule_delivery(application, Delivery(application, application.db, on_blocked=blocked_recorder(application.db)))
    schedule_reminders(application)
    schedule_broadcasts(application)
    schedule_case_deadlines(application)
    schedule_checkin_cards(application)
    schedule_backups(application)
    schedule_retention(application)
    schedule_reception_reminders(application)
    schedule_media(application)
