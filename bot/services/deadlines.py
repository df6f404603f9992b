"""Case deadlines, each step exactly once: a nudge to a member who has not accepted in
48 h, re-routing after 72 h, an alert to the coordinators when a case is open longer than 15 days,
one more question to a resident who has not answered a result in 7 days, then closing it.

The job asks the database what is due; every message goes through the outbox under a key that
names the case and the step (and, for per-assignment steps, the assignment), so a re-run, a
restart or a second process never repeats one. Each step writes the case's timeline. No Telegram
here; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_insert
from bot.services import outbox
from bot.services.cases import DEFAULT_POLICY, CasePolicy, note_event, route_case, transition
from bot.services.contacts import member_chat, member_name_sector, resident_chat, staff_over
from bot.services.lifecycle import FINAL, SYSTEM, Action, CaseProblem, Note
from bot.services.routing import RoutingTable
from bot.texts import t
from models import Case, CaseSkip, CaseStatus

BATCH = 200  # cases per step and run: a backlog is worked off over a few runs, memory stays flat


@dataclass(frozen=True)
class DeadlinePolicy:
    remind_after: timedelta = timedelta(hours=48)
    reroute_after: timedelta = timedelta(hours=72)
    overdue_after: timedelta = timedelta(days=15)
    ask_after: timedelta = timedelta(days=7)
    close_after: timedelta = timedelta(days=10)

    @classmethod
    def from_settings(cls, settings) -> DeadlinePolicy:  # noqa: ANN001 - bot.config.Settings
        return cls(
            remind_after=timedelta(hours=settings.case_remind_hours),
            reroute_after=timedelta(hours=settings.case_reroute_hours),
            overdue_after=timedelta(days=settings.case_overdue_days),
            ask_after=timedelta(days=settings.case_reopen_days),
            close_after=timedelta(days=settings.case_reopen_days + settings.case_confirm_grace_days),
        )


# open and not yet resolved: a case in one of these states for longer than `overdue_after` is overdue
OVERDUE_STATES = tuple(s for s in CaseStatus if s not in FINAL and s is not CaseStatus.resolved)


def overdue_condition(now: datetime, policy: DeadlinePolicy) -> ColumnElement[bool]:
    """The one definition of an overdue case (the 15-day alert and the staff's queue): open, not resolved,
    filed more than CASE_OVERDUE_DAYS ago."""
    return and_(col(Case.status).in_(OVERDUE_STATES), Case.created_at <= now - policy.overdue_after)


@dataclass
class DeadlineRun:
    reminded: list[str] = field(default_factory=list)
    rerouted: list[str] = field(default_factory=list)
    overdue: list[str] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)


def _stamp(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment else 0


async def _notify(session: AsyncSession, **message: Any) -> bool:
    """A deadline's message: a case message, sent with the replies' priority (ahead of bulk)."""
    return await outbox.enqueue(session, kind="case", priority=outbox.REPLY, **message)


async def run_case_deadlines(
    session: AsyncSession,
    *,
    now: datetime,
    table: RoutingTable | None,
    admin_ids: Sequence[int] = (),
    policy: DeadlinePolicy = DeadlinePolicy(),
    case_policy: CasePolicy = DEFAULT_POLICY,
    view_button: Callable[[int], outbox.Button],
    answer_buttons: Callable[[int], list[list[outbox.Button]]],
) -> DeadlineRun:
    """Every case deadline that is due and not yet acted on, in the caller's transaction."""
    run = DeadlineRun()
    routed = select(Case).where(Case.status == CaseStatus.routed).order_by(Case.last_assigned_at).limit(BATCH)

    # 72 h without 接收: back to routing without this member; the new handler, the staff and the resident hear
    for case in (await session.exec(routed.where(Case.last_assigned_at <= now - policy.reroute_after))).all():
        old = case.member_id
        await session.exec(dialect_insert(session.bind.dialect.name, CaseSkip.__table__)
                           .values(case_id=case.id, member_id=old, action=Note.timeout, at=now)
                           .on_conflict_do_nothing(index_elements=["case_id", "member_id"]))
        try:
            await transition(session, case=case, actor=SYSTEM, action=Action.reroute, now=now, policy=case_policy,
                             note=t("deadline_reroute_note", hours=int(policy.reroute_after.total_seconds() // 3600)))
        except CaseProblem:  # accepted or moved meanwhile
            continue
        intake = await route_case(session, case=case, table=table or RoutingTable(()), now=now,
                                  admin_ids=admin_ids, policy=case_policy)
        key = f"case:{case.id}:reroute:{_stamp(case.last_assigned_at)}"
        who = await member_name_sector(session, intake.member_id)
        if intake.member_id is not None:
            chat = await member_chat(session, intake.member_id)
            if chat:
                await _notify(session, key=f"{key}:member", chat_id=chat, now=now,
                                     text=t("deadline_new_for_member", number=case.number, category=case.category),
                                     buttons=[[view_button(case.id)]])
        resident = await resident_chat(session, case.resident_id)
        if resident and who:
            await _notify(session, key=f"{key}:resident", chat_id=resident, now=now,
                                 text=t("case_rerouted_resident", number=case.number, name=who[0], sector=who[1]))
        for staff in await staff_over(session, case, table, admin_ids):
            await _notify(session, key=f"{key}:staff:{staff}", chat_id=staff, now=now,
                                 text=t("deadline_rerouted_staff", number=case.number,
                                        to=who[0] if who else t("case_handler_none")),
                                 buttons=[[view_button(case.id)]])
        run.rerouted.append(case.number)

    # 48 h without 接收: one nudge per assignment
    due = routed.where(Case.last_assigned_at <= now - policy.remind_after,
                       Case.last_assigned_at > now - policy.reroute_after)
    for case in (await session.exec(due)).all():
        chat = await member_chat(session, case.member_id)
        if chat and await _notify(
                session, key=f"case:{case.id}:remind:{_stamp(case.last_assigned_at)}", chat_id=chat,
                now=now, text=t("deadline_remind_member", number=case.number,
                                hours=int(policy.remind_after.total_seconds() // 3600)),
                buttons=[[view_button(case.id)]]):
            await note_event(session, case=case, action=Note.remind, now=now)
            run.reminded.append(case.number)

    # open for more than 15 days: the coordinators over it (else the admins), once per case
    overdue = select(Case).where(overdue_condition(now, policy)).order_by(Case.created_at).limit(BATCH)
    for case in (await session.exec(overdue)).all():
        sent = False
        for staff in await staff_over(session, case, table, admin_ids):
            sent |= await _notify(
                session, key=f"case:{case.id}:overdue:{staff}", chat_id=staff, now=now,
                text=t("deadline_overdue_staff", number=case.number, days=policy.overdue_after.days,
                       category=case.category), buttons=[[view_button(case.id)]])
        if sent:
            await note_event(session, case=case, action=Note.overdue, now=now)
            run.overdue.append(case.number)

    # resolved, no answer: after 7 days the resident is asked once more; later it closes unconfirmed
    resolved = select(Case).where(Case.status == CaseStatus.resolved).order_by(Case.resolved_at).limit(BATCH)
    for case in (await session.exec(resolved.where(Case.resolved_at <= now - policy.close_after))).all():
        try:
            await transition(session, case=case, actor=SYSTEM, action=Action.close, now=now, policy=case_policy,
                             note=t("deadline_closed_note"))
        except CaseProblem:
            continue
        run.closed.append(case.number)
    asking = resolved.where(and_(Case.resolved_at <= now - policy.ask_after,
                                 Case.resolved_at > now - policy.close_after))
    for case in (await session.exec(asking)).all():
        chat = await resident_chat(session, case.resident_id)
        if chat and await _notify(
                session, key=f"case:{case.id}:ask:{_stamp(case.resolved_at)}", chat_id=chat, now=now,
                text=t("deadline_ask_resident", number=case.number, result=case.result or "",
                       days=(policy.close_after - policy.ask_after).days),
                buttons=answer_buttons(case.id)):
            await note_event(session, case=case, action=Note.ask, now=now)
            run.asked.append(case.number)
    return run
