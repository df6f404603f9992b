"""Voice notes of cases and activities, and the durable queue that keeps every photo and voice on disk."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class VoiceNote(SQLModel, table=True):
    """A voice note (or an audio file) a person sent: at a case's intake, in a relay message, or with an
    activity. Telegram file ids; the file itself is kept on disk by the media queue (`MediaFile`)."""

    __table_args__ = (Index("ix_voicenote_case", "case_id", "position"),
                      Index("ix_voicenote_activity", "activity_id", "position"))

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=True)
    )
    # a voice in a relay (补充 / 回复): the message it came with; None for the intake's voices
    message_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("casemessage.id", ondelete="CASCADE"), nullable=True)
    )
    activity_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("activity.id", ondelete="CASCADE"), nullable=True)
    )
    kind: str = Field(default="voice", max_length=8)  # voice | audio
    file_id: str = Field(max_length=255)
    file_unique_id: str = Field(max_length=64)
    duration: int = Field(default=0)  # seconds
    position: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MediaStatus(str, enum.Enum):
    pending = "pending"
    fetching = "fetching"  # claimed by a downloader
    done = "done"
    failed = "failed"  # gave up after the bounded number of attempts (`media check` tries again)


class MediaFile(SQLModel, table=True):
    """One file of a case or an activity to keep on disk: `key` (`case:12:photo:1`) makes it happen once."""

    __table_args__ = (Index("ix_mediafile_status_id", "status", "id"),
                      Index("ix_mediafile_owner", "owner_kind", "owner_id", "seq"))

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128, unique=True)
    owner_kind: str = Field(max_length=16)  # case | activity
    owner_id: int
    owner_label: str = Field(max_length=32)  # the case number (2026-000123) or the activity's id
    seq: int  # 1, 2, … within its owner, in the order the files came
    kind: str = Field(max_length=8)  # photo | voice | audio
    file_id: str = Field(max_length=255)
    file_unique_id: str = Field(max_length=64)
    status: MediaStatus = Field(default=MediaStatus.pending, sa_type=enum_column(MediaStatus))
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, max_length=255)
    not_before: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    path: str | None = Field(default=None, max_length=255)  # relative to MEDIA_DIR
    size: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
