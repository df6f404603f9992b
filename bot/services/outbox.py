"""The outbox: what the bot sends on its own is written here first, claimed, sent once, recorded.

Telegram-free. Every message has a unique key (member × rule × period × occasion …), so
writing it twice changes nothing (INSERT … ON CONFLICT DO NOTHING). A sender claims rows
with one conditional UPDATE (status 'pending', or 'sending' whose claim is older than the
lease, so a crash half-way through a batch resumes with the rest); the claim carries a
random token, so two processes never get the same row, and no RETURNING is needed
(SQLite ≥ 3.24 and PostgreSQL). A row the writer sends itself right after its commit is written
already claimed (`enqueue(claim=…)`), so sending it takes no second write; should the process die
first, the next one to deliver takes it back at start (`release_orphans`). Services stage; the caller
commits.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_insert, dialect_of
from models import OutboxMessage, OutboxStatus

MAX_TEXT = 4096
MAX_CAPTION = 1024
DEFAULT_LEASE = timedelta(minutes=5)
PROCESS = secrets.token_hex(4)  # this process: the start of every claim token it makes
REPLY = 0  # caused by a person's action (a case card, a relay, a result): sent at once, ahead of bulk
BULK = 1  # reminders, reports, broadcasts, deadlines


@dataclass(frozen=True)
class Button:
    """An inline button: a callback (routed by the bot) or a URL."""

    label: str
    callback_data: str | None = None
    url: str | None = None

    def as_dict(self) -> dict[str, str]:
        if (self.callback_data is None) == (self.url is None):
            raise ValueError("a button has either callback data or a URL")
        if self.callback_data is not None:
            if len(self.callback_data.encode()) > 64:
                raise ValueError("callback data longer than 64 bytes")
            return {"text": self.label, "callback_data": self.callback_data}
        return {"text": self.label, "url": self.url or ""}


def keys_starting(session: AsyncSession, prefix: str):  # noqa: ANN201 - a SQL condition on OutboxMessage
    """Keys that start with `prefix` (e.g. `remind:12:`), as a range an index serves rather than LIKE.

    The range is in byte order: SQLite compares that way (BINARY); on PostgreSQL the comparison is made
    in the "C" collation (migration 0008 indexes the key that way), because a database created with a
    locale such as zh_CN.UTF-8 sorts punctuation differently and the range would come back empty.
    """
    key = key_column(dialect_of(session))
    lower, upper = key_range(prefix)
    return and_(key >= lower, key < upper)


def key_column(dialect: str):  # noqa: ANN201 - the key as `keys_starting` compares it
    """The outbox key in byte order on this dialect (see `keys_starting`), for statements built once."""
    key = OutboxMessage.__table__.c.key
    return key.collate("C") if dialect == "postgresql" else key


def key_range(prefix: str) -> tuple[str, str]:
    """The keys starting with `prefix` are those ≥ the first value and < the second."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat_id: int,
    kind: str,
    text: str,
    now: datetime,
    buttons: Sequence[Sequence[Button]] | None = None,
    photo: bytes | None = None,
    document: bytes | None = None,
    document_name: str | None = None,
    photo_id: str | None = None,
    priority: int = BULK,
    claim: str | None = None,
    voice_id: str | None = None,
    audio_id: str | None = None,
) -> bool:
    """Stage one message under `key`; False when that key was already written (nothing changes).

    A photo is either `photo` (the image's bytes) or `photo_id` (a file_id Telegram already has,
    e.g. one a user sent: nothing is uploaded again). `priority` REPLY: delivery takes it before any
    BULK message and sends it as a reply (the rate limiter lets replies go first). `claim` (a
    `claim_token()`): the row is written as claimed by the caller, who sends it after the commit.
    """
    markup = _check(key=key, text=text, photo=photo, document=document, document_name=document_name,
                    photo_id=photo_id, buttons=buttons, voice_id=voice_id, audio_id=audio_id)
    statement = (
        dialect_insert(dialect_of(session), OutboxMessage.__table__)
        .values(
            key=key, chat_id=chat_id, kind=kind, text=text, buttons=markup, photo=photo, document=document,
            document_name=document_name, photo_id=photo_id, created_at=now, priority=priority,
            voice_id=voice_id, audio_id=audio_id,
            **_taken(claim, now),
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    if dialect_of(session) == "postgresql":
        # psycopg reports no rowcount for this statement through the ORM session; RETURNING is exact
        return (await session.exec(statement.returning(OutboxMessage.__table__.c.id))).first() is not None
    result = await session.exec(statement)
    return result.rowcount == 1


def claim_token() -> str:
    """A fresh claim token of this process."""
    return f"{PROCESS}:{secrets.token_hex(8)}"


def _taken(claim: str | None, now: datetime) -> dict[str, object]:
    if claim is None:
        return {"status": OutboxStatus.pending.value, "attempts": 0}
    return {"status": OutboxStatus.sending.value, "attempts": 1, "claimed_at": now, "claimed_by": claim}


async def claimed(session: AsyncSession, *, claim: str) -> list[OutboxMessage]:
    """The rows still held under `claim`, in the order they were written."""
    rows = await session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.claimed_by == claim, OutboxMessage.status == OutboxStatus.sending)
        .order_by(OutboxMessage.id)
    )
    return list(rows.all())


