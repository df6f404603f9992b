"""Who may do what: residents, role grants, invite codes and binding attempts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, text
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow
from models.roster import Level


class Resident(SQLModel, table=True):
    """A person of a sector's constituency who talks to the bot."""

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    display_name: str = Field(default="", max_length=128)
    username: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScopeKind(str, enum.Enum):
    """What a coordinator's grant is scoped to."""

    group = "group"
    sector = "sector"
    region = "region"


class RoleGrant(SQLModel, table=True):
    """A coordinator role for one Telegram user, scoped to a group, sector or region.

    A group grant names its committee too (`committee_level` and `committee_region`, the member's
    层级 and 地区 path as the roster has them; a NULL region is the committee of members without
    one): group names repeat across committees. A group grant with no committee recorded
    (`committee_level` NULL, from before revision 0009 and ambiguous then) covers nobody until an
    admin names the committee (docs/decisions.md, "Group scopes name their committee").
    """

    # one grant per scope; the committee may be NULL, so it is compared as '' (a plain UNIQUE
    # would let NULLs repeat)
    __table_args__ = (
        Index("uq_rolegrant_scope", "telegram_id", "role", "scope_kind", "scope_value",
              text("coalesce(committee_level, '')"), text("coalesce(committee_region, '')"), unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    role: str = Field(default="coordinator", max_length=32)
    scope_kind: ScopeKind = Field(sa_type=enum_column(ScopeKind))
    scope_value: str = Field(max_length=255)
    committee_level: Level | None = Field(default=None, sa_type=enum_column(Level), nullable=True)
    committee_region: str | None = Field(default=None, max_length=255)
    granted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InviteCode(SQLModel, table=True):
    """A single-use binding code; only its SHA-256 is stored, never the code itself."""

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BindAttempt(SQLModel, table=True):
    """A failed /start <code> attempt, counted for the lock-out."""

    __table_args__ = (Index("ix_bindattempt_user_time", "telegram_id", "attempted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEvent(SQLModel, table=True):
    """An audited change: who did what to which record, and when."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=32)
    entity_id: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="")
