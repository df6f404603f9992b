"""Group scopes name their committee: 第1活动组 of the city committee and of a county committee are two
groups to a coordinator. The scope rule, the bot end to end (/stats, /laggards, /export, forged buttons),
the migration of grants made before committees were recorded, and `roles grant` / `roles list`."""

from __future__ import annotations

import asyncio
import io
import logging
import math
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.callbacks import LagAction, LagButton, StatsButton, StatsDim, StatsView
from bot.cli import main
from bot.db import migrate, sync_engine, upgrade
from bot.services.access import overview
from bot.services.identity import identify
from bot.services.rules import Period, Quarter, local_today
from bot.services.scopes import Committee, Scope, case_in_scopes, member_in_scopes
from bot.services.stats import stats_summary
from models import AuditEvent, Case, Level, Member, RoleGrant, ScopeKind, utcnow
from tests.conftest import offline_settings
from tests.stats_world import (
    COORD_GROUP,
    COORD_GROUP_COUNTY,
    COUNTY_COMMITTEE,
    GROUP_COMMITTEE,
    TZ,
    World,
    in_scopes,
    recount_summary,
    seed_world,
)
from tests.support.sheets import body

CITY = Scope(ScopeKind.group, "第1活动组", Committee(Level.city, "甘肃省/兰州市"))
COUNTY = Scope(ScopeKind.group, "第1活动组", Committee(Level.county, "甘肃省/兰州市/城关区"))
UNRESOLVED = Scope(ScopeKind.group, "第1活动组")


def committee_members(world: World, committee: tuple[str, str | None], *, group: str = "第1活动组") -> set[str]:
    """The recount: numbers of the group's members on that committee (level, region path), active or not."""
    return {m["number"] for m in world.members
            if world.groups.get(m["group"]) == group and (m["level"], world.regions.get(m["region"])) == committee}


# --- the rule --------------------------------------------------------------------------------------


async def test_same_named_group_on_two_committees_is_two_scopes(db) -> None:
    world = await seed_world(db, now=datetime(2026, 11, 20, 2, 30, tzinfo=UTC))
    city, county = committee_members(world, GROUP_COMMITTEE), committee_members(world, COUNTY_COMMITTEE)
    everywhere = {m["number"] for m in world.members if world.groups.get(m["group"]) == "第1活动组"}
    assert city and county and not city & county and city | county < everywhere
    async with db.session() as session:
        async def numbers(scopes: list[Scope]) -> set[str]:
            return set((await session.exec(select(Member.number).where(member_in_scopes(scopes)))).all())

        assert await numbers([CITY]) == city
        assert await numbers([COUNTY]) == county
        assert await numbers([CITY, COUNTY]) == city | county
        assert await numbers([UNRESOLVED]) == set()  # naming no committee: nobody, never every committee
        # overview (/status) counts the active ones, by the same rule
        for scope, committee in ((CITY, GROUP_COMMITTEE), (COUNTY, COUNTY_COMMITTEE)):
            active = {m["number"] for m in world.members if m["active"] and m["number"] in committee_members(world, committee)}
            assert (await overview(session, [scope])).members == len(active)
        assert (await overview(session, [UNRESOLVED])).members == 0
        # cases: only those handled by the committee's own members
        ids = {m["id"]: m["number"] for m in world.members}
        cases = (await session.exec(select(Case.id, Case.member_id))).all()
        for scope, mine in ((CITY, city), (COUNTY, county)):
            want = {cid for cid, member_id in cases if ids.get(member_id) in mine}
            assert set((await session.exec(select(Case.id).where(case_in_scopes([scope])))).all()) == want
        # /stats figures: each committee's equal the recount for it, and they are not the same figures
        now = datetime(2026, 11, 20, 2, 30, tzinfo=UTC)
        from bot.services.reminders import DutyPolicy

        shown = {}
        for scope, plain in ((CITY, GROUP_COMMITTEE), (COUNTY, COUNTY_COMMITTEE)):
            summary = await stats_summary(session, period=Period(2026), now=now, policy=DutyPolicy(tz=TZ),
                                          scopes=[scope])
            want = recount_summary(world, period=(2026, None), scopes=[("group", "第1活动组", plain)], drill=None)
            assert summary.members.members == want["members"]
            assert {r.kind: (r.activities, r.people) for r in summary.by_kind} == want["by_kind"]
            shown[plain] = (summary.members.members, {r.kind: (r.activities, r.people) for r in summary.by_kind})
        assert shown[GROUP_COMMITTEE] != shown[COUNTY_COMMITTEE]


# --- end to end --------------------------------------------------------------------------------------


@pytest.fixture
async def world(db, app) -> World:
    return await seed_world(db, now=utcnow())


