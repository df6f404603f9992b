"""The statistics behind /stats and /ranking, on SQLite and PostgreSQL: every figure equals an independent
recount over the seeded rows (tests/stats_world.py), for admins and coordinators, per period and drill-down."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from bot.services.ranking import duty_ranking, responsiveness
from bot.services.reminders import DutyPolicy
from bot.services.rules import Period
from bot.services.scopes import Committee, Scope
from bot.services.stats import (
    Dimension,
    DrillDown,
    OutOfScope,
    breakdown,
    group_drill_value,
    parse_group_drill,
    stats_summary,
)
from models import Level, ScopeKind
from tests.stats_world import (
    COUNTY_COMMITTEE,
    GROUP_COMMITTEE,
    TZ,
    World,
    allowed,
    recount_breakdown,
    recount_ranking,
    recount_responsiveness,
    recount_summary,
    seed_world,
    shanghai,
)

POLICY = DutyPolicy(tz=TZ)
NOW = shanghai(2026, 11, 20, 10, 30)


def group(name: str, committee: tuple[str, str | None]) -> Scope:
    return Scope(ScopeKind.group, name, Committee(Level(committee[0]), committee[1]))


def scope_sets(world: World) -> list[tuple[list[Scope] | None, list[tuple] | None]]:
    """Everything; 第1活动组 of two committees (the same name: different members, different figures);
    a region; a sector with a group; a group grant naming no committee (nobody)."""
    return [
        (None, None),
        ([group("第1活动组", GROUP_COMMITTEE)], [("group", "第1活动组", GROUP_COMMITTEE)]),
        ([Scope(ScopeKind.region, "甘肃省/兰州市")], [("region", "甘肃省/兰州市")]),
        ([Scope(ScopeKind.sector, world.sectors[min(world.sectors)]), group("第2活动组", ("province", "甘肃省"))],
         [("sector", world.sectors[min(world.sectors)]), ("group", "第2活动组", ("province", "甘肃省"))]),
        ([group("第1活动组", COUNTY_COMMITTEE)], [("group", "第1活动组", COUNTY_COMMITTEE)]),
        ([Scope(ScopeKind.group, "第1活动组")], [("group", "第1活动组")]),
    ]


def group_drill(world: World, name: str, level: str, path: str | None) -> tuple[DrillDown, tuple]:
    """A drill-down into one group on one committee, and the recount's (group id, level, region id)."""
    group_id, region_id = world.group_id(name), (world.region_id(path) if path else None)
    value = f"{group_id}.{['national', 'province', 'city', 'county'].index(level)}.{region_id or 0}"
    return DrillDown(Dimension.group, value), ("group", (group_id, level, region_id))


def drills(world: World) -> list[tuple[DrillDown | None, tuple | None]]:
    """…; 第2活动组 of the province; 第1活动组 of the county committee (outside the city's 第1活动组 scope)."""
    return [
        (None, None),
        group_drill(world, "第2活动组", "province", "甘肃省"),
        group_drill(world, "第1活动组", *COUNTY_COMMITTEE),
        group_drill(world, "第3活动组", "province", None),
        (DrillDown(Dimension.sector, max(world.sectors)), ("sector", max(world.sectors))),
        (DrillDown(Dimension.region, world.region_id("甘肃省/兰州市")), ("region", world.region_id("甘肃省/兰州市"))),
        (DrillDown(Dimension.region, world.region_id("甘肃省/天水市")), ("region", world.region_id("甘肃省/天水市"))),
        (DrillDown(Dimension.kind, "visit"), ("kind", "visit")),
    ]


PERIODS = [Period(2026, 4), Period(2026, 3), Period(2026), Period(2025, 4), Period(2025)]


def close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, abs_tol=0.01))


