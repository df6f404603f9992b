"""End to end: /stats and /ranking through the fake Bot API for an admin, a coordinator of one activity group
and a coordinator of a region. Every figure shown is parsed from the message and compared with an independent
recount over the seeded rows (tests/stats_world.py); forged drill-downs for another scope are refused and logged."""

from __future__ import annotations

import logging
import re

import pytest

from bot.callbacks import RankButton, RankView, StatsButton, StatsDim, StatsView
from bot.config import DEFAULT_ACTIVITY_KINDS
from bot.services.rules import Quarter
from models import utcnow
from tests.conftest import ADMIN_ID
from tests.stats_world import (
    COORD_GROUP,
    COORD_REGION,
    GROUP_COMMITTEE,
    TZ,
    World,
    in_period,
    recount_breakdown,
    recount_ranking,
    recount_responsiveness,
    recount_summary,
    seed_world,
)
from tests.support.fake_telegram import image_size

KIND_NAMES = {k.code: k.name for k in DEFAULT_ACTIVITY_KINDS}
GROUP_SCOPE = [("group", "第1活动组", GROUP_COMMITTEE)]
REGION_SCOPE = [("region", "甘肃省/兰州市")]

MEMBERS = re.compile(r"在册 (\d+)，已绑定 (\d+)，这一(?:季度|年)有活动 (\d+)，\d{4}年人次达进度 (\d+)"
                     r"（应达进度 (\d+) 人次：全年 40 人次按天数折算到 \d{4}-\d\d-\d\d）\n无法送达：未绑定 (\d+)，已屏蔽 (\d+)")
KIND_LINE = re.compile(r"^· (.+)：(\d+) 次，(\d+) 人次$", re.M)
CASES = re.compile(r"收到 (\d+)，未办结 (\d+)，其中超期 (\d+)，已办结 (\d+)，群众确认解决 (\d+)，平均评分 (\S+)")
LIST_LINE = re.compile(r"^(.+)：委员 (\d+)，有活动 (\d+)，活动 (\d+) 次，(\d+) 人次$", re.M)
RANK_LINE = re.compile(r"^(\d+|—)\. 委员\d+（(S\d+)，.+?）([\d.]+) 分 · (\d+) 次 · (\d+) 人次$", re.M)
KIND_LIST_LINE = re.compile(r"^(.+)：(\d+) 位委员登记 (\d+) 次，(\d+) 人次$", re.M)
RESPONSE_LINE = re.compile(r"^\d+\. 委员\d+（(S\d+)）收到 (\d+) · 接收 (\S+) · 办结 (\S+) · 办结率 (\S+) · 确认率 (\S+) · "
                           r"评分 (\S+)$", re.M)


@pytest.fixture
async def world(db, app) -> World:
    return await seed_world(db, now=utcnow())


def current() -> Quarter:
    return Quarter.of(utcnow().astimezone(TZ).date())


def shown_summary(text: str) -> dict:
    members, bound, active, on_pace, expected, unbound, blocked = map(int, MEMBERS.search(text).groups())
    result = {"members": members, "bound": bound, "with_activity": active, "on_pace": on_pace,
              "expected": expected, "unbound": unbound, "blocked": blocked,
              "by_kind": {name: (int(n), int(p)) for name, n, p in KIND_LINE.findall(text)}, "cases": None}
    found = CASES.search(text)
    if found:
        *counts, rating = found.groups()
        result["cases"] = dict(zip(("received", "open", "overdue", "resolved", "confirmed"), map(int, counts)),
                               rating=None if rating == "—" else float(rating))
    return result


def expected_summary(world: World, *, period, scopes, drill=None) -> dict:
    want = recount_summary(world, period=period, scopes=scopes, drill=drill)
    return {key: want[key] for key in ("members", "bound", "with_activity", "on_pace", "expected", "unbound",
                                       "blocked")} | {
        "by_kind": {KIND_NAMES[k]: v for k, v in want["by_kind"].items()}, "cases": want["cases"]}


def group_name(world: World, key: str | None) -> str:
    """A group row's label from the recount's key (`<group id>.<level>.<region id>`): the group on its committee."""
    if key is None:
        return "（未分组）"
    group_id, level, region_id = map(int, key.split("."))
    return f"{world.groups[group_id]}（{'全省市县'[level]}·{world.regions.get(region_id, '未填地区')}）"


def group_drill(world: World, name: str, level: str, path: str | None) -> tuple[str, tuple]:
    """(a group drill-down's value in callback data, the recount's drill) for a group on one committee."""
    group_id, region_id = world.group_id(name), world.region_id(path) if path else None
    value = f"{group_id}.{['national', 'province', 'city', 'county'].index(level)}.{region_id or 0}"
    return value, ("group", (group_id, level, region_id))


