"""The roster: sectors, activity groups, regions, members and their contact points."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class Level(str, enum.Enum):
    """The level of the committee a member sits on."""

    national = "national"
    province = "province"
    city = "city"
    county = "county"


class ContactPointKind(str, enum.Enum):
    """What kind of grassroots unit a contact point is."""

    village = "village"
    community = "community"
    company = "company"
    hospital = "hospital"
    school = "school"
    new_org = "new_org"
    other = "other"


class Sector(SQLModel, table=True):
    """A 界别; the catalogue is seeded from the 34 sectors of the National Committee."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    short_name: str = Field(max_length=64, index=True)


# members a case can be routed to; the routing query repeats these terms word for word so that
# SQLite and PostgreSQL can use the partial indexes below
ROUTABLE = "active AND telegram_id IS NOT NULL"


class ActivityGroup(SQLModel, table=True):
    """A 界别活动组 that members are organised in for activities."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)


class Region(SQLModel, table=True):
    """A node of the region tree, keyed by its `/`-separated path from the province down."""

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(max_length=255, unique=True)
    name: str = Field(max_length=64)
    depth: int = Field(ge=1)
    parent_id: int | None = Field(default=None, foreign_key="region.id", index=True)


class MemberBase(SQLModel):
    """Fields a roster row sets on a member."""

    number: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=64)
    level: Level = Field(default=Level.province, sa_type=enum_column(Level))
    phone: str | None = Field(default=None, max_length=20)


class Member(MemberBase, table=True):
    """A CPPCC committee member; bound to at most one Telegram account."""

    # the routing engine's orderings (bot/services/routing.py): within a sector and region,
    # fewest open cases first, then longest since the last assignment. Partial (only members a
    # case can go to) and covering, so a lookup never touches the table until the few winners.
    __table_args__ = tuple(
        Index(name, *columns, "active", "telegram_id", sqlite_where=text(ROUTABLE), postgresql_where=text(ROUTABLE))
        for name, columns in (
            ("ix_member_route_sector_region", ("sector_id", "region_id", "open_cases", "case_assigned_us", "id")),
            ("ix_member_route_sector", ("sector_id", "open_cases", "case_assigned_us", "id", "region_id")),
            ("ix_member_route_region", ("region_id", "open_cases", "case_assigned_us", "id")),
            ("ix_member_route_any", ("open_cases", "case_assigned_us", "id", "region_id")),
        )
    )

    id: int | None = Field(default=None, primary_key=True)
    sector_id: int = Field(foreign_key="sector.id", index=True)
    activity_group_id: int | None = Field(default=None, foreign_key="activitygroup.id", index=True)
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True, nullable=True))
    bound_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # kept by bot/services/cases.py in the same unit of work as each transition:
    # cases routed/accepted/reopened with this member, and the last assignment instant
    # in microseconds since the epoch (0 = never; an integer so an index orders it without NULLs)
    open_cases: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    case_assigned_us: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default="0", default=0))


class ContactPoint(SQLModel, table=True):
    """A grassroots unit (联系点) a member links to; from the roster or added by the member."""

    __table_args__ = (UniqueConstraint("member_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    name: str = Field(max_length=128)
    kind: ContactPointKind = Field(default=ContactPointKind.other, sa_type=enum_column(ContactPointKind))
    position: int = Field(default=0)
    from_roster: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
