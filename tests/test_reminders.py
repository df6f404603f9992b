"""Reminders: who lags at each moment on a seeded data set, checked against an independent recount;
due occasions across quarter boundaries in Asia/Shanghai; once under double runs; catch-up after downtime."""

from __future__ import annotations

import math
import random
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import select

from bot.app import build_application
from bot.context import LianxinContext
from bot.services.reminders import (
    DutyPolicy,
    Occasion,
    Rule,
    as_of_day,
    due_occasion,
    laggards,
    plan_occasion,
    reminder_history,
    run_due,
)
from bot.services.rules import Quarter
from bot.services.scopes import Committee, Scope
from models import Activity, ActivityGroup, Level, Member, OutboxMessage, Region, RoleGrant, ScopeKind, Sector
from scheduler.reminders import remind_due
from tests.conftest import ADMIN_ID, make_settings

TZ = ZoneInfo("Asia/Shanghai")
POLICY = DutyPolicy(tz=TZ, admin_ids=(ADMIN_ID,))
COORDINATOR = 777001


def shanghai(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (shanghai(2026, 11, 14, 8, 59), (Occasion.quarter_end, Quarter(2026, 3))),
        (shanghai(2026, 11, 14, 9, 0), (Occasion.mid, Quarter(2026, 4))),
        (shanghai(2026, 12, 17, 8, 59), (Occasion.mid, Quarter(2026, 4))),
        (shanghai(2026, 12, 17, 9, 0), (Occasion.late, Quarter(2026, 4))),
        # New Year's morning in Beijing is still 31 December in UTC
        (shanghai(2027, 1, 1, 8, 59), (Occasion.late, Quarter(2026, 4))),
        (shanghai(2027, 1, 1, 9, 0), (Occasion.quarter_end, Quarter(2026, 4))),
        (shanghai(2026, 3, 31, 23, 59), (Occasion.late, Quarter(2026, 1))),
        (shanghai(2026, 4, 1, 9, 0), (Occasion.quarter_end, Quarter(2026, 1))),
        # a leap-year Q1: day 45 is 14 February either way, 15 days before 1 April is 17 March
        (shanghai(2028, 2, 14, 9, 0), (Occasion.mid, Quarter(2028, 1))),
        (shanghai(2028, 3, 17, 9, 0), (Occasion.late, Quarter(2028, 1))),
    ],
)
def test_due_occasion_across_quarter_boundaries(instant: datetime, expected) -> None:
    with time_machine.travel(instant, tick=False):
        assert due_occasion(POLICY, datetime.now(TZ)) == expected


def test_as_of_day() -> None:
    q4 = Quarter(2026, 4)
    assert as_of_day(POLICY, Occasion.mid, q4, date(2026, 10, 2)) == date(2026, 11, 14)  # preview ahead
    assert as_of_day(POLICY, Occasion.mid, q4, date(2026, 11, 20)) == date(2026, 11, 20)  # caught up later
    assert as_of_day(POLICY, Occasion.late, q4, date(2027, 2, 1)) == date(2026, 12, 31)
    assert as_of_day(POLICY, Occasion.quarter_end, q4, date(2027, 1, 1)) == date(2026, 12, 31)


# --- a seeded data set -------------------------------------------------------------------


