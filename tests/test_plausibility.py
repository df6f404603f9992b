"""The plausibility rules (存疑活动): each predicate on both sides of its threshold, each query on both
sides in the database (SQLite and PostgreSQL), the scope as /queue's, and the coordinators' marks."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.services import plausibility as pl
from bot.services.lifecycle import Actor, Role
from bot.services.rules import Quarter
from bot.services.scopes import Scope
from models import Activity, ActivityFlagMark, AuditEvent, FlagMark, Member, Reception, ScopeKind, Station

DAY = date(2026, 11, 10)
Q = Quarter.of(DAY)
T0 = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)
LANZHOU = Scope(ScopeKind.region, "甘肃省/兰州市")
JIUQUAN = Scope(ScopeKind.region, "甘肃省/酒泉市")
SERIAL = itertools.count(1)  # a summary of its own for each activity a test does not give one


# --- the predicates -----------------------------------------------------------------------------------


def test_people_above_the_limit() -> None:
    assert not pl.too_many_people(300) and pl.too_many_people(301)
    assert not pl.too_many_people(50, 50) and pl.too_many_people(51, 50)


def test_more_than_three_a_day() -> None:
    assert not pl.too_many_in_a_day(3) and pl.too_many_in_a_day(4)


def test_walk_ins_far_above_the_check_ins() -> None:
    # few check-ins: the floor of 10 walk-ins
    assert not pl.walk_ins_implausible(10, 0) and pl.walk_ins_implausible(11, 0)
    assert not pl.walk_ins_implausible(11, 1) and pl.walk_ins_implausible(12, 1)
    # many check-ins: twice the check-ins
    assert not pl.walk_ins_implausible(6 + 12, 6) and pl.walk_ins_implausible(6 + 13, 6)


def test_spans_overlap_but_touching_ends_do_not() -> None:
    a = (T0, T0 + timedelta(hours=2))
    assert pl.spans_overlap(a, (T0 + timedelta(hours=1), T0 + timedelta(hours=3)))
    assert not pl.spans_overlap(a, (T0 + timedelta(hours=2), T0 + timedelta(hours=3)))


def test_summary_key_ignores_whitespace_punctuation_and_width() -> None:
    key = pl.summary_key("走访群众，了解就业情况。")
    assert key == pl.summary_key("  走访 群众 了解就业情况!! ") == pl.summary_key("走访群众,了解就业情况")
    assert pl.summary_key("ＡＢＣ 调研") == pl.summary_key("abc调研")  # full width and case
    assert key != pl.summary_key("走访群众，了解医疗情况。")
    # too short to compare once normalised
    assert pl.summary_key("走访。。。") is None and pl.summary_key("调研走访") is not None and pl.summary_key("") is None


# --- the queries --------------------------------------------------------------------------------------


async def members(db, *numbers: str) -> list[int]:
    async with db.session() as session:
        found = dict((await session.exec(select(Member.number, Member.id).where(Member.number.in_(numbers)))).all())
    return [found[n] for n in numbers]


def activity(member_id: int, *, day: date = DAY, people: int = 5, summary: str | None = None, place: str = "某社区",
             at: datetime = T0, **extra: object) -> Activity:
    q = Quarter.of(day)
    text = summary if summary is not None else f"活动记录第{next(SERIAL)}条"
    return Activity(member_id=member_id, kind="visit", activity_date=day, year=q.year, quarter=q.q, place=place,
                    people=people, summary=text, summary_key=pl.summary_key(text), created_at=at, updated_at=at,
                    **extra)


async def flags(db, scopes=None, **kw) -> dict[tuple[int, str], pl.Flag]:
    async with db.session() as session:
        found = await pl.find_flags(session, quarters=[Q], scopes=scopes, **kw)
    return {(f.activity_id, f.rule.value): f for f in found}


async def add(db, *rows) -> list[int]:
    async with db.session() as session:
        session.add_all(rows)
        await session.commit()
        return [r.id for r in rows]


async def test_people_rule_at_its_threshold(db, roster) -> None:
    (a,) = await members(db, "GS0005")
    at, above, deleted, last_quarter = await add(
        db, activity(a, people=300), activity(a, people=301, at=T0 + timedelta(minutes=1)),
        activity(a, people=900, deleted_at=T0, at=T0 + timedelta(minutes=2)),
        activity(a, day=date(2026, 9, 30), people=900))
    found = await flags(db)
    assert set(found) == {(above, "ppl")}
    assert found[above, "ppl"].detail == (301, 300) and found[above, "ppl"].member_number == "GS0005"
    assert set(await flags(db, people_max=301)) == set()


async def test_day_rule_flags_what_comes_after_the_third(db, roster) -> None:
    a, b = await members(db, "GS0005", "GS0029")
    three = await add(db, *(activity(a, at=T0 + timedelta(minutes=n)) for n in range(3)))
    four = await add(db, *(activity(b, at=T0 + timedelta(minutes=n)) for n in range(4)))
    # a fourth on another day does not count
    await add(db, activity(a, day=DAY + timedelta(days=1)))
    found = await flags(db)
    assert set(found) == {(four[3], "day")} and found[four[3], "day"].detail == (4, 4)
    assert not any(i in three for i, _ in found)


async def test_summary_rule_compares_one_members_summaries(db, roster) -> None:
    a, b = await members(db, "GS0005", "GS0029")
    first, again, other = await add(
        db, activity(a, summary="走访群众，了解就业情况。", at=T0),
        activity(a, day=DAY + timedelta(days=3), summary="走访 群众 了解就业情况", at=T0 + timedelta(days=3)),
        activity(a, summary="走访群众，了解医疗情况。", at=T0 + timedelta(minutes=5)))
    # another member's identical text is theirs (a joint activity), and short texts are not compared
    await add(db, activity(b, summary="走访群众，了解就业情况。"), activity(a, day=DAY + timedelta(days=5), summary="走访。"),
              activity(a, day=DAY + timedelta(days=6), summary="走访。", at=T0 + timedelta(hours=1)))
    found = await flags(db)
    assert set(found) == {(again, "dup")}
    assert found[again, "dup"].detail == (2, DAY)


async def station(db, code: str) -> int:
    (row,) = await add(db, Station(code=code, name=f"{code}工作站"))
    return row


async def reception(db, member_id: int, station_id: int, start: datetime, hours: int = 2, **extra) -> int:
    (row,) = await add(db, Reception(station_id=station_id, member_id=member_id, starts_at=start,
                                     ends_at=start + timedelta(hours=hours), topic="接待", created_by=1, **extra))
    return row


async def test_walk_ins_rule_at_its_threshold(db, roster) -> None:
    (a,) = await members(db, "GS0005")
    s = await station(db, "T1")
    r = [await reception(db, a, s, T0 + timedelta(days=n)) for n in range(4)]
    ok_floor, far_floor, ok_twice, far_twice = await add(
        db, *(activity(a, day=DAY + timedelta(days=n), place="p0", people=people, verified_people=verified, reception_id=r[n])
          for n, (people, verified) in enumerate([(11, 1), (12, 1), (18, 6), (19, 6)])))
    # typed 人次 far above nothing, but not from a reception day: not this rule's
    await add(db, activity(a, people=50, verified_people=0))
    found = await flags(db)
    assert set(found) == {(far_floor, "walk"), (far_twice, "walk")}
    assert found[far_twice, "walk"].detail == (13, 6)


async def test_hour_rule_compares_reception_days_in_two_places(db, roster) -> None:
    a, b = await members(db, "GS0005", "GS0029")
    s1, s2 = await station(db, "T1"), await station(db, "T2")
    here = await reception(db, a, s1, T0)
    there = await reception(db, a, s2, T0 + timedelta(hours=1))  # overlaps the first hour
    later = await reception(db, a, s2, T0 + timedelta(hours=2))  # starts when `here` ends: no overlap with it
    one, two, three = await add(db, activity(a, place="甲站", reception_id=here),
                                activity(a, place="乙站", reception_id=there, at=T0 + timedelta(minutes=1)),
                                activity(a, place="丙站", reception_id=later, at=T0 + timedelta(minutes=2)))
    # another member's at the same span and place: not flagged
    b_here = await reception(db, b, s1, T0)
    await add(db, activity(b, place="甲站", reception_id=b_here))
    found = await flags(db)
    assert {k for k in found if k[1] == "hr"} == {(one, "hr"), (two, "hr"), (three, "hr")}
    assert found[one, "hr"].detail[0] == "乙站" and found[three, "hr"].detail[0] == "乙站"


async def test_hour_rule_flags_overlapping_reception_days_at_the_same_place(db, roster) -> None:
    """Rows written before overlapping days were refused: one member, one station, 9:00–10:00 and 9:30–10:30,
    each card confirmed with the same three check-ins, counts them twice; both are flagged."""
    a, b = await members(db, "GS0005", "GS0029")
    s = await station(db, "T1")
    early = await reception(db, a, s, T0, hours=1)
    late = await reception(db, a, s, T0 + timedelta(minutes=30), hours=1)
    after = await reception(db, a, s, T0 + timedelta(hours=1, minutes=30), hours=1)  # touches `late`'s end
    one, two, _ = await add(
        db, activity(a, place="甲站", people=3, verified_people=3, reception_id=early),
        activity(a, place="甲站", people=3, verified_people=3, reception_id=late, at=T0 + timedelta(minutes=1)),
        activity(a, place="甲站", people=3, verified_people=3, reception_id=after, at=T0 + timedelta(minutes=2)))
    b_day = await reception(db, b, s, T0, hours=1)  # another member's at the same time: not flagged
    await add(db, activity(b, place="甲站", reception_id=b_day))
    found = await flags(db)
    assert {k for k in found if k[1] == "hr"} == {(one, "hr"), (two, "hr")}
    assert found[one, "hr"].detail == ("甲站", T0 + timedelta(minutes=30))


async def test_burst_rule_shows_on_the_reception_days_activity(db, roster) -> None:
    (a,) = await members(db, "GS0005")
    s = await station(db, "T1")
    burst = await reception(db, a, s, T0, burst_flagged_at=T0 + timedelta(minutes=30))
    calm = await reception(db, a, s, T0 + timedelta(days=1))
    flagged, fine = await add(db, activity(a, place="甲站", people=3, verified_people=3, reception_id=burst),
                              activity(a, place="甲站", people=3, verified_people=3, reception_id=calm))
    assert set(await flags(db)) == {(flagged, "burst")}


async def test_a_burst_before_the_card_is_confirmed_is_listed_on_its_own(db, roster) -> None:
    from models import ReceptionStatus

    lanzhou, jiuquan = await members(db, "GS0005", "GS0020")
    s = await station(db, "T1")
    burst = T0 + timedelta(minutes=5)
    waiting = await reception(db, lanzhou, s, T0, burst_flagged_at=burst)
    await reception(db, lanzhou, s, T0 + timedelta(days=1), burst_flagged_at=burst, status=ReceptionStatus.cancelled)
    await reception(db, lanzhou, s, T0 + timedelta(days=2))  # no burst
    await reception(db, jiuquan, s, T0, burst_flagged_at=burst)  # another region's
    recorded = await reception(db, lanzhou, s, T0 + timedelta(days=3), burst_flagged_at=burst)
    (made,) = await add(db, activity(lanzhou, place="T1工作站", people=3, verified_people=3, reception_id=recorded))
    async with db.session() as session:
        row = await session.get(Reception, recorded)
        row.activity_id = made
        session.add(row)
        await session.commit()
        found = await pl.unrecorded_bursts(session, quarters=[Q], scopes=[LANZHOU])
        assert [(b.reception_id, b.station, b.member_number) for b in found] == [(waiting, "T1工作站", "GS0005")]
        assert len(await pl.unrecorded_bursts(session, quarters=[Q], scopes=None)) == 2
        assert await pl.unrecorded_bursts(session, quarters=[Q.next()], scopes=None) == []
    # the confirmed one is the activity's flag
    assert set(await flags(db, [LANZHOU])) == {(made, "burst")}


async def test_scope_and_marks(db, roster) -> None:
    lanzhou, jiuquan = await members(db, "GS0005", "GS0020")
    mine, theirs = await add(db, activity(lanzhou, people=500), activity(jiuquan, people=500))
    assert set(await flags(db, [LANZHOU])) == {(mine, "ppl")}
    assert set(await flags(db, [JIUQUAN])) == {(theirs, "ppl")}
    coordinator = Actor(Role.coordinator, 9001, (LANZHOU,))
    now = T0 + timedelta(days=1)
    async with db.session() as session:
        with pytest.raises(pl.FlagProblem) as refused:  # another region's activity
            await pl.mark_flag(session, actor=coordinator, activity_id=theirs, rule=pl.Rule.people,
                               mark=FlagMark.verified, now=now)
        assert refused.value.code == "not_visible"
        with pytest.raises(pl.FlagProblem) as refused:  # a rule that does not flag it
            await pl.mark_flag(session, actor=coordinator, activity_id=mine, rule=pl.Rule.day,
                               mark=FlagMark.verified, now=now)
        assert refused.value.code == "not_flagged"
        with pytest.raises(pl.FlagProblem):  # a member is no staff
            await pl.flags_for(session, actor=Actor.member(lanzhou), quarters=[Q])
        flag = await pl.mark_flag(session, actor=coordinator, activity_id=mine, rule=pl.Rule.people,
                                  mark=FlagMark.questioned, now=now)
        assert flag.mark is FlagMark.questioned and flag.open
        await session.commit()
        assert [f.activity_id for f in await pl.flags_for(session, actor=coordinator, quarters=[Q])] == [mine]
        await pl.mark_flag(session, actor=coordinator, activity_id=mine, rule=pl.Rule.people, mark=FlagMark.verified,
                           now=now + timedelta(minutes=1))
        await session.commit()
        assert await pl.flags_for(session, actor=coordinator, quarters=[Q]) == []
        (kept,) = await pl.flags_for(session, actor=coordinator, quarters=[Q], open_only=False)
        assert kept.mark is FlagMark.verified and kept.marked_by == 9001
        assert len((await session.exec(select(ActivityFlagMark))).all()) == 1
        audits = (await session.exec(select(AuditEvent).where(AuditEvent.action == "activity.flag")
                                     .order_by(AuditEvent.id))).all()
        assert [(a.actor, a.entity_id, a.detail) for a in audits] == [
            ("9001", str(mine), "ppl:questioned"), ("9001", str(mine), "ppl:verified")]


async def test_an_edit_of_what_the_rules_look_at_reopens_the_flag(db, roster) -> None:
    from bot.services.activities import ActivityInput, ActivityPolicy, update_activity

    (a,) = await members(db, "GS0005")
    r = await reception(db, a, await station(db, "T5"), T0)
    (made,) = await add(db, activity(a, people=27, verified_people=2, reception_id=r, place="T5工作站",
                                     summary="接待群众，了解供暖问题。"))
    coordinator = Actor(Role.coordinator, 9001, (LANZHOU,))
    policy = ActivityPolicy(kind_points={"visit": 2.0}, edit_window_days=7)
    now = T0 + timedelta(hours=2)

    async def edit(people: int, summary: str = "接待群众，了解供暖问题。", photos=()) -> None:
        data = ActivityInput("visit", DAY, "T5工作站", people, summary, photos=list(photos))
        async with db.session() as session:
            await update_activity(session, member_id=a, activity_id=made, data=data, policy=policy, today=DAY,
                                  now=now)
            await session.commit()

    async def verify() -> None:
        async with db.session() as session:
            await pl.mark_flag(session, actor=coordinator, activity_id=made, rule=pl.Rule.walk_ins,
                               mark=FlagMark.verified, now=now)
            await session.commit()

    async def open_flags() -> list[tuple[int, str]]:
        async with db.session() as session:
            return [(f.activity_id, f.rule.value) for f in await pl.flags_for(session, actor=coordinator, quarters=[Q])]

    async def audits(action: str) -> list[str]:
        async with db.session() as session:
            return list((await session.exec(select(AuditEvent.detail).where(AuditEvent.action == action)
                                            .order_by(AuditEvent.id))).all())

    await verify()
    assert await open_flags() == []
    await edit(27, photos=[("photo-1", "u1")])  # photos only: the rules look at nothing of it, the mark stays
    assert await open_flags() == [] and await audits("activity.flag_clear") == []
    await edit(100)  # the check made at 25 walk-ins approves nothing at 98: the flag is open again
    assert await open_flags() == [(made, "walk")]
    async with db.session() as session:
        assert (await session.exec(select(ActivityFlagMark))).all() == []
    assert await audits("activity.flag") == ["walk:verified"]  # the earlier mark stays in the audit trail
    assert await audits("activity.flag_clear") == ["walk:verified"]
    # marked again, then the summary changed: cleared again; an edit with no marks writes no audit
    await verify()
    await edit(100, summary="接待群众，了解供暖和物业问题。")
    assert await open_flags() == [(made, "walk")]
    await edit(101)
    assert await audits("activity.flag_clear") == ["walk:verified", "walk:verified"]


async def test_a_mark_made_while_an_edit_waits_is_dropped_by_it(db, roster, database_url) -> None:
    """A coordinator marks 已核实 while the member's worse edit is on its way: both lock the activity's row, so
    the edit waits for the mark's commit and drops it (without the locks the edit's DELETE missed the mark
    not yet committed, and the mark outlived the edit)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time; PostgreSQL runs these transactions concurrently")
    import asyncio

    from bot.services.activities import ActivityInput, ActivityPolicy, update_activity

    (a,) = await members(db, "GS0005")
    r = await reception(db, a, await station(db, "T6"), T0)
    (made,) = await add(db, activity(a, people=27, verified_people=2, reception_id=r, place="T6工作站",
                                     summary="接待群众，了解供暖问题。"))
    coordinator = Actor(Role.coordinator, 9001, (LANZHOU,))
    now = T0 + timedelta(hours=2)

    async def edit() -> None:
        async with db.session() as session:
            await update_activity(session, member_id=a, activity_id=made,
                                  data=ActivityInput("visit", DAY, "T6工作站", 100, "接待群众，了解供暖问题。"),
                                  policy=ActivityPolicy(kind_points={"visit": 2.0}), today=DAY, now=now)
            await session.commit()

    async with db.session() as marking:
        await pl.mark_flag(marking, actor=coordinator, activity_id=made, rule=pl.Rule.walk_ins,
                           mark=FlagMark.verified, now=now)
        editing = asyncio.create_task(edit())
        await asyncio.sleep(0.3)
        assert not editing.done()  # waiting for the mark's row lock
        await marking.commit()
    await asyncio.wait_for(editing, 10)
    async with db.session() as session:
        assert (await session.exec(select(ActivityFlagMark))).all() == []
        assert [(f.activity_id, f.rule.value, f.open) for f in await pl.flags_for(session, actor=coordinator,
                                                                                  quarters=[Q])] == [(made, "walk", True)]

    # the other way round: a mark pressed while an edit that ends the flag is open waits for it, and is refused
    async def mark() -> None:
        async with db.session() as session:
            await pl.mark_flag(session, actor=coordinator, activity_id=made, rule=pl.Rule.walk_ins,
                               mark=FlagMark.verified, now=now)
            await session.commit()

    async with db.session() as editing_session:
        await update_activity(editing_session, member_id=a, activity_id=made,
                              data=ActivityInput("visit", DAY, "T6工作站", 5, "接待群众，了解供暖问题。"),
                              policy=ActivityPolicy(kind_points={"visit": 2.0}), today=DAY, now=now)
        marking = asyncio.create_task(mark())
        await asyncio.sleep(0.3)
        assert not marking.done()  # waiting for the edit's row lock
        await editing_session.commit()
    with pytest.raises(pl.FlagProblem) as refused:
        await asyncio.wait_for(marking, 10)
    assert refused.value.code == "not_flagged"
    async with db.session() as session:
        assert (await session.exec(select(ActivityFlagMark))).all() == []


