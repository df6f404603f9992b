"""Voice notes and the files kept on disk: the rules a voice note keeps, where it is stored, and the
durable queue that downloads every photo and voice of a case or an activity (Telegram-free).

A file_id lives only as long as Telegram keeps the file; an office's record must not depend on it.
Each photo and voice becomes one `MediaFile` row in the same transaction as the record it belongs to
(`queue_case`, `queue_activity`). The downloader (scheduler/media.py) claims due rows with one
conditional UPDATE (as the outbox does), writes the file under a temporary name, renames it into place
and marks the row done; a failure is retried later, a bounded number of times. The unique key
(`case:<id>:<file_unique_id>`) makes a file queued twice one row; a claimed row is fetched by one
downloader only. Services stage; the caller commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_insert, dialect_of
from models import (
    ActivityPhoto,
    Case,
    CaseMessage,
    CasePhoto,
    MediaFile,
    MediaStatus,
    VoiceNote,
)

MAX_VOICES = 5  # voice notes at a case's intake; counted next to the photos (each has its own limit of 5)
MAX_ACTIVITY_VOICES = 5
DOWNLOAD_MAX_BYTES = 20 * 1024 * 1024  # the largest file a bot may download from Telegram (getFile)
MAX_ATTEMPTS = 5
DEFAULT_LEASE = timedelta(minutes=5)
RETRY_AFTER = timedelta(minutes=1)
EXTENSIONS = {"photo": ".jpg", "voice": ".ogg", "audio": ".mp3"}


class MediaProblem(Exception):
    """A voice note or audio file the rules refuse; `code` picks the text (`voice_<code>`), `detail` fills it."""

    def __init__(self, code: str, **detail: object) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Voice:
    """A voice note (or an audio file) as a person sent it."""

    file_id: str
    file_unique_id: str
    duration: int  # seconds
    kind: str = "voice"  # voice | audio

    def as_list(self) -> list:
        return [self.file_id, self.file_unique_id, self.duration, self.kind]

    @classmethod
    def from_list(cls, row: Sequence) -> Voice:
        return cls(str(row[0]), str(row[1]), int(row[2]), str(row[3]) if len(row) > 3 else "voice")


def check_voice(*, duration: int | None, size: int | None, max_seconds: int) -> None:
    """A voice note longer than `max_seconds`, or a file larger than Telegram lets a bot download."""
    if size is not None and size > DOWNLOAD_MAX_BYTES:
        raise MediaProblem("too_big", high=DOWNLOAD_MAX_BYTES // (1024 * 1024))
    if duration is not None and duration > max_seconds:
        raise MediaProblem("too_long", high=clock(max_seconds), length=clock(duration))


def clock(seconds: int) -> str:
    """A length as a player shows it: 1:42, 12:05, 1:02:03."""
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def total_seconds(voices: Sequence[Voice]) -> int:
    return sum(v.duration for v in voices)


async def add_voices(session: AsyncSession, voices: Sequence[Voice], *, now: datetime, case_id: int | None = None,
                     message_id: int | None = None, activity_id: int | None = None, start: int = 0) -> None:
    """Store voice notes of a case (its intake, or a relay `message_id`) or of an activity."""
    for position, voice in enumerate(voices, start=start):
        session.add(VoiceNote(case_id=case_id, message_id=message_id, activity_id=activity_id, kind=voice.kind,
                              file_id=voice.file_id, file_unique_id=voice.file_unique_id, duration=voice.duration,
                              position=position, created_at=now))


async def case_voices(session: AsyncSession, *, case_id: int, message_ids: Sequence[int] | None = None,
                      intake_only: bool = False) -> list[VoiceNote]:
    """A case's voice notes in order: the intake's, then the relays' (only those of `message_ids` when given)."""
    query = select(VoiceNote).where(VoiceNote.case_id == case_id)
    if intake_only:
        query = query.where(col(VoiceNote.message_id).is_(None))
    elif message_ids is not None:
        query = query.where(or_(col(VoiceNote.message_id).is_(None), col(VoiceNote.message_id).in_(list(message_ids))))
    rows = await session.exec(query.order_by(VoiceNote.message_id.is_not(None), VoiceNote.message_id,
                                             VoiceNote.position, VoiceNote.id))
    return list(rows.all())


