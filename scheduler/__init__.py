"""Scheduled jobs, run by PTB's JobQueue (APScheduler) in exactly one bot process.

Jobs keep nothing in APScheduler's store: what must survive a restart lives in our
tables and the jobs are re-created at start-up (see STACK_NOTES).
"""

from __future__ import annotations

import logging
from datetime import time, timedelta

from sqlalchemy import delete
from telegram.ext import Application, ContextTypes

from models import BindAttempt, utcnow

log = logging.getLogger(__name__)


async def purge_bind_attempts(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Failed binding attempts matter for two lock-out windows (see access.is_locked); drop older ones."""
    application = context.application
    window = 2 * timedelta(minutes=application.settings.bind_lockout_minutes)  # type: ignore[attr-defined]
    async with application.db.session() as session:  # type: ignore[attr-defined]
        result = await session.exec(delete(BindAttempt).where(BindAttempt.attempted_at < utcnow() - window))
        await session.commit()
    log.info("purged %d old binding attempts", result.rowcount)


def schedule_jobs(application: Application) -> None:
    """(Re-)create every job; called from post_init, so once per start."""
    queue = application.job_queue
    if queue is None:
        log.warning("JobQueue unavailable: install python-telegram-bot[job-queue]")
        return
    tz = application.settings.tz  # type: ignore[attr-defined]
    queue.run_daily(purge_bind_attempts, time(hour=3, minute=30, tzinfo=tz), name="purge_bind_attempts")
    from handlers.log_activity import expire_idle_forms, sweep_interval

    interval = sweep_interval(application.settings)  # type: ignore[attr-defined]
    queue.run_repeating(expire_idle_forms, interval=interval, first=interval, name="expire_idle_forms")