async def release_orphans(session: AsyncSession) -> int:
    """Rows claimed by an earlier process (it died between its claim and its record) are due again at
    once; how many. Only for the process that alone delivers from this database, at its start: a
    claim of a process still sending would be taken from it."""
    result = await session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.sending,
               or_(OutboxMessage.claimed_by.is_(None), ~OutboxMessage.claimed_by.startswith(f"{PROCESS}:")))
        .values(status=OutboxStatus.pending, claimed_at=None, claimed_by=None, not_before=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _check(*, key: str, text: str, photo: bytes | None, document: bytes | None, document_name: str | None,
           photo_id: str | None, buttons: Sequence[Sequence[Button]] | None, voice_id: str | None = None,
           audio_id: str | None = None) -> str | None:
    """The limits every outbox message keeps; returns the keyboard as JSON."""
    media = (photo, document, photo_id, voice_id, audio_id)
    with_media = any(m is not None for m in media)
    limit = MAX_CAPTION if with_media else MAX_TEXT
    if not text or len(text) > limit:
        raise ValueError(f"outbox text must be 1-{limit} characters, got {len(text)}")
    if sum(x is not None for x in media) > 1:
        raise ValueError("one message carries one photo, document, voice or audio file")
    if document is not None and not document_name:
        raise ValueError("a document needs a file name")
    if len(key) > 128:
        raise ValueError("outbox key longer than 128 characters")
    return json.dumps([[b.as_dict() for b in row] for row in buttons], ensure_ascii=False) if buttons else None


async def enqueue_many(
    session: AsyncSession,
    recipients: Sequence[tuple[str, int]],
    *,
    kind: str,
    text: str,
    now: datetime,
    photo_id: str | None = None,
    chunk: int = 1000,
) -> None:
    """Stage one message per (key, chat id), the same text (and photo) for all: a multi-row
    INSERT … ON CONFLICT DO NOTHING per `chunk` rows, not a statement per recipient."""
    for key, _ in recipients:
        if len(key) > 128:
            raise ValueError("outbox key longer than 128 characters")
    _check(key="", text=text, photo=None, document=None, document_name=None, photo_id=photo_id, buttons=None)
    for start in range(0, len(recipients), chunk):
        rows = [
            {"key": key, "chat_id": chat_id, "kind": kind, "text": text, "photo_id": photo_id,
             "status": OutboxStatus.pending.value, "attempts": 0, "created_at": now, "priority": BULK}
            for key, chat_id in recipients[start:start + chunk]
        ]
        await session.exec(
            dialect_insert(dialect_of(session), OutboxMessage.__table__).values(rows)
            .on_conflict_do_nothing(index_elements=["key"])
        )


def _claimable(now: datetime, lease: timedelta) -> ColumnElement[bool]:
    return or_(
        and_(
            OutboxMessage.status == OutboxStatus.pending,
            or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
        ),
        and_(OutboxMessage.status == OutboxStatus.sending, OutboxMessage.claimed_at < now - lease),
    )


async def claim(
    session: AsyncSession, *, limit: int, now: datetime, lease: timedelta = DEFAULT_LEASE,
) -> list[OutboxMessage]:
    """Claim up to `limit` due messages, replies first, then oldest first, for this caller only; commit
    before sending.

    One UPDATE whose WHERE repeats the claimable condition: a row another process claimed
    in the meantime no longer matches (PostgreSQL re-checks it after the other commit;
    SQLite has one writer at a time). On PostgreSQL the candidate rows are taken with
    SKIP LOCKED, so two senders take different rows instead of waiting for each other.
    """
    token = claim_token()
    candidates = (select(OutboxMessage.id).where(_claimable(now, lease))
                  .order_by(OutboxMessage.priority, OutboxMessage.id).limit(limit))
    if dialect_of(session) == "postgresql":
        # a materialised CTE is evaluated once; as a plain IN (subquery … LIMIT) PostgreSQL may re-run it
        picked = candidates.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        chosen = OutboxMessage.id.in_(select(picked.c.id))
    else:
        chosen = OutboxMessage.id.in_(candidates.scalar_subquery())
    await session.exec(
        update(OutboxMessage)
        .where(chosen, _claimable(now, lease))
        .values(
            status=OutboxStatus.sending, claimed_at=now, claimed_by=token, attempts=OutboxMessage.attempts + 1
        )
        .execution_options(synchronize_session=False)
    )
    rows = await session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.claimed_by == token, OutboxMessage.status == OutboxStatus.sending)
        .order_by(OutboxMessage.priority, OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


async def _finish(session: AsyncSession, message: OutboxMessage, **values: object) -> bool:
    """Record the outcome only if the row is still this sender's claim."""
    result = await session.exec(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == OutboxStatus.sending,
            OutboxMessage.claimed_by == message.claimed_by,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def mark_sent(session: AsyncSession, *, message: OutboxMessage, now: datetime) -> bool:
    return await _finish(session, message, status=OutboxStatus.sent, sent_at=now, last_error=None)


async def mark_blocked(session: AsyncSession, *, message: OutboxMessage, now: datetime, error: str) -> bool:
    """403: the person blocked the bot. Not retried; other pending messages to them stay for the lead's policy."""
    return await _finish(session, message, status=OutboxStatus.blocked, sent_at=None, last_error=error[:255])


async def mark_unknown(session: AsyncSession, *, message: OutboxMessage, now: datetime, error: str) -> bool:
    """The send may have reached Telegram (the connection failed before its answer): may have been sent.
    Never claimed again, since sending it once more could show it twice."""
    return await _finish(session, message, status=OutboxStatus.unknown, last_error=error[:255])


async def mark_failed(
    session: AsyncSession, *, message: OutboxMessage, now: datetime, error: str, max_attempts: int,
    retry_in: timedelta | None = None, permanent: bool = False,
) -> OutboxStatus:
    """A failed attempt: back to pending after `retry_in`, or failed for good after `max_attempts`."""
    if permanent or message.attempts >= max_attempts:
        await _finish(session, message, status=OutboxStatus.failed, last_error=error[:255])
        return OutboxStatus.failed
    delay = retry_in if retry_in is not None else timedelta(seconds=min(30 * 2 ** (message.attempts - 1), 3600))
    await _finish(session, message, status=OutboxStatus.pending, not_before=now + delay, last_error=error[:255])
    return OutboxStatus.pending


async def release(session: AsyncSession, *, message: OutboxMessage, now: datetime, retry_in: timedelta,
                  error: str) -> bool:
    """Give a claimed row back without counting the attempt (429: Telegram asked us to wait)."""
    return await _finish(
        session, message, status=OutboxStatus.pending, not_before=now + retry_in,
        attempts=OutboxMessage.attempts - 1, last_error=error[:255],
    )


def buttons_of(message: OutboxMessage) -> list[list[dict[str, str]]] | None:
    return json.loads(message.buttons) if message.buttons else None


async def counts(session: AsyncSession) -> dict[OutboxStatus, int]:
    """How many messages are in each status (for the CLI and tests)."""
    rows = (await session.exec(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))).all()
    return {OutboxStatus(status): n for status, n in rows}


async def has_pending(session: AsyncSession, *, now: datetime, lease: timedelta = DEFAULT_LEASE) -> bool:
    return (await session.exec(select(OutboxMessage.id).where(_claimable(now, lease)).limit(1))).first() is not None
