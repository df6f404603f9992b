"""The bot's own state: conversation progress and per-user drafts, kept across restarts."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class BotState(SQLModel, table=True):
    """One persisted piece of python-telegram-bot state, as JSON."""

    kind: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=128)
    data: str
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
