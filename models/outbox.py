"""The outbox: every message the bot sends on its own, one row per unique key, sent once."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, SmallInteger, Text
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class OutboxStatus(str, enum.Enum):
    """Where a message is: waiting, claimed by a sender, or done one way or another."""

    pending = "pending"
    sending = "sending"
    sent = "sent"
    blocked = "blocked"  # 403: the person blocked the bot; not retried
    failed = "failed"  # gave up after the bounded number of attempts
    unknown = "unknown"  # may have been sent: the connection failed after the request left; not sent again


class OutboxMessage(SQLModel, table=True):
    """One message the bot decided to send: `key` (e.g. `remind:<member>:2026Q4:mid`) makes it happen once."""

    __table_args__ = (Index("ix_outboxmessage_status_priority_id", "status", "priority", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128, unique=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    kind: str = Field(max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))  # HTML rendered from the catalogue
    # [[{"text": …, "callback_data": …} | {"text": …, "url": …}], …]: an inline keyboard as JSON
    buttons: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    photo: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    photo_id: str | None = Field(default=None, max_length=256)  # a photo Telegram already has (file_id)
    voice_id: str | None = Field(default=None, max_length=256)  # a voice note Telegram already has (file_id)
    audio_id: str | None = Field(default=None, max_length=256)  # an audio file Telegram already has (file_id)
    document: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    document_name: str | None = Field(default=None, max_length=128)
    status: OutboxStatus = Field(default=OutboxStatus.pending, sa_type=enum_column(OutboxStatus))
    # REPLY (0): caused by a person's action (a case card, a relay), sent at once and ahead of BULK (1)
    priority: int = Field(default=1, sa_column=Column(SmallInteger, nullable=False, server_default="1", default=1))
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=255)
    not_before: datetime | None = Field(default=None, sa_type=UTCDateTime)  # retry no earlier than this
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ScheduledRun(SQLModel, table=True):
    """A scheduled scan that has been done (e.g. `remind:mid:2026Q4`): jobs ask this, not their memory."""

    key: str = Field(primary_key=True, max_length=128)
    done_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    detail: str = Field(default="", max_length=255)