def lagging(world: World, committee: tuple[str, str | None]) -> set[str]:
    """Independently: active members of the committee's 第1活动组 with nothing this quarter or behind the 人次 pace."""
    day = local_today(utcnow(), TZ)
    quarter = Quarter.of(day)
    days = (date(day.year, 12, 31) - date(day.year, 1, 1)).days + 1
    expected = math.ceil(40 * day.timetuple().tm_yday / days - 1e-9)
    mine = committee_members(world, committee)
    result = set()
    for m in world.members:
        if not m["active"] or m["number"] not in mine:
            continue
        live = [a for a in world.activities if a["live"] and a["member"] == m["id"]]
        in_quarter = [a for a in live if Quarter.of(a["day"]) == quarter]
        if not in_quarter or sum(a["people"] for a in live if a["day"].year == day.year) < expected:
            result.add(m["number"])
    return result


async def test_a_committees_group_coordinator_sees_only_that_committee(fake, world, caplog) -> None:
    q = Quarter.of(local_today(utcnow(), TZ))
    city, county = committee_members(world, GROUP_COMMITTEE), committee_members(world, COUNTY_COMMITTEE)
    others = {m["number"] for m in world.members} - city
    figures = {}
    for telegram_id, committee, label in ((COORD_GROUP, GROUP_COMMITTEE, "市·甘肃省/兰州市"),
                                          (COORD_GROUP_COUNTY, COUNTY_COMMITTEE, "县·甘肃省/兰州市/城关区")):
        coordinator = fake.user(telegram_id)
        await coordinator.send("/stats")
        message = await coordinator.expect_message()
        assert f"范围：活动组：第1活动组（{label}）" in message.text
        want = recount_summary(world, period=(q.year, q.q), scopes=[("group", "第1活动组", committee)], drill=None)
        assert f"在册 {want['members']}，" in message.text
        figures[committee] = message.text.split("\n", 3)[-1]
        await coordinator.send("/laggards")
        page = await coordinator.expect_message()
        behind = lagging(world, committee)
        members = committee_members(world, committee)
        listed = {m["number"] for m in world.members if f"（{m['number']}" in page.text}
        assert listed == behind and listed <= members, page.text
    assert figures[GROUP_COMMITTEE] != figures[COUNTY_COMMITTEE]

    coordinator = fake.user(COORD_GROUP)
    # forged: a drill-down into the county committee's region, a nudge for a county member
    caplog.set_level(logging.WARNING)
    district = world.region_id("甘肃省/兰州市/城关区")
    await coordinator.press_data(StatsButton(StatsView.summary, q.label, StatsDim.region, str(district)).pack())
    answer = await coordinator.expect_answer()
    assert answer.show_alert and "不在您的权限内" in answer.text
    assert any("refused" in r.getMessage() for r in caplog.records)
    await coordinator.send("/laggards")
    anchor = await coordinator.expect_message()
    target = next(m for m in world.members if m["number"] in county and m["active"])
    caplog.clear()
    forged = LagButton(LagAction.nudge, target["id"], 0).pack()
    await coordinator.press_data(forged, message=anchor)
    assert "不在您的管理范围内" in (await coordinator.expect_answer()).text
    assert any(forged in r.getMessage() for r in caplog.records)
    # /export: the members sheet has the city committee's members only
    await coordinator.send("/export")
    menu = await coordinator.expect_message()
    await coordinator.press("👥 委员名单", message=menu)
    await coordinator.expect_edit()
    await coordinator.press("本季度", message=menu)
    document = await coordinator.expect_message(timeout=60)
    rows = body(load_workbook(io.BytesIO(document.document_bytes)).worksheets[0])
    active_city = {m["number"] for m in world.members if m["active"] and m["number"] in city}
    assert {r[0] for r in rows} == active_city and not {r[0] for r in rows} & others
    assert all(in_scopes(world, next(m for m in world.members if m["number"] == r[0]),
                         [("group", "第1活动组", GROUP_COMMITTEE)]) for r in rows)


# --- the migration -------------------------------------------------------------------------------------


async def run(argv: list[str], settings) -> int:
    """The CLI from an async test (it runs its own event loop)."""
    return await asyncio.to_thread(main, argv, settings)