def test_queue_looks_at_this_quarter_and_the_one_before() -> None:
    assert pl.queue_quarters(date(2026, 1, 5)) == [Quarter(2025, 4), Quarter(2026, 1)]


def test_every_rule_has_a_chinese_reason() -> None:
    from zoneinfo import ZoneInfo

    from bot.texts.flags import flag_mark_text, flag_reason

    tz = ZoneInfo("Asia/Shanghai")
    details = {pl.Rule.people: (301, 300), pl.Rule.day: (4, 5), pl.Rule.summary: (2, DAY),
               pl.Rule.hour: ("<乙站>", T0), pl.Rule.walk_ins: (13, 6), pl.Rule.burst: (T0,)}
    assert set(details) == set(pl.Rule)
    reasons = {rule: flag_reason(rule.value, detail, tz) for rule, detail in details.items()}
    assert reasons[pl.Rule.people] == "人次 301 超过上限 300"
    assert reasons[pl.Rule.day] == "同一天的第 4 条活动（当天共 5 条，多于 3 条）"
    assert reasons[pl.Rule.summary] == "摘要与 2026-11-10 的活动相同（同样的摘要共 2 条）"
    assert reasons[pl.Rule.hour] == "与“&lt;乙站&gt;”的接待日（2026-11-10 09:00）时间重叠"  # escaped for the chat
    assert flag_reason("hr", details[pl.Rule.hour], tz, html=False) == "与“<乙站>”的接待日（2026-11-10 09:00）时间重叠"
    assert reasons[pl.Rule.walk_ins] == "未扫码补录 13 人次，远多于扫码签到 6 人次"
    assert reasons[pl.Rule.burst] == "接待日签到在一分钟内异常集中（2026-11-10 09:00）"
    assert flag_mark_text(None, None, None, tz) == "未核实"
    assert flag_mark_text("questioned", 42, T0, tz) == "存疑（42，2026-11-10 09:00）"


