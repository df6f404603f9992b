"""Places of liaison work: workstations and studios, the members on duty there, their reception days,
who signed up for one and who checked in at the door."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class StationKind(str, enum.Enum):
    """What kind of place a station is."""

    workstation = "workstation"  # 委员工作站
    studio = "studio"            # 委员工作室


class Station(SQLModel, table=True):
    """A 委员工作站 or 委员工作室, keyed by its 编号 from the office's station file."""

    # "nearest reception days" narrows by a box around the resident's point (bot/services/receptions.py)
    __table_args__ = (Index("ix_station_lat_lon", "latitude", "longitude"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=128)
    kind: StationKind = Field(default=StationKind.workstation, sa_type=enum_column(StationKind))
    address: str | None = Field(default=None, max_length=255)
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    latitude: float | None = Field(default=None)
    longitude: float | None = Field(default=None)
    phone: str | None = Field(default=None, max_length=32)
    # the "六有": 场地 标识 制度 特色 档案 成果, each 有/无 or a short note as the file gives it
    site: str | None = Field(default=None, max_length=128)
    sign: str | None = Field(default=None, max_length=128)
    rules: str | None = Field(default=None, max_length=128)
    feature: str | None = Field(default=None, max_length=128)
    archive: str | None = Field(default=None, max_length=128)
    results: str | None = Field(default=None, max_length=128)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class StationMember(SQLModel, table=True):
    """A member on duty at a station (驻站委员); `position` keeps the file's order."""

    __table_args__ = (UniqueConstraint("station_id", "member_id", name="uq_stationmember_station_member"),)

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="station.id")
    member_id: int = Field(foreign_key="member.id", index=True)
    position: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReceptionStatus(str, enum.Enum):
    """Where a reception day (委员接待日) stands."""

    scheduled = "scheduled"
    cancelled = "cancelled"
    held = "held"


class Reception(SQLModel, table=True):
    """A reception day at a station, with the member on duty; times in UTC."""

    __table_args__ = (
        Index("ix_reception_starts_at", "starts_at"),
        Index("ix_reception_station_starts", "station_id", "starts_at"),
        Index("ix_reception_member_starts", "member_id", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    station_id: int = Field(foreign_key="station.id")
    member_id: int = Field(foreign_key="member.id")
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    topic: str = Field(max_length=255)
    capacity: int | None = Field(default=None)
    status: ReceptionStatus = Field(default=ReceptionStatus.scheduled, sa_type=enum_column(ReceptionStatus))
    # the Telegram id of whoever scheduled it (the member, or a coordinator)
    created_by: int = Field(sa_column=Column(BigInteger, nullable=False))
    # SHA-256 (hex) of the check-in token of the /start c_<token> link; the token itself is never stored
    checkin_token_hash: str | None = Field(default=None, max_length=64, unique=True)
    reminder_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    card_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # the activity the reception day became when the member confirmed its card
    activity_id: int | None = Field(default=None, foreign_key="activity.id")
    # set when more than CHECKIN_BURST check-ins came within one minute
    burst_flagged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SignupStatus(str, enum.Enum):
    """A resident's sign-up for a reception day."""

    active = "active"
    cancelled = "cancelled"


class ReceptionSignup(SQLModel, table=True):
    """A resident signed up for a reception day; one row per resident and day (a cancel keeps it)."""

    __table_args__ = (UniqueConstraint("reception_id", "resident_id", name="uq_receptionsignup_reception_resident"),)

    id: int | None = Field(default=None, primary_key=True)
    reception_id: int = Field(foreign_key="reception.id")
    resident_id: int = Field(foreign_key="resident.id", index=True)
    # only with the resident's consent, as in the request form
    phone: str | None = Field(default=None, max_length=20)
    status: SignupStatus = Field(default=SignupStatus.active, sa_type=enum_column(SignupStatus))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReceptionCheckin(SQLModel, table=True):
    """A resident checked in at the door of a reception day: counted once per day and Telegram account."""

    __table_args__ = (
        UniqueConstraint("reception_id", "resident_id", name="uq_receptioncheckin_reception_resident"),
        # the burst check counts one reception's check-ins of the last minute
        Index("ix_receptioncheckin_reception_at", "reception_id", "checked_in_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reception_id: int = Field(foreign_key="reception.id")
    resident_id: int = Field(foreign_key="resident.id")
    checked_in_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