def _seed_before_0009(url: str) -> None:
    """At revision 0008: 第1活动组 on two committees, 第2活动组 on one, 第3活动组 on none, 第4活动组 on the
    committee of members without a region; group grants by name only, and a sector grant."""
    engine = sync_engine(url)
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO region (path, name, depth) VALUES ('甘肃省', '甘肃省', 1)"))
            province = c.execute(text("SELECT id FROM region WHERE path = '甘肃省'")).scalar_one()
            c.execute(text("INSERT INTO region (path, name, depth, parent_id) VALUES ('甘肃省/兰州市', '兰州市', 2, :p)"),
                      {"p": province})
            city = c.execute(text("SELECT id FROM region WHERE path = '甘肃省/兰州市'")).scalar_one()
            for name in ("第1活动组", "第2活动组", "第3活动组", "第4活动组"):
                c.execute(text("INSERT INTO activitygroup (name) VALUES (:n)"), {"n": name})
            group = dict(c.execute(text("SELECT name, id FROM activitygroup")).all())
            sector = c.execute(text("SELECT MIN(id) FROM sector")).scalar_one()
            members = [("M1", "第1活动组", "province", province, True), ("M2", "第1活动组", "city", city, True),
                       ("M3", "第2活动组", "city", city, True), ("M4", "第2活动组", "city", city, False),
                       ("M5", "第4活动组", "province", None, True)]
            for number, name, level, region, active in members:
                c.execute(text(
                    "INSERT INTO member (number, name, level, sector_id, activity_group_id, region_id, active, "
                    "created_at, updated_at, open_cases, case_assigned_us) VALUES (:number, '委员', :level, :sector, "
                    ":group, :region, :active, '2026-01-01', '2026-01-01', 0, 0)"),
                    {"number": number, "level": level, "sector": sector, "group": group[name], "region": region,
                     "active": active})
            for telegram_id, kind, value in ((1, "group", "第1活动组"), (2, "group", "第2活动组"), (3, "group", "第3活动组"),
                                             (4, "sector", "中国共产党"), (5, "group", "第4活动组"), (1, "group", "第2活动组")):
                c.execute(text("INSERT INTO rolegrant (telegram_id, role, scope_kind, scope_value, granted_at) "
                               "VALUES (:t, 'coordinator', :k, :v, '2026-01-01')"), {"t": telegram_id, "k": kind, "v": value})
    finally:
        engine.dispose()


def _grants(url: str) -> list[tuple]:
    engine = sync_engine(url)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(text(
                "SELECT telegram_id, scope_value, committee_level, committee_region FROM rolegrant "
                "ORDER BY telegram_id, scope_value, committee_level, committee_region"))]
    finally:
        engine.dispose()


async def test_the_migration_records_unambiguous_committees_only(database_url, capsys) -> None:
    migrate(database_url, "0008", down=True)
    _seed_before_0009(database_url)
    upgrade(database_url)
    assert _grants(database_url) == [
        (1, "第1活动组", None, None),  # two committees: left for an admin, covers nobody meanwhile
        (1, "第2活动组", "city", "甘肃省/兰州市"),  # one committee (an inactive member's counts: the same one)
        (2, "第2活动组", "city", "甘肃省/兰州市"),
        (3, "第3活动组", None, None),  # no member at all: nothing to record
        (4, "中国共产党", None, None),
        (5, "第4活动组", "province", None),  # the committee of members without a region
    ]
    from bot.db import Database

    db = Database(database_url)
    try:
        async with db.session() as session:
            one = await identify(session, 1, [])
            assert sorted(s.unresolved for s in one.scopes) == [False, True]
            assert (await overview(session, one.scopes)).members == 1  # M3; not M1/M2 of 第1活动组
            five = await identify(session, 5, [])
            assert (await overview(session, five.scopes)).members == 1  # M5, no region
        # one grant per scope: the same committee twice is refused; another committee of the name is not
        async with db.session() as session:
            session.add(RoleGrant(telegram_id=2, scope_kind=ScopeKind.group, scope_value="第2活动组",
                                  committee_level=Level.city, committee_region="甘肃省/兰州市"))
            with pytest.raises(IntegrityError):
                await session.commit()
        async with db.session() as session:
            session.add(RoleGrant(telegram_id=2, scope_kind=ScopeKind.group, scope_value="第2活动组",
                                  committee_level=Level.province, committee_region="甘肃省"))
            await session.commit()
    finally:
        await db.dispose()

    # roles list flags what covers nobody; the grant command names the committee and fixes the grant
    settings = offline_settings(database_url)
    capsys.readouterr()
    assert await run(["roles", "list"], settings) == 0
    out, err = capsys.readouterr()
    assert "1\t协调员\t活动组\t第1活动组\t⚠ 未指明" in out and "3\t协调员\t活动组\t第3活动组\t⚠ 未指明" in out
    assert "1\t协调员\t活动组\t第2活动组\t市·甘肃省/兰州市" in out and "5\t协调员\t活动组\t第4活动组\t省·未填地区" in out
    assert "有 2 项活动组权限未指明委员会" in err
    assert await run(["roles", "grant", "1", "--group", "第1活动组"], settings) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 1 and err.splitlines()[-1].startswith("活动组「第1活动组」在多个委员会中都有：省·甘肃省、市·甘肃省/兰州市；")
    assert await run(["roles", "grant", "1", "--group", "第1活动组", "--level", "市"], settings) == 0
    assert "指明委员会：市·甘肃省/兰州市" in capsys.readouterr().out
    assert (1, "第1活动组", "city", "甘肃省/兰州市") in _grants(database_url)
    assert (1, "第1活动组", None, None) not in _grants(database_url)  # the same grant, now with its committee
    assert await run(["roles", "list"], settings) == 0
    assert "有 1 项活动组权限未指明委员会" in capsys.readouterr().err  # 第3活动组's is left
    # a group on one committee needs no committee given: it is recorded all the same
    assert await run(["roles", "grant", "6", "--group", "第4活动组"], settings) == 0
    assert "（活动组：第4活动组（省·未填地区））" in capsys.readouterr().out
    assert (6, "第4活动组", "province", None) in _grants(database_url)
    # a group without members has no committee to name
    assert await run(["roles", "grant", "6", "--group", "第3活动组"], settings) == 1
    assert "在名册中还没有委员" in capsys.readouterr().err


