"""Coordinators' marks on the plausibility flags of activities (存疑活动)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class FlagMark(str, enum.Enum):
    verified = "verified"  # 已核实: the coordinator checked it; the flag no longer shows as open
    questioned = "questioned"  # 存疑: checked and still doubtful; it stays in the list, marked


class ActivityFlagMark(SQLModel, table=True):
    """The current mark of one flag (an activity and a rule); every mark is also an AuditEvent."""

    __table_args__ = (UniqueConstraint("activity_id", "rule", name="uq_activityflagmark_activity_rule"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(sa_column=Column(Integer, ForeignKey("activity.id"), nullable=False))
    rule: str = Field(max_length=16)
    mark: FlagMark = Field(sa_type=enum_column(FlagMark))
    # the Telegram id of the coordinator or admin who marked it
    marked_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    marked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
