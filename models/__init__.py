"""Every SQLModel table; importing this package registers them all on SQLModel.metadata."""

from models.access import AuditEvent, BindAttempt, InviteCode, Resident, RoleGrant, ScopeKind
from models.activity import Activity, ActivityPhoto
from models.base import UTCDateTime, utcnow
from models.broadcast import Broadcast, BroadcastStatus
from models.case import Case, CaseCounter, CaseEvent, CaseMessage, CasePhoto, CaseSkip, CaseStatus, MemberLink
from models.flags import ActivityFlagMark, FlagMark
from models.inbox import InboxUpdate
from models.media import MediaFile, MediaStatus, VoiceNote
from models.outbox import OutboxMessage, OutboxStatus, ScheduledRun
from models.reachability import Reachability
from models.roster import ActivityGroup, ContactPoint, ContactPointKind, Level, Member, MemberBase, Region, Sector
from models.state import BotState
from models.stations import (
    Reception,
    ReceptionCheckin,
    ReceptionSignup,
    ReceptionStatus,
    SignupStatus,
    Station,
    StationKind,
    StationMember,
)
from models.tally import Tally

__all__ = [
    "Activity",
    "ActivityFlagMark",
    "ActivityGroup",
    "ActivityPhoto",
    "AuditEvent",
    "BindAttempt",
    "BotState",
    "Broadcast",
    "BroadcastStatus",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "CaseMessage",
    "CasePhoto",
    "CaseSkip",
    "CaseStatus",
    "ContactPoint",
    "ContactPointKind",
    "FlagMark",
    "InboxUpdate",
    "InviteCode",
    "Level",
    "Member",
    "MemberBase",
    "MediaFile",
    "MediaStatus",
    "MemberLink",
    "OutboxMessage",
    "OutboxStatus",
    "Reachability",
    "Reception",
    "ReceptionCheckin",
    "ReceptionSignup",
    "ReceptionStatus",
    "Region",
    "Resident",
    "RoleGrant",
    "ScheduledRun",
    "ScopeKind",
    "Sector",
    "SignupStatus",
    "Station",
    "StationKind",
    "StationMember",
    "Tally",
    "UTCDateTime",
    "VoiceNote",
    "utcnow",
]
