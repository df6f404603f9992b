"""Every SQLModel table; importing this package registers them all on SQLModel.metadata."""

from models.activity import Activity, ActivityPhoto
from models.access import AuditEvent, BindAttempt, InviteCode, Resident, RoleGrant, ScopeKind
from models.base import UTCDateTime, utcnow
from models.outbox import OutboxMessage, OutboxStatus, ScheduledRun
from models.roster import ActivityGroup, ContactPoint, ContactPointKind, Level, Member, MemberBase, Region, Sector
from models.state import BotState

__all__ = [
    "Activity", "ActivityGroup", "ActivityPhoto", "AuditEvent", "BindAttempt", "BotState", "ContactPoint", "ContactPointKind",
    "InviteCode", "Level", "Member", "MemberBase", "OutboxMessage", "OutboxStatus", "Region", "Resident", "RoleGrant", "ScopeKind",
    "ScheduledRun", "Sector", "UTCDateTime", "utcnow",
]
