"""Residents' requests tracked as cases: the case, its timeline, photos, relayed messages, skips, member links."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class CaseStatus(str, enum.Enum):
    """Where a case is in its lifecycle; the allowed moves live in bot/services/lifecycle.py."""

    new = "new"                  # submitted (or handed back), waiting for the routing engine
    unassigned = "unassigned"    # nobody fits: waiting for a coordinator (or admin) to assign it
    routed = "routed"            # sent to a member, not yet accepted
    accepted = "accepted"        # the member is handling it
    resolved = "resolved"        # the member gave a result; waiting for the resident's answer
    reopened = "reopened"        # the resident said 未解决 in time: back with the same member
    confirmed = "confirmed"      # the resident confirmed it solved (final)
    closed = "closed"            # closed without confirmation (final)


class CaseCounter(SQLModel, table=True):
    """The last case number handed out per year; one row per year, bumped with a locking UPDATE."""

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = Field(default=0)


class Case(SQLModel, table=True):
    """One resident request (诉求件) from intake to close."""

    __table_args__ = (
        UniqueConstraint("year", "seq"),
        Index("ix_case_member_status", "member_id", "status"),
        Index("ix_case_resident_created", "resident_id", "created_at"),
        Index("ix_case_status_resolved", "status", "resolved_at"),
        Index("ix_case_closed_at", "closed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # readable number `2026-000123`: year (Asia/Shanghai by default) and a per-year sequence
    number: str = Field(max_length=16, unique=True)
    year: int
    seq: int
    resident_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("resident.id"), nullable=True)
    )
    # a case a member recorded for someone without Telegram: the person as they gave themselves
    requester_name: str | None = Field(default=None, max_length=64)
    requester_phone: str | None = Field(default=None, max_length=20)
    recorded_by_member_id: int | None = Field(default=None, foreign_key="member.id")
    category: str = Field(max_length=32)
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    place_text: str = Field(default="", max_length=128)
    description: str = Field(sa_column=Column(Text, nullable=False))
    phone: str | None = Field(default=None, max_length=20)
    phone_consent: bool = Field(default=False)
    status: CaseStatus = Field(default=CaseStatus.new, sa_type=enum_column(CaseStatus))
    member_id: int | None = Field(default=None, foreign_key="member.id")
    via_member_link: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expected_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    people: int | None = Field(default=None)
    rating: int | None = Field(default=None)
    solved: bool | None = Field(default=None)
    reopen_count: int = Field(default=0)
    # the reception day the request was raised at (after a check-in there); created after both tables
    # (use_alter): reception -> activity -> case -> reception is a cycle
    reception_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("reception.id", name="fk_case_reception_id_reception", use_alter=True),
                         nullable=True, index=True),
    )
    # when the requester's name, phone and Telegram account were removed (/forget, `python -m bot forget`):
    # the case is shown with a placeholder instead of them (bot/services/forget.py)
    forgotten_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CaseEvent(SQLModel, table=True):
    """One timeline row: a transition (or the intake), who made it, and why."""

    __table_args__ = (Index("ix_caseevent_case_at", "case_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False))
    at: datetime = Field(sa_type=UTCDateTime)
    # resident -> resident.id, member -> member.id, coordinator/admin -> Telegram id, system -> None
    actor_kind: str = Field(max_length=16)
    actor_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    action: str = Field(max_length=16)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    # the member the case went to (route/assign/transfer) or came from (decline/release)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # machine-readable reason (routing codes, rating …) that the catalogue renders
    detail: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class CasePhoto(SQLModel, table=True):
    """A photo the resident attached at intake (Telegram file ids)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    file_id: str = Field(max_length=255)
    file_unique_id: str = Field(max_length=64)
    position: int = Field(default=0)


class CaseMessage(SQLModel, table=True):
    """A relayed message between the resident and the handling member (补充 / 回复)."""

    __table_args__ = (Index("ix_casemessage_case_dir_at", "case_id", "direction", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False))
    direction: str = Field(max_length=16)  # to_member | to_resident
    sender_kind: str = Field(max_length=16)  # resident | member
    sender_id: int | None = Field(default=None)
    # the handler when it was sent: a member who transferred the case no longer sees new ones
    member_id: int | None = Field(default=None, foreign_key="member.id")
    text: str = Field(default="", sa_column=Column(Text, nullable=False))
    photo_file_ids: list | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    at: datetime = Field(sa_type=UTCDateTime)


class CaseSkip(SQLModel, table=True):
    """A member who declined, transferred or handed back a case: routing skips them for it."""

    __table_args__ = (UniqueConstraint("case_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(sa_column=Column(Integer, ForeignKey("case.id", ondelete="CASCADE"), nullable=False))
    member_id: int = Field(foreign_key="member.id")
    action: str = Field(max_length=16)
    at: datetime = Field(sa_type=UTCDateTime)


class MemberLink(SQLModel, table=True):
    """A member's personal 找我反映 token (t.me/<bot>?start=m_<token>), kept readable so cards can be reprinted.

    It only routes a request to the member (no access to anything), so it is stored as is;
    rotating it makes old cards stop routing directly.
    """

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    token: str = Field(max_length=32, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