def test_a_downgrade_keeps_one_grant_per_name(database_url) -> None:
    engine = sync_engine(database_url)
    try:
        with engine.begin() as c:
            for level, region in (("city", "甘肃省/兰州市"), ("county", "甘肃省/兰州市/城关区")):
                c.execute(text("INSERT INTO rolegrant (telegram_id, role, scope_kind, scope_value, committee_level, "
                               "committee_region, granted_at) VALUES (9, 'coordinator', 'group', '第1活动组', :l, :r, "
                               "'2026-01-01')"), {"l": level, "r": region})
    finally:
        engine.dispose()
    migrate(database_url, "0008", down=True)
    engine = sync_engine(database_url)
    try:
        with engine.connect() as c:
            assert c.execute(text("SELECT COUNT(*) FROM rolegrant WHERE telegram_id = 9")).scalar_one() == 1
    finally:
        engine.dispose()
    upgrade(database_url)


# --- the grant command ------------------------------------------------------------------------------


@pytest.fixture
def cli(database_url, roster):
    return offline_settings(database_url)


def _audit_count(url: str) -> int:
    engine = sync_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(select(AuditEvent.id)).all().__len__()
    finally:
        engine.dispose()


def test_grant_requires_the_committee_when_the_name_is_ambiguous(cli, database_url, capsys) -> None:
    before = (_grants(database_url), _audit_count(database_url))
    # 第1界别活动组 of the sample roster: 省·甘肃省, 市 × 2, 县 × 2
    for argv, problem in (
        (["--group", "第1界别活动组"], "在多个委员会中都有：省·甘肃省、市·甘肃省/临夏回族自治州、市·甘肃省/天水市、"
                                      "县·甘肃省/天水市/秦州区、县·甘肃省/庆阳市/西峰区；"),
        (["--group", "第1界别活动组", "--level", "市"], "在多个委员会中都有：市·甘肃省/临夏回族自治州、市·甘肃省/天水市；"),
        (["--group", "第1界别活动组", "--level", "县", "--committee-region", "兰州市"], "没有符合所给层级/地区的委员会"),
        (["--group", "第1界别活动组", "--committee-region", "没有这个地区"], "未知地区「没有这个地区」"),
        (["--sector", "民进", "--level", "市"], "只用于 --group"),
    ):
        assert main(["roles", "grant", "42", *argv], settings=cli) == 1, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert problem in err[-1] and "没有做任何改动" in err[-1] or problem.startswith("未知地区") and problem in err[-1], err
    assert main(["roles", "grant", "42", "--group", "第1界别活动组", "--level", "乡"], settings=cli) == 2
    assert "不是层级" in capsys.readouterr().err
    assert (_grants(database_url), _audit_count(database_url)) == before  # nothing written by any refusal

    # the committee named: a short region works as for region scopes; granting twice changes nothing
    assert main(["roles", "grant", "42", "--group", "第1界别活动组", "--level", "县", "--committee-region", "秦州区"],
                settings=cli) == 0
    assert "已授予 42 协调员权限（活动组：第1界别活动组（县·甘肃省/天水市/秦州区））" in capsys.readouterr().out
    assert main(["roles", "grant", "42", "--group", "第1界别活动组", "--level", "县", "--committee-region",
                 "甘肃省/天水市/秦州区"], settings=cli) == 0
    assert "已有该协调员权限" in capsys.readouterr().out
    # the same group of another committee is a second grant
    assert main(["roles", "grant", "42", "--group", "第1界别活动组", "--level", "省"], settings=cli) == 0
    capsys.readouterr()
    grants = [g for g in _grants(database_url) if g[0] == 42]
    assert grants == [(42, "第1界别活动组", "county", "甘肃省/天水市/秦州区"), (42, "第1界别活动组", "province", "甘肃省")]