def shown_ranking(text: str) -> list[tuple]:
    return [(None if p == "—" else int(p), n, float(pts), int(c), int(people))
            for p, n, pts, c, people in RANK_LINE.findall(text)]


def expected_ranking(world: World, *, period, scopes) -> list[tuple]:
    """The recount's places and points, with each member's activities and 人次 in the period."""
    rows = []
    for place, number, points in recount_ranking(world, period=period, scopes=scopes):
        member = next(m for m in world.members if m["number"] == number)
        mine = [a for a in world.activities if a["live"] and a["member"] == member["id"] and in_period(a["day"], period)]
        rows.append((place, number, points, len(mine), sum(a["people"] for a in mine)))
    return rows


def assert_summary(text: str, world: World, *, period, scopes, drill=None) -> None:
    assert shown_summary(text) == expected_summary(world, period=period, scopes=scopes, drill=drill), text


async def test_admin_stats_period_switch_drill_down_lists_and_chart(fake, world) -> None:
    admin = fake.user(ADMIN_ID)
    q = current()
    await admin.send("/stats")
    message = await admin.expect_message()
    assert q.cn_label in message.text and "范围：全部委员" in message.text
    assert_summary(message.text, world, period=(q.year, q.q), scopes=None)
    assert len(message.text) <= 4096 and sum(len(r) for r in message.inline_keyboard) <= 100
    # the previous quarter, the whole year, and no way into the future
    assert f"{q.next().label} ▶" not in str(message.buttons)
    await admin.press(f"◀ {q.prev().label}")
    edited = await admin.expect_edit()
    assert_summary(edited.text, world, period=(q.prev().year, q.prev().q), scopes=None)
    await admin.press(f"{q.prev().year}年全年")
    edited = await admin.expect_edit()
    assert_summary(edited.text, world, period=(q.prev().year, None), scopes=None)
    assert "按季度" in str(edited.buttons)
    # by activity group, every row against the recount; then one group, then back up
    await admin.press("按活动组")
    listing = await admin.expect_edit()
    want = recount_breakdown(world, period=(q.prev().year, None), scopes=None, drill=None, dimension="group")
    shown = {name: tuple(map(int, rest)) for name, *rest in LIST_LINE.findall(listing.text)}
    assert shown == {group_name(world, k): v for k, v in want.items()}
    # the same name on several committees: one row each, 第1… before 第2…, each committee province first
    assert list(shown)[:2] == ["第1活动组（省·未填地区）", "第1活动组（省·甘肃省）"] and list(shown)[-1] == "（未分组）"
    await admin.press("第2活动组（省·甘肃省）")
    drilled = await admin.expect_edit()
    assert "查看：活动组 第2活动组（省·甘肃省）" in drilled.text
    assert_summary(drilled.text, world, period=(q.prev().year, None), scopes=None,
                   drill=group_drill(world, "第2活动组", "province", "甘肃省")[1])
    await admin.press("⬆ 返回上级")
    assert_summary((await admin.expect_edit()).text, world, period=(q.prev().year, None), scopes=None)
    # a region includes everything below it; back up climbs the tree
    await admin.press("按地区")
    await admin.expect_edit()
    await admin.press("甘肃省")
    province = await admin.expect_edit()
    assert_summary(province.text, world, period=(q.prev().year, None), scopes=None,
                   drill=("region", world.region_id("甘肃省")))
    await admin.press("按地区")
    children = await admin.expect_edit()
    assert "甘肃省 的下级地区" in children.text and {"兰州市", "天水市"} <= set(children.buttons[0] + children.buttons[1])
    await admin.press("兰州市")
    city = await admin.expect_edit()
    assert_summary(city.text, world, period=(q.prev().year, None), scopes=None,
                   drill=("region", world.region_id("甘肃省/兰州市")))
    await admin.press("⬆ 返回上级")
    assert "查看：地区 甘肃省\n" in (await admin.expect_edit()).text + "\n"
    # by kind: the activities of one kind only, no cases
    await admin.press("按活动类型")
    kinds = await admin.expect_edit()
    # still inside 甘肃省
    want = recount_breakdown(world, period=(q.prev().year, None), scopes=None,
                             drill=("region", world.region_id("甘肃省")), dimension="kind")
    assert {n: tuple(map(int, r)) for n, *r in KIND_LIST_LINE.findall(kinds.text)} == {
        KIND_NAMES[k]: (v[0], v[2], v[3]) for k, v in want.items()}
    await admin.press(KIND_NAMES["visit"])
    kind = await admin.expect_edit()
    assert_summary(kind.text, world, period=(q.prev().year, None), scopes=None, drill=("kind", "visit"))
    # the chart: a PNG with a caption under Telegram's limit
    await admin.press("📊 图表")
    chart = await admin.expect_message()
    assert chart.photo and len(chart.caption) <= 1024 and f"{q.prev().year}年" in chart.caption