async def test_summary_equals_the_recount_for_every_scope_period_and_drill(db) -> None:
    world = await seed_world(db, now=NOW)
    refused = 0
    for scopes, plain_scopes in scope_sets(world):
        for drill, plain_drill in drills(world):
            for period in PERIODS:
                async with db.session() as session:
                    if not allowed(world, plain_scopes, plain_drill):
                        with pytest.raises(OutOfScope):
                            await stats_summary(session, period=period, now=NOW, policy=POLICY, scopes=scopes,
                                                drill=drill)
                        refused += 1
                        continue
                    got = await stats_summary(session, period=period, now=NOW, policy=POLICY, scopes=scopes,
                                              drill=drill)
                want = recount_summary(world, period=(period.year, period.q), scopes=plain_scopes, drill=plain_drill)
                m = got.members
                assert (m.members, m.bound, m.with_activity, m.on_pace, m.blocked, m.unbound, m.expected_people) == (
                    want["members"], want["bound"], want["with_activity"], want["on_pace"], want["blocked"],
                    want["unbound"], want["expected"]), (scopes, drill, period)
                assert {r.kind: (r.activities, r.people) for r in got.by_kind} == want["by_kind"]
                if want["cases"] is None:
                    assert got.cases is None
                    continue

                def shown(c):
                    return {"received": c.received, "open": c.open, "overdue": c.overdue, "resolved": c.resolved,
                            "confirmed": c.confirmed,
                            "rating": None if c.average_rating is None else round(c.average_rating, 1)}

                assert shown(got.cases) == want["cases"], (scopes, drill, period)
                assert {c.category: shown(c) for c in got.case_categories} == want["categories"]
    # the data set exercises what it should: refusals, and every case figure non-zero somewhere
    assert refused > 0
    async with db.session() as session:
        everything = await stats_summary(session, period=Period(2026), now=NOW, policy=POLICY)
    c = everything.cases
    assert min(c.received, c.open, c.overdue, c.resolved, c.confirmed) > 0 and c.average_rating is not None
    assert everything.members.blocked > 0 and everything.members.unbound > 0
    assert 0 < everything.members.on_pace < everything.members.members


async def test_breakdowns_equal_the_recount(db) -> None:
    world = await seed_world(db, now=NOW)
    for scopes, plain_scopes in scope_sets(world)[:3]:
        for drill, plain_drill in drills(world):
            if not allowed(world, plain_scopes, plain_drill):
                continue
            for dimension in Dimension:
                for period in (Period(2026, 4), Period(2026)):
                    async with db.session() as session:
                        got = await breakdown(session, period=period, dimension=dimension, scopes=scopes, drill=drill)
                    want = recount_breakdown(world, period=(period.year, period.q), scopes=plain_scopes,
                                             drill=plain_drill, dimension=dimension.value, parent=got.parent)
                    assert {r.key: (r.members, r.active_members, r.activities, r.people) for r in got.rows} == want, (
                        scopes, drill, dimension, period)
    # groups: one row per group and committee, labelled with the committee, in natural order, no group last
    async with db.session() as session:
        groups = await breakdown(session, period=Period(2026), dimension=Dimension.group)
    names = [r.name for r in groups.rows]
    assert names[-1] is None and len(names) == len(set(names)) > 3
    assert "第1活动组（市·甘肃省/兰州市）" in names and "第1活动组（县·甘肃省/兰州市/城关区）" in names
    levels = "全省市县"  # a group's committees: province, then city, then county
    assert names[:-1] == sorted(names[:-1], key=lambda n: (int(n[1]), levels.index(n[6]), n))  # 第1… before 第2…
    # a region drill-down lists the regions below it; a scope inside one region starts where members split
    lanzhou = world.region_id("甘肃省/兰州市")
    async with db.session() as session:
        inside = await breakdown(session, period=Period(2026), dimension=Dimension.region,
                                 drill=DrillDown(Dimension.region, lanzhou))
        scoped = await breakdown(session, period=Period(2026), dimension=Dimension.region,
                                 scopes=[Scope(ScopeKind.region, "甘肃省/兰州市")])
    assert inside.parent == lanzhou and {r.name for r in inside.rows} == {"城关区", None}
    assert scoped.parent == lanzhou and scoped.parent_name == "甘肃省/兰州市"


async def test_ranking_places_equal_the_recount_ties_share_a_place(db) -> None:
    world = await seed_world(db, now=NOW)
    for scopes, plain_scopes in scope_sets(world):
        for period in (Period(2026, 4), Period(2026), Period(2025)):
            want = recount_ranking(world, period=(period.year, period.q), scopes=plain_scopes)
            got = []
            async with db.session() as session:
                offset = 0
                while True:
                    page = await duty_ranking(session, period=period, scopes=scopes, offset=offset, limit=7)
                    got += [(r.rank, r.number, r.points) for r in page.rows]
                    offset += 7
                    if offset >= page.total:
                        break
            assert got == want, (scopes, period)
            assert page.placed == sum(1 for r in want if r[0] is not None)
    places = [r[0] for r in recount_ranking(world, period=(2026, None), scopes=None) if r[0] is not None]
    assert len(places) != len(set(places))  # ties exist, and share a place


