"""A notice sent to many members (/broadcast): the record that lets progress and the tally survive a restart.

Each recipient's message is an outbox row keyed `bc:<broadcast id>:<member id>`, so it is
sent exactly once; the counts below are filled from those rows when the broadcast ends.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class BroadcastStatus(str, enum.Enum):
    sending = "sending"  # messages are in the outbox; the progress message is edited as they go
    done = "done"  # every message is sent, blocked, failed or may have been sent; the tally is final


class Broadcast(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)  # the confirming form's user and nonce: one broadcast per form
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))  # Telegram id of the sender
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))  # where the progress message is
    progress_message_id: int | None = Field(default=None)
    text: str = Field(sa_column=Column(Text, nullable=False))  # the notice as sent (HTML)
    photo_id: str | None = Field(default=None, max_length=256)  # Telegram file_id of the one photo
    audience: str = Field(max_length=16)  # all | lagging
    scope: str = Field(default="", max_length=255)  # the sender's scope, as shown to them
    total: int = Field(default=0)
    status: BroadcastStatus = Field(default=BroadcastStatus.sending, sa_type=enum_column(BroadcastStatus))
    sent: int = Field(default=0)
    blocked: int = Field(default=0)
    failed: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