async def test_period_switch_across_a_year_boundary(fake, world) -> None:
    admin = fake.user(ADMIN_ID)
    await admin.send("/stats")
    await admin.expect_message()
    await admin.press_data(StatsButton(StatsView.summary, "2026Q1").pack())
    q1 = await admin.expect_edit()
    assert "2026年第一季度" in q1.text
    await admin.press("◀ 2025Q4")
    q4 = await admin.expect_edit()
    assert "2025年第四季度" in q4.text and "2026Q1 ▶" in str(q4.buttons)
    assert_summary(q4.text, world, period=(2025, 4), scopes=None)


async def test_group_coordinator_sees_only_their_group_and_forged_drill_downs_are_refused(
        fake, world, caplog) -> None:
    coordinator = fake.user(COORD_GROUP)
    q = current()
    await coordinator.send("/stats")
    message = await coordinator.expect_message()
    assert "范围：活动组：第1活动组（市·甘肃省/兰州市）" in message.text
    assert_summary(message.text, world, period=(q.year, q.q), scopes=GROUP_SCOPE)
    await coordinator.press("按活动组")
    listing = await coordinator.expect_edit()
    assert [name for name, *_ in LIST_LINE.findall(listing.text)] == ["第1活动组（市·甘肃省/兰州市）"]
    assert "第2活动组" not in listing.text and "第3活动组" not in str(listing.buttons)
    await coordinator.press("⬅ 返回统计")
    await coordinator.expect_edit()
    await coordinator.press("按界别")
    sectors = await coordinator.expect_edit()
    want = recount_breakdown(world, period=(q.year, q.q), scopes=GROUP_SCOPE, drill=None, dimension="sector")
    assert {n: tuple(map(int, r)) for n, *r in LIST_LINE.findall(sectors.text)} == {
        world.sectors[k]: v for k, v in want.items()}
    # forged buttons for another group, the same name on another committee, a list inside another group
    caplog.set_level(logging.WARNING, logger="bot.services.stats")
    g2, _ = group_drill(world, "第2活动组", "province", "甘肃省")
    county, _ = group_drill(world, "第1活动组", "county", "甘肃省/兰州市/城关区")
    forged = [
        StatsButton(StatsView.summary, q.label, StatsDim.group, g2),
        StatsButton(StatsView.list, q.label, StatsDim.group, g2, StatsDim.region),
        StatsButton(StatsView.chart, q.label, StatsDim.group, g2),
        StatsButton(StatsView.summary, q.label, StatsDim.group, county),
        StatsButton(StatsView.summary, q.label, StatsDim.group, "999999.1.0"),
    ]
    for button in forged:
        caplog.clear()
        await coordinator.press_data(button.pack())
        answer = await coordinator.expect_answer()
        assert answer.show_alert and "不在您的权限内" in answer.text, button
        refusals = [r for r in caplog.records if "refused" in r.getMessage()]
        assert len(refusals) == 1, button
    await coordinator.expect_silence()
    # and their own group opens
    await coordinator.press_data(StatsButton(StatsView.summary, q.label, StatsDim.group,
                                             group_drill(world, "第1活动组", *GROUP_COMMITTEE)[0]).pack())
    assert_summary((await coordinator.expect_edit()).text, world, period=(q.year, q.q), scopes=GROUP_SCOPE)
    # /ranking lists only their group's members, places and points as recounted
    await coordinator.send("/ranking")
    ranking = await coordinator.expect_message()
    shown = shown_ranking(ranking.text)
    assert shown == expected_ranking(world, period=(q.year, q.q), scopes=GROUP_SCOPE)[:20] and shown
    in_group = {m["number"] for m in world.members if m["group"] == world.group_id("第1活动组")
                and (m["level"], world.regions.get(m["region"])) == GROUP_COMMITTEE}
    assert {row[1] for row in shown} <= in_group