async def seed(db, *, seed_value: int = 9) -> dict:
    """~40 members on two committees, groups and no groups, inactive and unbound ones, random activities."""
    rng = random.Random(seed_value)
    async with db.session() as session:
        sectors = (await session.exec(select(Sector).order_by(Sector.id).limit(2))).all()
        g1, g2 = ActivityGroup(name="第1界别活动组"), ActivityGroup(name="第2界别活动组")
        province = Region(path="甘肃省", name="甘肃省", depth=1)
        session.add_all([g1, g2, province])
        await session.flush()
        city = Region(path="甘肃省/兰州市", name="兰州市", depth=2, parent_id=province.id)
        session.add(city)
        await session.flush()
        members = []
        for i in range(40):
            group = [g1.id, g2.id, None][i % 3]
            level, region = (Level.province, province.id) if i < 28 else (Level.city, city.id)
            member = Member(
                number=f"T{i:03d}", name=f"委员{i}", level=level, sector_id=sectors[i % 2].id,
                activity_group_id=group, region_id=region,
                telegram_id=None if i % 11 == 5 else 100000 + i, active=i != 7,
            )
            members.append(member)
        session.add_all(members)
        await session.flush()
        activities = []
        for member in members:
            for _ in range(rng.choice([0, 0, 1, 2, 3, 5])):
                day = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 313))  # up to 10 November
                if rng.random() < 0.1:
                    day = day.replace(year=2025)  # last year's: counts nowhere this year
                kind = rng.choice(["visit", "inspection", "other"])
                activities.append(Activity(
                    member_id=member.id, kind=kind, activity_date=day, year=day.year,
                    quarter=(day.month - 1) // 3 + 1, place="某社区", people=rng.randint(1, 12),
                    summary="走访群众", points=float(rng.choice([1, 2, 3])),
                    deleted_at=datetime(2026, 11, 1, tzinfo=TZ) if rng.random() < 0.08 else None,
                ))
        session.add_all(activities)
        # 第1界别活动组 is on both committees: the coordinator has the province committee's
        session.add(RoleGrant(telegram_id=COORDINATOR, scope_kind=ScopeKind.group, scope_value="第1界别活动组",
                              committee_level=Level.province, committee_region="甘肃省"))
        await session.commit()
        return {
            "members": [(m.id, m.number, m.level, m.region_id, m.activity_group_id, m.sector_id, m.active, m.telegram_id)
                        for m in members],
            "activities": [(a.member_id, a.activity_date, a.people, a.points, a.deleted_at is None) for a in activities],
            "kinds": [a.kind for a in activities],
            "g1": g1.id,
        }


G1_PROVINCE = Scope(ScopeKind.group, "第1界别活动组", Committee(Level.province, "甘肃省"))


def in_g1_province(data: dict) -> set[str]:
    """Numbers of 第1界别活动组 on the province committee (what G1_PROVINCE covers)."""
    return {m[1] for m in data["members"] if m[4] == data["g1"] and m[2] is Level.province}


def recount(data: dict, *, quarter: Quarter, as_of: date, share: float = 0.10, year_target: int = 40) -> dict[str, set[str]]:
    """An independent recount in plain Python: number -> the rules that member matches."""
    q_n: dict[int, int] = defaultdict(int)
    people: dict[int, int] = defaultdict(int)
    points: dict[int, float] = defaultdict(float)
    for member_id, day, n_people, n_points, live in data["activities"]:
        if not live or day.year != quarter.year:
            continue
        people[member_id] += n_people
        points[member_id] += n_points
        if (day.month - 1) // 3 + 1 == quarter.q:
            q_n[member_id] += 1
    day_of_year = as_of.timetuple().tm_yday
    year_days = (date(as_of.year, 12, 31) - date(as_of.year, 1, 1)).days + 1
    expected = math.ceil(year_target * day_of_year / year_days - 1e-9)
    active = [m for m in data["members"] if m[6]]
    peers: dict[tuple, list[int]] = defaultdict(list)
    for member_id, _number, level, region, group, sector, _active, _tg in active:
        peers[(level, region, group, sector if group is None else None)].append(member_id)
    bottom: set[int] = set()
    for ids in peers.values():
        if len(ids) < 2:
            continue
        top = max(points[i] for i in ids)
        for i in ids:
            below = sum(1 for j in ids if points[j] < points[i])
            if points[i] < top and below < len(ids) * Fraction(str(share)):  # the share as written: 0.1 × 30 is 3
                bottom.add(i)
    result: dict[str, set[str]] = {}
    for member_id, number, *_rest in active:
        rules = set()
        if q_n[member_id] == 0:
            rules.add("no_activity")
        if people[member_id] < expected:
            rules.add("below_pace")
        if member_id in bottom:
            rules.add("bottom_share")
        if rules:
            result[number] = rules
    return result


async def test_laggards_match_an_independent_recount(db) -> None:
    data = await seed(db)
    for quarter, as_of in [(Quarter(2026, 4), date(2026, 11, 14)), (Quarter(2026, 3), date(2026, 9, 30)),
                           (Quarter(2026, 2), date(2026, 5, 15))]:
        async with db.session() as session:
            found = await laggards(session, quarter=quarter, as_of=as_of, policy=POLICY)
        got = {lag.number: {r.value for r in lag.rules} for lag in found}
        assert got == recount(data, quarter=quarter, as_of=as_of), quarter
    # the data set exercises every rule
    assert {"no_activity", "below_pace", "bottom_share"} <= set().union(*got.values())