async def test_responsiveness_equals_the_recount(db) -> None:
    world = await seed_world(db, now=NOW)
    for scopes, plain_scopes in scope_sets(world):
        for period in (Period(2026), Period(2025), Period(2026, 3)):
            want = recount_responsiveness(world, period=(period.year, period.q), scopes=plain_scopes)
            async with db.session() as session:
                rows, total = await responsiveness(session, period=period, tz=TZ, scopes=scopes, limit=1000)
                first, _ = await responsiveness(session, period=period, tz=TZ, scopes=scopes, limit=3)
            assert total == len(want) and first == rows[:3]
            assert {r.number for r in rows} == set(want)
            for row in rows:
                w = want[row.number]
                assert (row.cases, row.resolved, row.confirmed) == (w["cases"], w["resolved"], w["confirmed"])
                assert close(row.median_hours_to_accept, w["accept"]), (row, w)
                assert close(row.median_hours_to_resolve, w["resolve"]), (row, w)
                assert close(row.average_rating, w["rating"])
            rates = [r.resolution_rate or 0 for r in rows]
            assert rates == sorted(rates, reverse=True)
    # even and odd counts both occur, so the median's two middle rows are exercised
    counts = {w["resolved"] for w in recount_responsiveness(world, period=(2026, None), scopes=None).values()}
    assert any(n % 2 == 0 and n > 0 for n in counts) and any(n % 2 for n in counts)


def test_period_switching_across_a_year_boundary() -> None:
    q1 = Period.parse("2026Q1")
    assert q1.prev() == Period(2025, 4) and q1.prev().label == "2025Q4" and Period(2025, 4).next() == q1
    assert Period.parse("2026") == Period(2026) and Period(2026).prev() == Period(2025)
    assert (Period(2025).first_day.isoformat(), Period(2025).last_day.isoformat()) == ("2025-01-01", "2025-12-31")
    assert Period(2026, 1).end(TZ) - Period(2026, 1).start(TZ) == timedelta(days=90)
    for bad in ("2026Q5", "26", "２０２６", "2026Q", ""):
        with pytest.raises(ValueError):
            Period.parse(bad)


def test_stats_and_ranking_callback_data_round_trip_and_refuse_anything_else() -> None:
    from bot.callbacks import MAX_BYTES, RankButton, RankView, StatsButton, StatsDim, StatsView

    widest = StatsButton(StatsView.list, "2026Q4", StatsDim.region, str(2**63 - 1), StatsDim.region, 1_000_000)
    assert len(widest.pack().encode()) <= MAX_BYTES and StatsButton.parse(widest.pack()) == widest
    for button in (StatsButton(StatsView.summary, "2026"), StatsButton(StatsView.chart, "2025Q1", StatsDim.kind, "visit"),
                   RankButton(RankView.cases, "2026Q1", 20),
                   StatsButton(StatsView.list, "2026Q4", StatsDim.group, group_drill_value(12, Level.county, 345),
                               StatsDim.region, 1_000_000)):
        assert type(button).parse(button.pack()) == button
    # a group is always on one committee: a bare group id (a button made before) is stale, not the whole name
    assert StatsButton.parse("st:s:2026:g:5:-:0") is None
    assert StatsButton.parse(f"st:s:2026:g:{group_drill_value(5, Level.province, None)}:-:0") is not None
    assert parse_group_drill("5.1.0") == (5, Level.province, None) and parse_group_drill("5.3.7") == (5, Level.county, 7)
    assert all(parse_group_drill(bad) is None for bad in ("0.1.0", "5.4.0", "5.1", "5.1.0.1", "a.1.0", "5.１.0"))
    for data in ("st:s:2026Q5:-:0:-:0", "st:s:2026:g:abc:-:0", "st:s:2026:g:0:-:0", "st:l:2026:-:0:-:0",
                 "st:s:2026:k:Visit!:-:0", "st:s:2026:x:1:-:0", "st:s:2026:-:7:-:0", "st:s:2026:g:１:-:0",
                 "st:s:2026:g:99999999999999999999:-:0", "st:s:2026", "rk:x:2026:0", "rk:p:2026:-1", "rk:p:26:0"):
        assert StatsButton.parse(data) is None and RankButton.parse(data) is None, data