async def test_region_coordinator_and_the_ranking_tables(fake, world) -> None:
    coordinator = fake.user(COORD_REGION)
    q = current()
    await coordinator.send("/stats")
    message = await coordinator.expect_message()
    assert_summary(message.text, world, period=(q.year, q.q), scopes=REGION_SCOPE)
    await coordinator.press("按地区")
    listing = await coordinator.expect_edit()
    # the list starts inside their region: 城关区 and the members of 兰州市 itself
    assert "甘肃省/兰州市 的下级地区" in listing.text and "城关区" in str(listing.buttons)
    want = recount_breakdown(world, period=(q.year, q.q), scopes=REGION_SCOPE, drill=None, dimension="region",
                             parent=world.region_id("甘肃省/兰州市"))
    assert {n: tuple(map(int, r)) for n, *r in LIST_LINE.findall(listing.text)} == {
        (world.regions[k].rsplit("/", 1)[1] if k else "（未设地区或在本级）"): v for k, v in want.items()}
    await coordinator.press("城关区")
    district = await coordinator.expect_edit()
    assert_summary(district.text, world, period=(q.year, q.q), scopes=REGION_SCOPE,
                   drill=("region", world.region_id("甘肃省/兰州市/城关区")))
    await coordinator.press_data(StatsButton(StatsView.summary, q.label, StatsDim.region,
                                             str(world.region_id("甘肃省/天水市"))).pack())
    assert "不在您的权限内" in (await coordinator.expect_answer()).text
    # ranking: the year, paged, then the responsiveness table
    await coordinator.send("/ranking")
    await coordinator.expect_message()
    await coordinator.press(f"{q.year}年全年")
    year = await coordinator.expect_edit()
    want = expected_ranking(world, period=(q.year, None), scopes=REGION_SCOPE)
    assert shown_ranking(year.text) == want[:20] and "同分同名次" in year.text
    if len(want) > 20:
        await coordinator.press("下一页")
        assert shown_ranking((await coordinator.expect_edit()).text) == want[20:40]
    await coordinator.press("⏱ 诉求办理表")
    table = await coordinator.expect_edit()
    assert "中位数" in table.text
    expected = recount_responsiveness(world, period=(q.year, None), scopes=REGION_SCOPE)

    def agrees(shown: str, value: float | None, scale: float = 1.0) -> bool:
        """The figure as shown (rounded: 1 decimal, or a whole percent) is the recounted one."""
        if value is None:
            return shown == "—"
        digits = float(shown.rstrip("h%"))
        return abs(digits - value * scale) <= (0.5 if shown.endswith("%") else 0.05) + 1e-6

    rows = RESPONSE_LINE.findall(table.text)
    assert len(rows) == min(len(expected), 20) and rows
    for number, cases, accept, resolve, resolution, confirmation, rating in rows:
        w = expected[number]
        assert int(cases) == w["cases"], number
        assert agrees(accept, w["accept"]) and agrees(resolve, w["resolve"]), (number, accept, resolve, w)
        assert agrees(resolution, w["resolved"] / w["cases"], 100), (number, resolution, w)
        assert agrees(confirmation, w["confirmed"] / w["resolved"] if w["resolved"] else None, 100), number
        assert agrees(rating, w["rating"]), number


async def test_members_and_residents_get_no_statistics(fake, world) -> None:
    resident = fake.user(5550001)
    await resident.send("/stats")
    assert "没有使用此功能的权限" in (await resident.expect_message()).text
    await resident.send("/ranking")
    assert "没有使用此功能的权限" in (await resident.expect_message()).text
    admin = fake.user(ADMIN_ID)
    await admin.send("/ranking")
    ranking = await admin.expect_message()
    # a forged press from someone without a role, on a message that has buttons
    forger = fake.user(5550002)
    await forger.press_data(StatsButton(StatsView.summary, "2026").pack(), message=ranking, chat=admin)
    assert "没有使用此功能的权限" in (await forger.expect_answer()).text
    await forger.press_data(RankButton(RankView.cases, "2026").pack(), message=ranking, chat=admin)
    assert "没有使用此功能的权限" in (await forger.expect_answer()).text
    # stale or future periods are answered, never acted on
    await admin.press_data(RankButton(RankView.points, "2026Q5").pack())
    assert "已失效" in (await admin.expect_answer()).text
    await admin.press_data(StatsButton(StatsView.summary, f"{current().year + 1}").pack())
    assert "还没有开始" in (await admin.expect_answer()).text
    await admin.expect_silence()


def test_chart_has_real_chinese_glyphs() -> None:
    import warnings

    from bot.services.charts import render_stats_chart
    from bot.texts import STATS_CHART

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" would be a UserWarning
        png = render_stats_chart(title="2026年第四季度 查看：活动组 第1活动组", groups=[("第1活动组", 3), ("（未分组）", 1)],
                                 categories=[("教育", 2), ("医疗", 0)], labels=STATS_CHART,
                                 empty=STATS_CHART["empty_quarter"])
    assert image_size(png) == ("png", 1000, 550)
