"""The staff's case queue: cases nobody fitted, overdue ones and reopened ones, and what
staff do with them — assign to one of the engine's candidates or re-run the engine. No Telegram here.

Scope is enforced here on every query and action: a coordinator lists only cases their scope covers
(`cases.case_in_scope`, the SQL twin of `visible_to`), may open only those, and may assign only to
members in their scope. Every action goes through `cases.transition`, so it lands in the timeline.
Nothing here commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_insert
from bot.services.cases import (
    DEFAULT_POLICY,
    CasePolicy,
    CaseSummary,
    Intake,
    assign_case,
    case_in_scope,
    get_case,
    route_case,
    summaries,
    summary_query,
    transfer_candidates,
    transition,
)
from bot.services.deadlines import DeadlinePolicy, overdue_condition
from bot.services.lifecycle import STAFF, Action, Actor, CaseNotAllowed, Role
from bot.services.routing import Candidate, RoutingTable
from bot.services.scopes import member_in_scopes
from models import Case, CaseSkip, CaseStatus, Member

log = logging.getLogger(__name__)

QUEUE_STATES = (CaseStatus.unassigned, CaseStatus.reopened)  # waiting for staff whatever their age
CANDIDATE_POOL = 50  # engine candidates read before a coordinator's scope narrows them


@dataclass(frozen=True)
class QueueItem(CaseSummary):
    overdue: bool = False

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the case is in the queue: unassigned, reopened, overdue (one or two of them)."""
        found = [self.status.value] if self.status in QUEUE_STATES else []
        if self.overdue:
            found.append("overdue")
        return tuple(found)


def _require_staff(actor: Actor) -> None:
    if actor.role not in STAFF:
        log.warning("case queue refused to %s %s", actor.role.value, actor.id)
        raise CaseNotAllowed("not_visible")


async def case_queue(
    session: AsyncSession, *, actor: Actor, now: datetime, policy: DeadlinePolicy = DeadlinePolicy(),
    offset: int = 0, limit: int = 5,
) -> tuple[list[QueueItem], int]:
    """One page of the queue in the actor's scope, oldest first, and its length (two statements)."""
    _require_staff(actor)
    overdue = overdue_condition(now, policy)
    where = [or_(col(Case.status).in_(QUEUE_STATES), overdue)]
    scope = case_in_scope(actor, session.bind.dialect.name)
    if scope is not None:
        where.append(scope)
    total = (await session.exec(select(func.count()).select_from(Case).where(*where))).one()
    rows = (
        await session.exec(
            summary_query().add_columns(overdue.label("overdue"))
            .where(*where).order_by(Case.created_at, Case.id).offset(max(offset, 0)).limit(limit)
        )
    ).all()
    items = [QueueItem(**vars(summary), overdue=bool(row[-1]))
             for summary, row in zip(summaries(rows), rows, strict=True)]
    return items, total


async def members_in_scope(session: AsyncSession, member_ids: Sequence[int], actor: Actor) -> set[int]:
    """Which of these members a staff actor may hand cases to (admins: all of them)."""
    if not member_ids:
        return set()
    condition = member_in_scopes(actor.scopes if actor.role is Role.coordinator else None)
    query = select(Member.id).where(col(Member.id).in_(list(member_ids)))
    if condition is not None:
        query = query.where(condition)
    return set((await session.exec(query)).all())


async def staff_candidates(
    session: AsyncSession, *, case: Case, actor: Actor, table: RoutingTable | None, limit: int = 5
) -> list[Candidate]:
    """Whom staff may hand a case to: the engine's next candidates for its category (or, when the
    category's sectors have nobody left, of any sector), nearest first, without the current handler and
    the skip list; a coordinator's limited to members in their scope."""
    _require_staff(actor)
    pool = limit if actor.role is Role.admin else CANDIDATE_POOL
    found = await transfer_candidates(session, case=case, actor=actor, table=table or RoutingTable(()), limit=pool)
    if not found and table is not None:
        found = await transfer_candidates(session, case=case, actor=actor, table=RoutingTable(()), limit=pool)
    allowed = await members_in_scope(session, [c.member_id for c in found], actor)
    return [c for c in found if c.member_id in allowed][:limit]


async def assign_in_scope(
    session: AsyncSession, *, actor: Actor, case_id: int, to_member_id: int, now: datetime,
    policy: CasePolicy = DEFAULT_POLICY,
) -> Case:
    """Staff hand a case to a member: the case must be in the actor's scope, and for a coordinator the
    member too (a forged button naming anyone else is refused and logged)."""
    _require_staff(actor)
    case = await get_case(session, case_id=case_id, actor=actor)
    if not await members_in_scope(session, [to_member_id], actor):
        log.warning("case %s: assignment to member %s outside the scope of %s %s refused",
                    case.number, to_member_id, actor.role.value, actor.id)
        raise CaseNotAllowed("member_out_of_scope")
    await assign_case(session, case=case, actor=actor, to_member_id=to_member_id, now=now, policy=policy)
    return case


async def reroute_by_staff(
    session: AsyncSession, *, actor: Actor, case_id: int, table: RoutingTable | None, now: datetime,
    admin_ids: Sequence[int] = (), note: str | None = None, policy: CasePolicy = DEFAULT_POLICY,
) -> Intake:
    """Run the engine again on a case in the actor's scope: `reroute` then `route` (or `escalate`) in the
    timeline; the handler it leaves (if any) goes on the case's skip list, so it goes to someone else."""
    _require_staff(actor)
    case = await get_case(session, case_id=case_id, actor=actor)
    return await reroute(session, case=case, actor=actor, table=table, now=now, admin_ids=admin_ids, note=note,
                         policy=policy)


async def reroute(
    session: AsyncSession, *, case: Case, actor: Actor, table: RoutingTable | None, now: datetime,
    admin_ids: Sequence[int] = (), note: str | None = None, skip: bool = True, policy: CasePolicy = DEFAULT_POLICY,
) -> Intake:
    """`reroute` then the engine, for a case the caller has already checked."""
    old = case.member_id
    await transition(session, case=case, actor=actor, action=Action.reroute, now=now, note=note, policy=policy)
    if skip and old is not None:
        await session.exec(
            dialect_insert(session.bind.dialect.name, CaseSkip.__table__)
            .values(case_id=case.id, member_id=old, action=Action.reroute, at=now)
            .on_conflict_do_nothing(index_elements=["case_id", "member_id"])
        )
    return await route_case(session, case=case, table=table or RoutingTable(()), now=now, admin_ids=admin_ids,
                            policy=policy)