async def test_only_enabled_rules_and_scope_narrows_who_not_whom_they_are_compared_with(db) -> None:
    data = await seed(db)
    q4, as_of = Quarter(2026, 4), date(2026, 11, 14)
    expected = recount(data, quarter=q4, as_of=as_of)
    async with db.session() as session:
        only_bottom = await laggards(session, quarter=q4, as_of=as_of, policy=POLICY, rules=[Rule.bottom_share])
        in_g1 = await laggards(session, quarter=q4, as_of=as_of, policy=POLICY,
                               scopes=[G1_PROVINCE])
    assert {lag.number for lag in only_bottom} == {n for n, r in expected.items() if "bottom_share" in r}
    g1_numbers = in_g1_province(data)
    assert g1_numbers < {m[1] for m in data["members"] if m[4] == data["g1"]}  # not the city's 第1界别活动组
    assert {lag.number: {r.value for r in lag.rules} for lag in in_g1} == {
        n: r for n, r in expected.items() if n in g1_numbers
    }


async def test_reminder_text_says_what_is_missing_and_what_fixes_it(db) -> None:
    await seed(db)
    now = shanghai(2026, 11, 14, 9, 0)
    async with db.session() as session:
        plan = await plan_occasion(session, occasion=Occasion.mid, quarter=Quarter(2026, 4), now=now, policy=POLICY)
    item = next(o for o in plan.outgoing if o.laggard and len(o.laggard.rules) == 3)
    lag = item.laggard
    assert f"{lag.name}委员" in item.text and "2026年第四季度" in item.text
    assert "本季度还没有登记联系活动" in item.text
    assert f"此时应达到 {lag.expected_people} 人次" in item.text and f"再联系 {lag.people_short} 人次" in item.text
    assert "后 10%" in item.text and lag.points_to_leave_bottom and lag.points_to_leave_bottom > 0


async def test_job_sends_each_occasion_once_and_catches_up_after_downtime(database_url, db, fake) -> None:
    data = await seed(db)
    application = build_application(make_settings(database_url, fake), rate_limit=False)
    await application.initialize()
    context = LianxinContext(application)

    async def keys() -> set[str]:
        async with db.session() as session:
            return set((await session.exec(select(OutboxMessage.key))).all())

    try:
        # the bot was down on 14 November at 09:00 and comes back on the 20th: mid is caught up, once
        with time_machine.travel(shanghai(2026, 11, 20, 10, 0), tick=False):
            await remind_due(context)
            after_first = await keys()
            await remind_due(context)  # a re-run, or a second process
            assert await keys() == after_first
        expected = recount(data, quarter=Quarter(2026, 4), as_of=date(2026, 11, 20))
        numbers = {m[0]: m[1] for m in data["members"]}
        bound = {m[1] for m in data["members"] if m[7] is not None}
        mid = {k for k in after_first if k.endswith(":2026Q4:mid")}
        assert {numbers[int(k.split(":")[1])] for k in mid} == set(expected) & bound
        assert set(expected) - bound  # someone lagging but unbound: listed in the dry run, never sent
        # down again through the whole late period and beyond: the late reminders are never sent late
        with time_machine.travel(shanghai(2027, 1, 1, 9, 30), tick=False):
            await remind_due(context)
        after = await keys()
        assert not any(k.endswith(":late") for k in after)
        ends = {k for k in after if k.startswith("quarter-end:")}
        assert ends == {f"quarter-end:{COORDINATOR}:2026Q4", f"quarter-end:{ADMIN_ID}:2026Q4"}
        async with db.session() as session:
            coordinator = (await session.exec(
                select(OutboxMessage).where(OutboxMessage.key == f"quarter-end:{COORDINATOR}:2026Q4"))).one()
        idle_g1 = {n for n, r in recount(data, quarter=Quarter(2026, 4), as_of=date(2026, 12, 31)).items()
                   if "no_activity" in r and n in in_g1_province(data)}
        assert all(n in coordinator.text for n in idle_g1) and str(len(idle_g1)) in coordinator.text
        other = {m[1] for m in data["members"]} - in_g1_province(data)
        assert not any(f"{n} " in coordinator.text for n in other)
        # the member sees their own reminder history
        member_id = int(next(iter(mid)).split(":")[1])
        async with db.session() as session:
            history = await reminder_history(session, member_id=member_id)
        assert [(h.quarter, h.occasion) for h in history] == [("2026Q4", Occasion.mid)]
    finally:
        await application.shutdown()
        await application.db.dispose()


