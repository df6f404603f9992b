"""Liaison activities members log, with their photos."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class Activity(SQLModel, table=True):
    """One liaison activity (联系活动); soft-deleted, never removed, so the archive stays auditable."""

    __table_args__ = (
        Index("ix_activity_member_date", "member_id", "activity_date"),
        Index("ix_activity_period", "year", "quarter"),
        UniqueConstraint("case_id", name="uq_activity_case_id"),
        # covers the yearly per-member aggregates of reminders and statistics: one
        # index range per year, read in member order, never the table or older years
        Index("ix_activity_year_member", "year", "member_id", "quarter", "people", "points", "deleted_at"),
        # covers the statistics' activities and 人次 by kind for a quarter (report.quarter_stats): one index
        # range in kind order, never the table
        Index("ix_activity_quarter_kind", "year", "quarter", "kind", "member_id", "people", "deleted_at"),
        # covers the plausibility rules of a quarter (bot/services/plausibility.py): one index range read in
        # member order, grouped by day and by summary without touching the table
        Index("ix_activity_quarter_member_day", "year", "quarter", "member_id", "activity_date", "summary_key",
              "deleted_at"),
        # the plausibility rule on 人次: a quarter's activities above the limit, read from the top of the range
        Index("ix_activity_quarter_people", "year", "quarter", "people"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    kind: str = Field(max_length=32)
    activity_date: date
    # the quarter of activity_date, kept for GROUP BY in statistics
    year: int
    quarter: int = Field(ge=1, le=4)
    place: str = Field(max_length=128)
    contact_point_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("contactpoint.id", ondelete="SET NULL"), nullable=True),
    )
    people: int = Field(ge=1)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    # a digest of the summary with whitespace and punctuation dropped (`plausibility.summary_key`), so a
    # summary reused for several activities is found by an index; None for generated summaries (cases)
    summary_key: str | None = Field(default=None, max_length=16)
    # points are fixed when logged: a later change of ACTIVITY_KINDS does not rewrite history
    points: float = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the case this 帮办实事 activity was made from when the resident confirmed it; unique, so
    # a case becomes an activity at most once (bot/services/cases.py)
    case_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("case.id", name="fk_activity_case_id_case"), nullable=True)
    )
    # of `people`, how many checked in at the door of a reception day (扫码核实人次); the rest were typed
    verified_people: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # the reception day this activity was made from (its card); reception.activity_id points back,
    # so this key is created after both tables (use_alter) to break the cycle
    reception_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("reception.id", name="fk_activity_reception_id_reception", use_alter=True),
                         nullable=True, index=True),
    )


class ActivityPhoto(SQLModel, table=True):
    """A photo of an activity, kept as Telegram file ids (the file stays on Telegram's servers)."""

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(
        sa_column=Column(Integer, ForeignKey("activity.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    file_id: str = Field(max_length=255)
    file_unique_id: str = Field(max_length=64)
    position: int = Field(default=0)
