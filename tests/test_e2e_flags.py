"""End to end: 存疑活动 under /queue — a region coordinator sees the flagged activities of their region
with the reasons, marks one 已核实 and it leaves the list, marks another 存疑 and it stays marked; another
region's coordinator sees only theirs and a forged mark outside the scope is refused; the quarterly report's
存疑活动 sheet, read back with openpyxl, carries the reasons and the marks."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import select

from bot.callbacks import FlagAction, FlagButton
from bot.services.plausibility import Rule, summary_key
from bot.services.reminders import DutyPolicy
from bot.services.report import quarter_stats, render_report
from bot.services.rules import Quarter, local_today
from bot.services.scopes import Scope
from models import (
    Activity,
    ActivityFlagMark,
    AuditEvent,
    FlagMark,
    Member,
    Reception,
    RoleGrant,
    ScopeKind,
    Station,
    utcnow,
)
from tests.conftest import bind

TZ = ZoneInfo("Asia/Shanghai")
COORD_LANZHOU = 778201
COORD_JIUQUAN = 778202


async def seed(db) -> dict[str, int]:
    """Flagged activities today: two of 兰州市's GS0005 (人次 500; a summary used again), one of 酒泉市's
    GS0020 (人次 400), and a plausible one of GS0005."""
    now = utcnow()
    today = local_today(now, TZ)
    q = Quarter.of(today)
    async with db.session() as session:
        ids = dict((await session.exec(select(Member.number, Member.id)
                                       .where(Member.number.in_(["GS0005", "GS0020"])))).all())

        def activity(number: str, people: int, summary: str, minutes: int) -> Activity:
            at = now - timedelta(minutes=minutes)
            return Activity(member_id=ids[number], kind="visit", activity_date=today, year=q.year, quarter=q.q,
                            place="城关社区", people=people, summary=summary, summary_key=summary_key(summary),
                            created_at=at, updated_at=at)

        rows = {
            "big": activity("GS0005", 500, "宣讲惠民政策，群众踊跃参加", 30),
            "first": activity("GS0005", 20, "走访困难群众，了解就业情况。", 20),
            "again": activity("GS0005", 15, "走访 困难群众 了解就业情况", 10),
            "theirs": activity("GS0020", 400, "酒泉市大型宣讲会", 5),
        }
        session.add_all(rows.values())
        # a reception day of GS0005 with a check-in burst, its card not confirmed yet
        station = Station(code="T9", name="城关区测试工作站")
        session.add(station)
        await session.flush()
        start = now.replace(microsecond=0) - timedelta(minutes=90)
        session.add(Reception(station_id=station.id, member_id=ids["GS0005"], starts_at=start,
                              ends_at=start + timedelta(hours=1), topic="接待", created_by=1,
                              burst_flagged_at=start + timedelta(minutes=10)))
        session.add_all([RoleGrant(telegram_id=COORD_LANZHOU, scope_kind=ScopeKind.region, scope_value="甘肃省/兰州市"),
                         RoleGrant(telegram_id=COORD_JIUQUAN, scope_kind=ScopeKind.region, scope_value="甘肃省/酒泉市")])
        await session.commit()
        return {name: row.id for name, row in rows.items()}


async def test_a_coordinator_reviews_the_flagged_activities_in_scope(fake, db, roster, app) -> None:
    ids = await seed(db)
    coordinator = fake.user(COORD_LANZHOU, first_name="兰州协调员")
    await coordinator.send("/queue")
    queue = await coordinator.expect_message()
    assert "没有待处理的诉求件" in queue.text and ["⚠️ 存疑活动"] in queue.buttons
    await coordinator.press("⚠️ 存疑活动", message=queue)
    flags = await coordinator.expect_edit()
    assert "存疑活动" in flags.text and "共 2 条" in flags.text, flags.text
    assert "1. 黄晨晶（GS0005）· " in flags.text and " · 主动走访 · 500 人次" in flags.text
    assert "500 人次 · 人次 500 超过上限 300" in flags.text
    assert "15 人次 · 摘要与" in flags.text and "的活动相同（同样的摘要共 2 条）" in flags.text
    assert "阎俊" not in flags.text and "GS0020" not in flags.text
    assert "签到异常集中的接待日" in flags.text and "· 城关区测试工作站 · " in flags.text
    assert flags.buttons[0] == ["✅ 1 已核实", "❓ 1 存疑"] and flags.buttons[-1] == ["◀ 待处理诉求件"]

    # 已核实: the flag leaves the open list
    await coordinator.press("✅ 1 已核实", message=flags)
    assert "已标为已核实" in (await coordinator.expect_answer()).text
    after = await coordinator.expect_edit()
    assert "共 1 条" in after.text and "人次 500" not in after.text
    # 存疑: the flag stays, marked
    await coordinator.press("❓ 1 存疑", message=after)
    assert "已标为存疑" in (await coordinator.expect_answer()).text
    marked = await coordinator.expect_edit()
    assert "共 1 条" in marked.text and "〔已标存疑〕" in marked.text
    async with db.session() as session:
        marks = {(m.activity_id, m.rule): (m.mark, m.marked_by) for m in (await session.exec(select(ActivityFlagMark))).all()}
        audits = (await session.exec(select(AuditEvent).where(AuditEvent.action == "activity.flag"))).all()
    assert marks == {(ids["big"], "ppl"): (FlagMark.verified, COORD_LANZHOU),
                     (ids["again"], "dup"): (FlagMark.questioned, COORD_LANZHOU)}
    assert len(audits) == 2
    # back to the queue
    await coordinator.press("◀ 待处理诉求件", message=marked)
    assert "没有待处理的诉求件" in (await coordinator.expect_edit()).text

    # another region's coordinator: only their own, and a forged mark on 兰州's activity is refused
    other = fake.user(COORD_JIUQUAN, first_name="酒泉协调员")
    await other.send("/queue")
    queue = await other.expect_message()
    await other.press("⚠️ 存疑活动", message=queue)
    theirs = await other.expect_edit()
    assert "共 1 条" in theirs.text and "阎俊（GS0020）" in theirs.text and "黄晨晶" not in theirs.text
    assert "城关区测试工作站" not in theirs.text
    await other.press_data(FlagButton(FlagAction.verify, 0, ids["again"], Rule.summary).pack(), message=theirs)
    assert "不在您的范围内" in (await other.expect_answer()).text
    # a rule that does not flag the activity
    await other.press_data(FlagButton(FlagAction.verify, 0, ids["theirs"], Rule.day).pack(), message=theirs)
    assert "已不再存疑" in (await other.expect_answer()).text
    # a member is no staff
    member = await bind(fake, db, 5301, "GS0005", "黄晨晶")
    await member.send("/my")
    my = await member.expect_message()
    await member.press_data(FlagButton(FlagAction.page).pack(), message=my)
    assert "没有使用此功能的权限" in (await member.expect_answer()).text
    async with db.session() as session:
        assert len((await session.exec(select(ActivityFlagMark))).all()) == 2

    # the quarterly report of 兰州市: the 存疑活动 sheet with the reasons and the marks
    today = local_today(utcnow(), TZ)
    async with db.session() as session:
        stats = await quarter_stats(session, quarter=Quarter.of(today), today=today, policy=DutyPolicy(tz=TZ),
                                    scopes=[Scope(ScopeKind.region, "甘肃省/兰州市")])
    book = load_workbook(io.BytesIO(render_report(stats, kind_names={"visit": "主动走访"}).xlsx))
    assert book.sheetnames[-1] == "存疑活动"
    sheet = book["存疑活动"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert "存疑活动" in rows[0][0] and rows[1] == ["编号", "姓名", "日期", "类型", "人次", "其中扫码核实", "地点", "原因",
                                               "核实情况"]
    body = {row[7]: row for row in rows[2:-1]}
    assert set(body) == {"人次 500 超过上限 300", f"摘要与 {today.isoformat()} 的活动相同（同样的摘要共 2 条）"}
    big = body["人次 500 超过上限 300"]
    assert big[:2] == ["GS0005", "黄晨晶"] and big[3] == "主动走访" and big[4] == 500
    assert big[8].startswith(f"已核实（{COORD_LANZHOU}，") and body[f"摘要与 {today.isoformat()} 的活动相同（同样的摘要共 2 条）"][8].startswith("存疑（")
    assert rows[-1][0] == "合计 2 条"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4) and sheet.page_setup.orientation == "landscape"
