"""Keeping photos and voice notes on disk: a repeating job downloads what the media queue holds.

Never on an update's path: the record and its queue rows are committed by the handler
(`bot/services/media.py`), and this job fetches them later. Each row is claimed first (one
conditional UPDATE, committed), downloaded under a temporary name and renamed into place, then
marked done; a failure is retried later, a bounded number of times, and what was given up on is
listed and fetched again by `python -m bot media check`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application

from bot.context import LianxinContext
from bot.db import Database
from bot.services import media
from models import MediaFile, MediaStatus, utcnow

log = logging.getLogger(__name__)
FETCH_EVERY_SECONDS = 60
BATCH = 20


@dataclass
class Fetched:
    """What one run came to."""

    done: int = 0
    retry: int = 0
    failed: int = 0


async def fetch_one(bot: Bot, row: MediaFile, media_dir: Path) -> tuple[str, int]:
    """Download one file to its place under `media_dir` (atomically: a temporary name, then renamed)."""
    relative = media.relative_path(row)
    target = media_dir / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    file = await bot.get_file(row.file_id)
    await file.download_to_drive(partial)
    os.replace(partial, target)
    return relative, target.stat().st_size


async def fetch_due(bot: Bot, db: Database, media_dir: Path, *, limit: int = BATCH) -> Fetched:
    """Claim up to `limit` due files and fetch them; each outcome committed as it comes."""
    result = Fetched()
    async with db.session() as session:
        rows = await media.claim(session, limit=limit, now=utcnow())
        await session.commit()
    for row in rows:
        try:
            relative, size = await fetch_one(bot, row, media_dir)
        except (TelegramError, OSError) as exc:
            async with db.session() as session:
                status = await media.mark_failed(session, row_id=row.id, claimed_by=row.claimed_by, error=str(exc),
                                                 attempts=row.attempts, now=utcnow(),
                                                 permanent=isinstance(exc, BadRequest))
                await session.commit()
            log.warning("media %s: fetch failed (%s), now %s", row.key, exc, status.value)
            if status is MediaStatus.failed:
                result.failed += 1
            else:
                result.retry += 1
            continue
        async with db.session() as session:
            await media.mark_done(session, row_id=row.id, claimed_by=row.claimed_by, path=relative, size=size,
                                  now=utcnow())
            await session.commit()
        result.done += 1
    return result


async def fetch_media(context: LianxinContext) -> None:
    """The job: one batch per run."""
    fetched = await fetch_due(context.bot, context.db, Path(context.settings.media_dir))
    if fetched.done or fetched.retry or fetched.failed:
        log.info("media: %d kept on disk, %d to retry, %d given up", fetched.done, fetched.retry, fetched.failed)


def schedule_media(application: Application) -> None:
    if application.job_queue is not None:
        application.job_queue.run_repeating(fetch_media, interval=FETCH_EVERY_SECONDS, first=FETCH_EVERY_SECONDS,
                                            name="fetch_media")