async def test_two_runs_at_once_scan_once(db) -> None:
    await seed(db)
    now = shanghai(2026, 11, 14, 9, 5)

    async def run() -> bool:
        async with db.session() as session:
            plan = await run_due(session, now=now, policy=POLICY)
            await session.commit()
            return plan is not None

    import asyncio

    results = await asyncio.gather(run(), run())
    assert sorted(results) == [False, True]
    async with db.session() as session:
        keys = (await session.exec(select(OutboxMessage.key))).all()
    assert len(keys) == len(set(keys)) and keys


def test_cli_dry_run_then_send_once(database_url, capsys) -> None:
    import argparse
    import asyncio

    from bot.cli import remind as cli_remind
    from bot.config import Settings
    from bot.db import Database

    async def seeded() -> dict:
        database = Database(database_url)
        try:
            return await seed(database)
        finally:
            await database.dispose()

    data = asyncio.run(seeded())
    parser = argparse.ArgumentParser()
    cli_remind.add_parser(parser.add_subparsers(dest="command"))
    settings = Settings(_env_file=None, database_url=database_url, admin_ids=[ADMIN_ID])  # type: ignore[call-arg]

    def run(*argv: str) -> tuple[int, str]:
        code = cli_remind.run(settings, parser.parse_args(["remind", *argv]))
        return code, capsys.readouterr().out

    with time_machine.travel(shanghai(2026, 11, 14, 10, 0), tick=False):
        code, out = run("--occasion", "mid", "--quarter", "2026Q4", "--dry-run")
        assert code == 0
        expected = recount(data, quarter=Quarter(2026, 4), as_of=date(2026, 11, 14))
        lines = out.strip().splitlines()
        assert f"{len(expected)} 位委员需要提醒" in lines[0]
        # the pace a member is behind, said as what it is
        assert re.search(r"人次落后进度（今年 \d+ 人次，应达进度 \d+ 人次）", out) and "/" not in out.replace("-", "")
        assert {line.split("\t")[0] for line in lines[1:]} == set(expected)
        assert any("未绑定" in line for line in lines) and all("已写入" not in line for line in lines)
        code, out = run("--occasion", "mid", "--quarter", "2026Q4", "--send")
        bound = {m[1] for m in data["members"] if m[7] is not None}
        assert code == 0 and f"已写入发件箱 {len(set(expected) & bound)} 条，另有 0 条" in out
        code, out = run("--occasion", "mid", "--quarter", "2026Q4", "--send")
        assert f"已写入发件箱 0 条，另有 {len(set(expected) & bound)} 条" in out
        code, out = run("--occasion", "mid", "--quarter", "2026Q4", "--dry-run")
        assert "已写入发件箱（待发送）" in out
        code, out = run("--occasion", "quarter-end", "--quarter", "2026Q3", "--dry-run")
        assert code == 0 and str(COORDINATOR) in out and str(ADMIN_ID) in out
        # the lists go to coordinators (and admins), never "委员"; named as such on every line
        head, *lines = out.strip().splitlines()
        assert head == "2026Q3 季度结束名单（按 2026-09-30 的数据）：协调员 1 人、管理员 1 人将收到名单"
        assert any(line.startswith(f"{COORDINATOR}\t协调员\t范围内 ") for line in lines)
        assert any(line.startswith(f"{ADMIN_ID}\t管理员\t") for line in lines)
        # a quarter that has not ended: a preview as of today, not "the data of" its last day
        code, out = run("--occasion", "quarter-end", "--quarter", "2026Q4", "--dry-run")
        head = out.splitlines()[0]
        assert head.startswith("2026Q4 季度结束名单预览：本季度到 2026-12-31 才结束，以下按今天（2026-11-14）的数据")
        assert "按 2026-12-31 的数据" not in out and "委员需要提醒" not in head
        assert run("--occasion", "mid", "--quarter", "2026年第四季度", "--dry-run")[0] == 0
        code = cli_remind.run(settings, parser.parse_args(["remind", "--occasion", "mid", "--quarter", "2026Q5",
                                                            "--dry-run"]))
        assert code == 1 and "一年只有第 1 至第 4 季度" in capsys.readouterr().err
