"""Case deadlines at their hour marks, each step once: 48 h nudge, 72 h re-route, 15-day alert, 7-day ask, close.

Times are explicit instants (the job passes utcnow()); each step is run twice at its mark to
show a re-run changes nothing. The job itself is run under time-machine at the same marks.
"""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from bot.services.cases import accept_case, resolve_case
from bot.services.deadlines import DeadlinePolicy, run_case_deadlines
from bot.services.lifecycle import Actor
from bot.services.outbox import Button
from models import Case, CaseEvent, CaseSkip, CaseStatus, OutboxMessage
from tests.test_cases import ADMIN, T0, new_case, world  # noqa: F401 - the fixture

H = timedelta(hours=1)


def view(case_id: int) -> Button:
    return Button("查看", callback_data=f"case:v:{case_id}:0")


def answers(case_id: int) -> list[list[Button]]:
    return [[Button("已解决", callback_data=f"case:ok:{case_id}:0")]]


async def run_at(w, moment):
    async with w["db"].session() as session:
        run = await run_case_deadlines(session, now=moment, table=w["table"], admin_ids=[ADMIN],
                                       policy=DeadlinePolicy(), view_button=view, answer_buttons=answers)
        await session.commit()
    return run


async def outbox_keys(db) -> list[str]:
    async with db.session() as session:
        return sorted((await session.exec(select(OutboxMessage.key))).scalars().all())


async def timeline(db, case_id: int) -> list[str]:
    async with db.session() as session:
        return list((await session.exec(select(CaseEvent.action).where(CaseEvent.case_id == case_id)
                                        .order_by(CaseEvent.id))).scalars().all())


async def reload(db, case_id: int) -> Case:
    async with db.session() as session:
        return await session.get(Case, case_id)


async def test_not_accepted_nudged_at_48h_rerouted_at_72h_once(world) -> None:
    db = world["db"]
    case = await new_case(world)
    first = case.member_id
    assert (await run_at(world, T0 + 48 * H - timedelta(minutes=1))).reminded == []
    assert (await run_at(world, T0 + 48 * H)).reminded == [case.number]
    assert (await run_at(world, T0 + 50 * H)).reminded == []  # once per assignment
    assert [k for k in await outbox_keys(db) if ":remind:" in k] == [f"case:{case.id}:remind:{int(T0.timestamp())}"]
    assert (await run_at(world, T0 + 72 * H - timedelta(minutes=1))).rerouted == []
    run = await run_at(world, T0 + 72 * H)
    assert run.rerouted == [case.number]
    moved = await reload(db, case.id)
    assert moved.status is CaseStatus.routed and moved.member_id not in (None, first)
    async with db.session() as session:
        skipped = (await session.exec(select(CaseSkip.member_id).where(CaseSkip.case_id == case.id))).scalars().all()
    assert list(skipped) == [first]
    assert (await run_at(world, T0 + 73 * H)).rerouted == []
    assert await timeline(db, case.id) == ["submit", "route", "remind", "reroute", "route"]
    keys = await outbox_keys(db)
    assert any(k.endswith(":member") for k in keys) and any(":staff:" in k for k in keys)
    # the new member gets their own 48 h
    assert (await run_at(world, T0 + 72 * H + 48 * H)).reminded == [case.number]


async def test_accepted_in_time_is_left_alone_and_overdue_alerts_once(world) -> None:
    db = world["db"]
    case = await new_case(world)
    async with db.session() as session:
        loaded = await session.get(Case, case.id)
        await accept_case(session, case=loaded, member_id=loaded.member_id, now=T0 + 47 * H)
        await session.commit()
    run = await run_at(world, T0 + 100 * H)
    assert run.reminded == run.rerouted == []
    assert (await run_at(world, T0 + timedelta(days=15) - H)).overdue == []
    assert (await run_at(world, T0 + timedelta(days=15))).overdue == [case.number]
    assert (await run_at(world, T0 + timedelta(days=16))).overdue == []
    assert (await timeline(db, case.id))[-1] == "overdue"


