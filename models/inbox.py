"""Updates received from Telegram, stored before they are acknowledged (see bot/intake.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class InboxUpdate(SQLModel, table=True):
    """One update as Telegram sent it (JSON); `done_at` is set in the transaction that persists its effects.

    Done rows are kept for a day so that an update Telegram delivers again (it was never
    acknowledged because the process died) is recognised and not handled twice.
    """

    __tablename__ = "inbox"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    payload: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