def test_the_migration_keys_the_summaries_written_before_it(database_url) -> None:
    """Activities logged at 0013 get the key `summary_key` gives (a frozen copy in 0014); a case's keeps None."""
    from sqlalchemy import text

    from bot.db import migrate, sync_engine, upgrade

    migrate(database_url, "0013", down=True)
    summaries = ["走访群众，了解就业情况。", "走访 群众 了解就业情况!!", "ＡＢＣ 调研", "走访。"]
    engine = sync_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO member (number, name, level, sector_id, active, created_at, updated_at,"
                                    " open_cases, case_assigned_us) SELECT 'M' || id, '委员', 'province', id, true,"
                                    " '2026-01-01', '2026-01-01', 0, 0 FROM sector WHERE id = 1"))
            member = connection.execute(text("SELECT id FROM member")).scalar_one()
            connection.execute(text(
                "INSERT INTO activity (member_id, kind, activity_date, year, quarter, place, people, summary, points,"
                " created_at, updated_at) VALUES (:m, 'visit', '2026-11-10', 2026, 4, '某社区', 5, :summary, 2,"
                " '2026-11-10', '2026-11-10')"), [{"m": member, "summary": s} for s in summaries])
        upgrade(database_url)
        with engine.begin() as connection:
            keys = [r[0] for r in connection.execute(text("SELECT summary_key FROM activity ORDER BY id"))]
    finally:
        engine.dispose()
    assert keys == [pl.summary_key(s) for s in summaries]
    assert keys[0] == keys[1] and keys[2] is not None and keys[3] is None