async def test_unanswered_result_is_asked_once_then_closed(world) -> None:
    db = world["db"]
    case = await new_case(world)
    resolved_at = T0 + 5 * H
    async with db.session() as session:
        loaded = await session.get(Case, case.id)
        await accept_case(session, case=loaded, member_id=loaded.member_id, now=T0 + H)
        await resolve_case(session, case=loaded, member_id=loaded.member_id, result="已协调解决", now=resolved_at)
        await session.commit()
    assert (await run_at(world, resolved_at + timedelta(days=7) - H)).asked == []
    assert (await run_at(world, resolved_at + timedelta(days=7))).asked == [case.number]
    assert (await run_at(world, resolved_at + timedelta(days=8))).asked == []
    assert (await run_at(world, resolved_at + timedelta(days=10) - H)).closed == []
    assert (await run_at(world, resolved_at + timedelta(days=10))).closed == [case.number]
    closed = await reload(db, case.id)
    assert closed.status is CaseStatus.closed and closed.solved is None
    assert (await timeline(db, case.id))[-2:] == ["ask", "close"]


async def test_the_job_runs_the_same_steps_under_time_travel(world, fake, runner, settings) -> None:
    from scheduler.case_deadlines import case_deadlines

    db = world["db"]
    case = await new_case(world)
    application = await runner.start(settings)
    from bot.context import LianxinContext

    context = LianxinContext(application)  # what the JobQueue hands the callback
    with time_machine.travel(T0 + 49 * H, tick=False):
        await case_deadlines(context)
        await case_deadlines(context)
    assert [k for k in await outbox_keys(db) if ":remind:" in k] == [f"case:{case.id}:remind:{int(T0.timestamp())}"]
    assert (await timeline(db, case.id)).count("remind") == 1


async def test_the_report_counts_the_quarter_s_cases(world) -> None:
    """The report's case figures against a recount written out here."""
    from zoneinfo import ZoneInfo

    from bot.services.cases import answer_case
    from bot.services.report import QuarterStats, case_rows, report_sections
    from bot.services.rules import Quarter

    db = world["db"]
    a = await new_case(world, text="学校门口的道路积水严重，孩子们每天上学都要绕远路")
    b = await new_case(world, resident="r2", text="小区附近没有公交站，老人看病出行很不方便")
    c = await new_case(world, category="医疗", text="乡镇卫生院缺少儿科医生，孩子看病要跑到县城")
    async with db.session() as session:
        for case, hours in ((a, 2), (b, 4)):
            loaded = await session.get(Case, case.id)
            await accept_case(session, case=loaded, member_id=loaded.member_id, now=T0 + hours * H)
        loaded = await session.get(Case, a.id)
        await resolve_case(session, case=loaded, member_id=loaded.member_id, result="已疏通排水", now=T0 + 10 * H)
        await answer_case(session, case=loaded, actor=Actor.resident(world["r1"]), solved=True, rating=4,
                          now=T0 + 11 * H)
        await session.commit()
        rows = await case_rows(session, quarter=Quarter.of(T0.date()), tz=ZoneInfo("Asia/Shanghai"))
        outside = await case_rows(session, quarter=Quarter.of(T0.date()).prev(), tz=ZoneInfo("Asia/Shanghai"))
    total = rows[0]
    assert (total.category, total.received, total.accepted, total.resolved, total.confirmed) == (None, 3, 2, 1, 1)
    assert total.median_hours_to_accept == 3.0 and total.median_hours_to_resolve == 10.0
    assert total.average_rating == 4.0 and total.reopened == 0
    by_category = {r.category: r.received for r in rows[1:]}
    assert by_category == {"教育": 2, "医疗": 1} and c.category == "医疗"
    assert outside[0].received == 0
    stats = QuarterStats(quarter=Quarter.of(T0.date()), as_of=T0.date(), scopes=None, members=0, bound=0,
                         with_activity=0, on_pace=0, expected_people=0, cases=rows)
    sheet = [s for s in report_sections(stats, kind_names={}) if s.title == "诉求办理"]
    assert sheet and sheet[0].rows[0][:5] == ["全部", 3, 2, 1, 1]