async def voice_totals(session: AsyncSession, *, case_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Per case: how many voice notes and their total seconds (one query)."""
    if not case_ids:
        return {}
    rows = await session.exec(
        select(VoiceNote.case_id, func.count(), func.coalesce(func.sum(VoiceNote.duration), 0))
        .where(col(VoiceNote.case_id).in_(list(case_ids))).group_by(VoiceNote.case_id)
    )
    return {case_id: (int(count), int(seconds)) for case_id, count, seconds in rows.all()}


# --- the download queue ---------------------------------------------------------------------------


async def _queue(session: AsyncSession, *, owner_kind: str, owner_id: int, owner_label: str,
                 files: Sequence[tuple[str, str, str]], now: datetime, new_owner: bool = False) -> int:
    """Queue (kind, file_id, file_unique_id) of one owner once each, numbered after what it has; how many new.
    `new_owner`: the owner was created in this transaction, so nothing of it is queued yet (no lookup)."""
    if not files:
        return 0
    queued = [] if new_owner else (await session.exec(
        select(MediaFile.key, MediaFile.seq).where(MediaFile.owner_kind == owner_kind, MediaFile.owner_id == owner_id)
    )).all()
    last = max((seq for _, seq in queued), default=0)
    known = {key for key, _ in queued}
    added = 0
    dialect = dialect_of(session)
    for kind, file_id, unique_id in files:
        key = f"{owner_kind}:{owner_id}:{unique_id}"[:128]
        if key in known:
            continue
        known.add(key)
        added += 1
        statement = (
            dialect_insert(dialect, MediaFile.__table__)
            .values(key=key, owner_kind=owner_kind, owner_id=owner_id, owner_label=owner_label, seq=last + added,
                    kind=kind, file_id=file_id, file_unique_id=unique_id, status=MediaStatus.pending.value,
                    attempts=0, created_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        await session.exec(statement)
    return added


async def queue_files(session: AsyncSession, *, case: Case, now: datetime, photos: Sequence[tuple[str, str]] = (),
                      voices: Sequence[Voice] = (), new_case: bool = False) -> int:
    """The photos (file_id, file_unique_id) and voices a case just got, queued in the caller's transaction."""
    files = [("photo", f, u) for f, u in photos] + [(v.kind, v.file_id, v.file_unique_id) for v in voices]
    return await _queue(session, owner_kind="case", owner_id=case.id, owner_label=case.number, files=files,
                        now=now, new_owner=new_case)


async def queue_case(session: AsyncSession, *, case: Case, now: datetime) -> int:
    """Every photo and voice of a case (intake and relays) not yet queued; in the caller's transaction."""
    await session.flush()
    files: list[tuple[str, str, str]] = []
    photos = await session.exec(select(CasePhoto.file_id, CasePhoto.file_unique_id)
                                .where(CasePhoto.case_id == case.id).order_by(CasePhoto.position))
    files += [("photo", f, u) for f, u in photos.all()]
    messages = await session.exec(select(CaseMessage.photo_file_ids).where(CaseMessage.case_id == case.id)
                                  .order_by(CaseMessage.at, CaseMessage.id))
    for ids in messages.all():
        files += [("photo", f, f[-64:]) for f in ids or ()]  # relays keep the file_id only
    files += [(v.kind, v.file_id, v.file_unique_id) for v in await case_voices(session, case_id=case.id)]
    return await _queue(session, owner_kind="case", owner_id=case.id, owner_label=case.number, files=files, now=now)


async def queue_activity(session: AsyncSession, *, activity_id: int, now: datetime) -> int:
    """Every photo and voice of an activity not yet queued; in the caller's transaction."""
    await session.flush()
    photos = await session.exec(select(ActivityPhoto.file_id, ActivityPhoto.file_unique_id)
                                .where(ActivityPhoto.activity_id == activity_id).order_by(ActivityPhoto.id))
    files = [("photo", f, u) for f, u in photos.all()]
    voices = await session.exec(select(VoiceNote).where(VoiceNote.activity_id == activity_id)
                                .order_by(VoiceNote.position, VoiceNote.id))
    files += [(v.kind, v.file_id, v.file_unique_id) for v in voices.all()]
    return await _queue(session, owner_kind="activity", owner_id=activity_id, owner_label=f"A{activity_id:06d}",
                        files=files, now=now)


def relative_path(row: MediaFile) -> str:
    """Where a file is kept under MEDIA_DIR: `case/2026-000123/01-photo.jpg`."""
    return f"{row.owner_kind}/{row.owner_label}/{row.seq:02d}-{row.kind}{EXTENSIONS.get(row.kind, '.bin')}"


def _claimable(now: datetime, lease: timedelta):  # noqa: ANN202 - a SQL condition on MediaFile
    return or_(
        and_(MediaFile.status == MediaStatus.pending,
             or_(col(MediaFile.not_before).is_(None), MediaFile.not_before <= now)),
        and_(MediaFile.status == MediaStatus.fetching, MediaFile.claimed_at < now - lease),
    )


async def claim(session: AsyncSession, *, limit: int, now: datetime, lease: timedelta = DEFAULT_LEASE
                ) -> list[MediaFile]:
    """Claim up to `limit` due files for this caller only (one conditional UPDATE); commit before fetching."""
    token = secrets.token_hex(8)
    candidates = select(MediaFile.id).where(_claimable(now, lease)).order_by(MediaFile.id).limit(limit)
    await session.exec(
        update(MediaFile)
        .where(MediaFile.id.in_(candidates.scalar_subquery()), _claimable(now, lease))
        .values(status=MediaStatus.fetching, claimed_at=now, claimed_by=token, attempts=MediaFile.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    rows = await session.exec(select(MediaFile).where(MediaFile.claimed_by == token,
                                                      MediaFile.status == MediaStatus.fetching).order_by(MediaFile.id))
    return list(rows.all())


async def mark_done(session: AsyncSession, *, row_id: int, claimed_by: str | None, path: str, size: int,
                    now: datetime) -> bool:
    result = await session.exec(
        update(MediaFile).where(MediaFile.id == row_id, MediaFile.claimed_by == claimed_by)
        .values(status=MediaStatus.done, path=path, size=size, done_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def mark_failed(session: AsyncSession, *, row_id: int, claimed_by: str | None, error: str, attempts: int,
                      now: datetime, permanent: bool = False, max_attempts: int = MAX_ATTEMPTS) -> MediaStatus:
    """A failed fetch: due again after a pause (longer each time), or failed for good."""
    status = MediaStatus.failed if permanent or attempts >= max_attempts else MediaStatus.pending
    await session.exec(
        update(MediaFile).where(MediaFile.id == row_id, MediaFile.claimed_by == claimed_by)
        .values(status=status, last_error=error[:255], not_before=now + RETRY_AFTER * attempts, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
    return status


async def missing(session: AsyncSession, *, media_dir: Path) -> list[MediaFile]:
    """Files not on disk: not fetched yet (or given up on), or fetched and since gone."""
    rows = (await session.exec(select(MediaFile).order_by(MediaFile.id))).all()
    return [r for r in rows if r.status != MediaStatus.done or not r.path or not (media_dir / r.path).is_file()]


async def fetch_again(session: AsyncSession, *, ids: Sequence[int]) -> int:
    """Put files back in the queue, due now, with a fresh count of attempts."""
    if not ids:
        return 0
    result = await session.exec(
        update(MediaFile).where(col(MediaFile.id).in_(list(ids)))
        .values(status=MediaStatus.pending, attempts=0, not_before=None, claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


async def files_of_case(session: AsyncSession, *, number: str) -> tuple[Case | None, list[MediaFile]]:
    case = (await session.exec(select(Case).where(Case.number == number))).first()
    if case is None:
        return None, []
    rows = await session.exec(select(MediaFile).where(MediaFile.owner_kind == "case", MediaFile.owner_id == case.id)
                              .order_by(MediaFile.seq))
    return case, list(rows.all())
