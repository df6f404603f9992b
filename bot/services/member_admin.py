"""Members from the chat (admins only): find a member, see their record, re-issue an invite,
deactivate and reactivate. No Telegram here; nothing commits.

Every function takes the acting `Actor` and refuses anyone but an admin (logged, one line), so a
forged button never gets further than the service. Changes are audited (`AuditEvent`) as the CLI's are.

Deactivation and open cases: the member's open cases (routed, accepted, reopened) go back to the
routing engine in the same unit of work, each as `reroute` by the admin then `route`/`escalate` in
its timeline; a deactivated member is no candidate, so they go to someone else. Resolved cases that
wait for the resident's answer stay as they are (the result is in; confirming still credits the
member who did the work). Their open invite codes are revoked; the Telegram binding is kept, so a
reactivated member is back without a new code.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import (
    IssuedInvite,
    MemberProfile,
    issue_invites,
    member_profile,
    number_key,
    stored_number_key,
)
from bot.services.activities import Standing, standing
from bot.services.cases import DEFAULT_POLICY, CasePolicy, CaseSummary, Intake, cases_for_member
from bot.services.lifecycle import HANDLER_OPEN, Actor, Role
from bot.services.queue import reroute
from bot.services.reachability import is_blocked
from bot.services.routing import RoutingTable
from bot.services.rules import Quarter
from bot.texts import plain
from models import Activity, AuditEvent, Case, InviteCode, Member

log = logging.getLogger(__name__)

QUERY_MAX = 64


class MemberAdminProblem(Exception):
    """Why a members action was refused; `code` picks the text (`mbr_<code>`), `detail` fills it."""

    def __init__(self, code: str, **detail: object) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def _require_admin(actor: Actor) -> None:
    if actor.role is not Role.admin:
        log.warning("members action refused to %s %s (admins only)", actor.role.value, actor.id)
        raise MemberAdminProblem("admins_only")


def audit_actor(actor: Actor) -> str:
    """How an admin in the chat appears in the audit log (the CLI appears as `cli`)."""
    return f"tg:{actor.id}"


@dataclass(frozen=True)
class MemberHit:
    id: int
    number: str
    name: str
    active: bool
    bound: bool


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def find_members(
    session: AsyncSession, *, actor: Actor, query: str, offset: int = 0, limit: int = 8
) -> tuple[list[MemberHit], int]:
    """An exact 编号 (any case, spaces ignored), else every member whose name contains `query`; one page by name,
    and the total."""
    _require_admin(actor)
    wanted = " ".join((query or "").split())
    if not wanted:
        raise MemberAdminProblem("query_empty")
    if len(wanted) > QUERY_MAX:
        raise MemberAdminProblem("query_long", high=QUERY_MAX)
    columns = (Member.id, Member.number, Member.name, Member.active, Member.telegram_id.is_not(None))
    exact = (await session.exec(select(*columns).where(stored_number_key() == number_key(wanted)))).all()
    if exact:
        return [MemberHit(*row) for row in exact], len(exact)
    condition = Member.name.like(f"%{_like_escape(wanted)}%", escape="\\")
    total = (await session.exec(select(func.count()).select_from(Member).where(condition))).one()
    rows = (
        await session.exec(select(*columns).where(condition).order_by(Member.name, Member.number)
                           .offset(max(offset, 0)).limit(limit))
    ).all()
    return [MemberHit(*row) for row in rows], total


@dataclass(frozen=True)
class MemberRecord:
    profile: MemberProfile
    phone: str | None  # in full: only admins see a record
    active: bool
    bound: bool
    bound_at: datetime | None
    blocked: bool
    open_codes: int  # unexpired, unused, unrevoked invite codes
    last_activity: date | None
    standing: Standing
    open_cases: list[CaseSummary]


async def member_record(
    session: AsyncSession, *, actor: Actor, member_id: int, today: date, now: datetime, quarter_target: int,
    year_target: int,
) -> MemberRecord:
    """Everything an admin sees of one member: roster fields, binding, reachability, activity, open cases."""
    _require_admin(actor)
    member = await session.get(Member, member_id)
    if member is None:
        raise MemberAdminProblem("not_found")
    profile = await member_profile(session, member_id)
    last = (
        await session.exec(select(func.max(Activity.activity_date))
                           .where(Activity.member_id == member_id, Activity.deleted_at.is_(None)))
    ).one()
    codes = (
        await session.exec(select(func.count()).select_from(InviteCode).where(
            InviteCode.member_id == member_id, InviteCode.used_at.is_(None), InviteCode.revoked_at.is_(None),
            InviteCode.expires_at > now))
    ).one()
    figures = await standing(session, member_id=member_id, quarter=Quarter.of(today), today=today,
                             quarter_target=quarter_target, year_target=year_target)
    return MemberRecord(
        profile=profile, phone=member.phone, active=member.active, bound=member.telegram_id is not None,
        bound_at=member.bound_at,
        blocked=member.telegram_id is not None and await is_blocked(session, telegram_id=member.telegram_id),
        open_codes=codes, last_activity=last, standing=figures,
        open_cases=await cases_for_member(session, member_id=member_id, limit=20),
    )


async def _member(session: AsyncSession, member_id: int) -> Member:
    member = await session.get(Member, member_id)
    if member is None:
        raise MemberAdminProblem("not_found")
    return member


async def reissue_invite(
    session: AsyncSession, *, actor: Actor, member_id: int, ttl_days: int, now: datetime
) -> tuple[IssuedInvite, int]:
    """A new invite code for an active, unbound member; their open codes are revoked (the CLI's
    `members invites --member N --replace`). Returns the code (to hand over once, never stored) and how
    many codes it replaced."""
    _require_admin(actor)
    member = await _member(session, member_id)
    if not member.active:
        raise MemberAdminProblem("reissue_inactive", name=member.name)
    if member.telegram_id is not None:
        raise MemberAdminProblem("reissue_bound", name=member.name)
    batch = await issue_invites(session, ttl_days=ttl_days, numbers=[member.number], replace=True, now=now,
                                actor=audit_actor(actor))
    (issued,) = batch.issued
    return issued, batch.replaced


async def open_cases_of(session: AsyncSession, member_id: int) -> list[Case]:
    """The cases the member is handling now (routed, accepted, reopened), oldest first."""
    return list((await session.exec(
        select(Case).where(Case.member_id == member_id, col(Case.status).in_(list(HANDLER_OPEN)))
        .order_by(Case.created_at, Case.id))).all())


async def deactivation_preview(session: AsyncSession, *, actor: Actor, member_id: int) -> tuple[Member, list[Case]]:
    """What deactivating would do, for the confirm step: the member and the cases that would be re-routed."""
    _require_admin(actor)
    member = await _member(session, member_id)
    if not member.active:
        raise MemberAdminProblem("already_inactive", name=member.name)
    return member, await open_cases_of(session, member_id)


async def reactivation_preview(session: AsyncSession, *, actor: Actor, member_id: int) -> Member:
    _require_admin(actor)
    member = await _member(session, member_id)
    if member.active:
        raise MemberAdminProblem("already_active", name=member.name)
    return member


async def _set_active(session: AsyncSession, member_id: int, *, active: bool, now: datetime) -> Member:
    """Flip `active` with a conditional UPDATE: a second press (or a concurrent admin) finds it done."""
    member = await _member(session, member_id)
    moved = await session.exec(
        update(Member).where(Member.id == member_id, Member.active.is_(not active))
        .values(active=active, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise MemberAdminProblem("already_active" if active else "already_inactive", name=member.name)
    await session.refresh(member)
    return member


@dataclass(frozen=True)
class Deactivation:
    member: Member
    rerouted: list[Intake]
    codes_revoked: int


async def deactivate_member(
    session: AsyncSession, *, actor: Actor, member_id: int, table: RoutingTable | None, now: datetime,
    admin_ids: Sequence[int] = (), policy: CasePolicy = DEFAULT_POLICY,
) -> Deactivation:
    """Deactivate: kept, not deleted; open cases back to the engine; open invite codes revoked; audited."""
    _require_admin(actor)
    member = await _set_active(session, member_id, active=False, now=now)
    codes = await session.exec(
        update(InviteCode).where(InviteCode.member_id == member_id, InviteCode.used_at.is_(None),
                                 InviteCode.revoked_at.is_(None)).values(revoked_at=now)
    )
    note = plain("mbr_reroute_note", name=member.name)
    rerouted = [
        await reroute(session, case=case, actor=actor, table=table, now=now, admin_ids=admin_ids, note=note,
                      skip=False, policy=policy)
        for case in await open_cases_of(session, member_id)
    ]
    session.add(AuditEvent(actor=audit_actor(actor), action="member.deactivate", entity="member",
                           entity_id=member.number, detail=f"cases={len(rerouted)} codes={codes.rowcount or 0}"))
    await session.flush()
    return Deactivation(member, rerouted, codes.rowcount or 0)


async def reactivate_member(session: AsyncSession, *, actor: Actor, member_id: int, now: datetime) -> Member:
    """Reactivate a deactivated member (bound members are back at once; others need a new invite); audited."""
    _require_admin(actor)
    member = await _set_active(session, member_id, active=True, now=now)
    session.add(AuditEvent(actor=audit_actor(actor), action="member.reactivate", entity="member",
                           entity_id=member.number))
    await session.flush()
    return member
