"""The nightly backup: at 02:30 local time, when the office's day is over and before the 03:00 clean-ups,
a backup archive (database and MEDIA_DIR, bot/backup.py) goes into BACKUP_DIR; the newest BACKUP_KEEP stay.

Only when BACKUP_DIR is set. The copy is made in a worker thread, so the bot keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import time
from pathlib import Path

from telegram.ext import Application

from bot import backup as backups
from bot.context import LianxinContext
from models import utcnow

log = logging.getLogger(__name__)
NIGHTLY_AT = time(2, 30)


def take_nightly(database_url: str, folder: Path, media_dir: Path, keep: int, *, tz) -> backups.Made:  # noqa: ANN001 - a tzinfo
    """One nightly backup into `folder`, then all but the newest `keep` removed (blocking)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = utcnow().astimezone(tz)
    made = backups.backup(database_url, folder / backups.nightly_name(now), media_dir=media_dir, now=now)
    removed = backups.prune(folder, keep)
    log.info("nightly backup written: %s (%d bytes); %d older ones removed", made.path, made.size, len(removed))
    return made


async def nightly_backup(context: LianxinContext) -> None:
    settings = context.settings
    try:
        await asyncio.to_thread(take_nightly, settings.database_url, Path(settings.backup_dir or "."),
                                Path(settings.media_dir), settings.backup_keep, tz=settings.tz)
    except backups.BackupProblem as problem:
        log.error("nightly backup failed: %s %s", problem.code, problem.values)
    except OSError as exc:
        log.error("nightly backup failed: %s", exc)


def schedule_backups(application: Application) -> None:
    settings = application.settings  # type: ignore[attr-defined] - LianxinApplication
    if application.job_queue is None or not settings.backup_dir:
        return
    application.job_queue.run_daily(nightly_backup, NIGHTLY_AT.replace(tzinfo=settings.tz), name="nightly_backup",
                                    job_kwargs={"max_instances": 1, "coalesce": True})
