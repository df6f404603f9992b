"""End to end: a member's stations from /my, /station for admins and for coordinators within their scope
(several matches as buttons, a forged button for a station outside the scope refused)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.callbacks import StationAction, StationButton
from bot.texts import ARCHIVE_COLUMNS
from models import (
    Activity,
    Case,
    Member,
    Reception,
    ReceptionCheckin,
    ReceptionStatus,
    Resident,
    RoleGrant,
    ScopeKind,
    Station,
    utcnow,
)
from tests.conftest import ADMIN_ID, bind
from tests.support.stations import import_sample_stations

COORD_JIUQUAN = 778101  # coordinator of 甘肃省/酒泉市


@pytest.fixture
def stations(database_url, roster):
    import_sample_stations(database_url)


async def station_id(db, code: str) -> int:
    async with db.session() as session:
        return (await session.exec(select(Station.id).where(Station.code == code))).one()


async def test_a_member_sees_their_stations_from_my(fake, db, stations, app) -> None:
    member = await bind(fake, db, 5101, "GS0075", "苏秀丽")
    await member.send("/my")
    my = await member.expect_message()
    assert my.buttons[0] == ["◀ 上一季度"] and my.buttons[-1] == ["🏠 我的工作站"]
    await member.press("🏠 我的工作站", message=my)
    mine = await member.expect_message()
    assert "我驻站的工作站、工作室（1 个）" in mine.text
    assert "兰州市社区委员工作站（工作站，ZS004）" in mine.text
    assert "同站委员：段强磊（GS0089）、黄晨晶（GS0005）" in mine.text and "苏秀丽" not in mine.text
    assert "电话：0931-4518474" in mine.text and "六有：6/6" in mine.text
    # a member on duty nowhere is told so
    other = await bind(fake, db, 5102, "GS0004", "委员")
    await other.send("/my")
    await other.press("🏠 我的工作站", message=await other.expect_message())
    assert "您还没有驻站的工作站、工作室" in (await other.expect_message()).text
    # a resident pressing a copied button is not a member
    resident = fake.user(5103)
    await resident.send("/start")
    await resident.expect_messages(1)
    await resident.send("/station ZS004")
    assert "只有管理员和协调员可以查看工作站" in (await resident.expect_message()).text
    # a member is no staff either
    await member.send("/station ZS004")
    assert "只有管理员和协调员可以查看工作站" in (await member.expect_message()).text


async def test_admin_finds_a_station_and_its_last_reception_day(fake, db, stations, app) -> None:
    admin = fake.user(ADMIN_ID)
    await admin.send("/station")
    assert "请在 /station 后写工作站的名称或编号" in (await admin.expect_message()).text
    await admin.send("/station zs004")
    record = await admin.expect_message()
    assert "兰州市社区委员工作站" in record.text and "编号：ZS004　类型：工作站" in record.text
    assert "驻站委员：苏秀丽（GS0075）、段强磊（GS0089）、黄晨晶（GS0005）" in record.text
    assert "地区：甘肃省/兰州市" in record.text and "坐标：36.07489, 103.81402" in record.text
    assert "六有（6/6）：场地有　标识有　制度有　特色有　档案有　成果有" in record.text
    assert "最近接待日：还没有" in record.text

    # a reception day held yesterday with two check-ins, and one cancelled since: the held one is shown
    sid = await station_id(db, "ZS004")
    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.number == "GS0089"))).one()
        start = utcnow().replace(microsecond=0) - timedelta(days=1)
        held = Reception(station_id=sid, member_id=member.id, starts_at=start, ends_at=start + timedelta(hours=2),
                         topic="社区养老服务", status=ReceptionStatus.held, created_by=1)
        cancelled = Reception(station_id=sid, member_id=member.id, starts_at=start + timedelta(hours=5),
                              ends_at=start + timedelta(hours=6), topic="取消了", status=ReceptionStatus.cancelled,
                              created_by=1)
        session.add_all([held, cancelled])
        for n in range(2):
            session.add(Resident(telegram_id=6100 + n, display_name=f"群众{n}"))
        await session.flush()
        for resident in (await session.exec(select(Resident).where(Resident.telegram_id >= 6100))).all():
            session.add(ReceptionCheckin(reception_id=held.id, resident_id=resident.id))
        await session.commit()
    await admin.send("/station 兰州市社区")
    record = await admin.expect_message()
    local = start.astimezone(app.settings.tz)
    assert (f"最近接待日：{local:%Y-%m-%d} {local:%H:%M}–{local + timedelta(hours=2):%H:%M}「社区养老服务」，"
            f"段强磊值班，签到 2 人（已举行）（接待日编号 {held.id}）") in record.text  # the id `stations qr` takes

    # several matches: buttons, at most eight, and a hint to be more specific
    await admin.send("/station 委员工作室")
    listing = await admin.expect_message()
    assert "超过 8 个" in listing.text and len(listing.buttons) == 8
    first = listing.buttons[0][0]
    await admin.press(first, message=listing)
    assert f"🏠 {first.split('（')[0]}\n" in (await admin.expect_message()).text
    await admin.send("/station 肃州区")
    listing = await admin.expect_message()
    assert "找到 2 个工作站，请选择：" in listing.text
    await admin.press("肃州区产业园委员工作室（ZS006）", message=listing)
    assert "编号：ZS006" in (await admin.expect_message()).text
    await admin.send("/station 没有这个站")
    assert "没有找到名称或编号为「没有这个站」的工作站" in (await admin.expect_message()).text


async def test_a_coordinator_sees_only_the_stations_in_scope(fake, db, stations, app) -> None:
    async with db.session() as session:
        session.add(RoleGrant(telegram_id=COORD_JIUQUAN, scope_kind=ScopeKind.region, scope_value="甘肃省/酒泉市"))
        await session.commit()
    coordinator = fake.user(COORD_JIUQUAN)
    await coordinator.send("/station ZS001")  # 兰州: outside the scope
    assert "没有找到名称或编号为「ZS001」的工作站（或它不在您的范围内）" in (await coordinator.expect_message()).text
    await coordinator.send("/station 肃州区")
    listing = await coordinator.expect_message()
    assert "找到 2 个工作站" in listing.text
    assert all("肃州区" in b for row in listing.buttons for b in row)
    await coordinator.press(listing.buttons[0][0], message=listing)
    assert "地区：甘肃省/酒泉市/肃州区" in (await coordinator.expect_message()).text
    # a forged button for a station outside the scope: refused, nothing shown
    await coordinator.press_data(StationButton(StationAction.view, await station_id(db, "ZS001")).pack(),
                                 message=listing)
    assert "不存在或不在您的范围内" in (await coordinator.expect_answer()).text
    await coordinator.expect_silence()
    # data no button ever had: a stale button
    await coordinator.press_data("stn:my:5", message=listing)
    assert (await coordinator.expect_answer()).show_alert


# --- the places in the statistics -----------------------------------------------------------------------


async def seed_reception_day(db) -> dict:
    """At ZS004: a reception day held today (this quarter), two check-ins, one case raised there, and the activity
    it became: 5 人次, 3 of them checked in at the door. A cancelled one at ZS005 counts nowhere."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    from bot.services.rules import Quarter

    tz = ZoneInfo("Asia/Shanghai")
    now = utcnow().replace(microsecond=0)
    quarter_start = Quarter.of(now.astimezone(tz).date()).start(tz).astimezone(UTC)
    start = max(now - timedelta(hours=3), quarter_start + timedelta(minutes=1))
    end = min(start + timedelta(hours=1), now - timedelta(seconds=1))
    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.number == "GS0089"))).one()
        held = Reception(station_id=await station_id(db, "ZS004"), member_id=member.id, starts_at=start, ends_at=end,
                         topic="惠民政策宣讲", status=ReceptionStatus.held, created_by=1)
        cancelled = Reception(station_id=await station_id(db, "ZS005"), member_id=member.id, starts_at=start,
                              ends_at=end, topic="取消", status=ReceptionStatus.cancelled, created_by=1)
        session.add_all([held, cancelled])
        residents = [Resident(telegram_id=6200 + n, display_name=f"群众{n}") for n in range(2)]
        session.add_all(residents)
        await session.flush()
        session.add_all([ReceptionCheckin(reception_id=held.id, resident_id=r.id) for r in residents])
        session.add(ReceptionCheckin(reception_id=cancelled.id, resident_id=residents[0].id))
        local = start.astimezone(tz).date()
        q = Quarter.of(local)
        session.add(Activity(member_id=member.id, kind="reception_day", activity_date=local, year=q.year, quarter=q.q,
                             place="兰州市社区委员工作站", people=5, verified_people=3, summary="接待日", points=3,
                             reception_id=held.id))
        session.add(Case(number="2026-900001", year=2026, seq=900001, resident_id=residents[1].id, category="其他",
                         description="路灯", reception_id=held.id, member_id=member.id))
        await session.commit()
        return {"held": held.id}


async def test_stats_show_the_stations_and_the_verified_people(fake, db, stations, app) -> None:
    await seed_reception_day(db)
    admin = fake.user(ADMIN_ID)
    await admin.send("/stats")
    summary = await admin.expect_message()
    assert "5 人次（其中扫码核实 3 人次）" in summary.text
    assert "🏠 工作站" in summary.buttons[-1]
    await admin.press("🏠 工作站", message=summary)
    places = await admin.expect_edit()
    assert "共 34 个；接待日 1 次，签到 2 人次，诉求 1 件；六有齐全" in places.text
    assert "· ZS004 兰州市社区委员工作站：接待日 1 次，签到 2，诉求 1，六有 6/6" in places.text
    assert "本期没有接待日的（33 个）" in places.text and "· ZS005 肃州区镇委员工作室（六有 6/6）" in places.text
    await admin.press("◀ 返回统计", message=places)
    assert "其中扫码核实 3 人次" in (await admin.expect_edit()).text
    # the ranking: the member's 人次 and, of them, those checked in at the door; others' lines as before
    await admin.send("/ranking")
    ranking = (await admin.expect_message()).text
    line = next(row for row in ranking.splitlines() if "GS0089" in row)
    assert line.endswith("3 分 · 1 次 · 5 人次（其中扫码核实 3 人次）"), line
    assert ranking.count("扫码核实") == 1

    # a coordinator of 酒泉市: only the stations in scope, and ZS004's day is not theirs
    from bot.services.scopes import Scope
    from bot.services.stations import list_stations

    async with db.session() as session:
        session.add(RoleGrant(telegram_id=COORD_JIUQUAN, scope_kind=ScopeKind.region, scope_value="甘肃省/酒泉市"))
        await session.commit()
        mine = await list_stations(session, scopes=[Scope(ScopeKind.region, "甘肃省/酒泉市")])
    assert {"ZS005", "ZS006", "ZS007", "ZS008"} <= {s.code for s in mine} and "ZS004" not in {s.code for s in mine}
    coordinator = fake.user(COORD_JIUQUAN)
    await coordinator.send("/stats")
    summary = await coordinator.expect_message()
    assert "扫码核实" not in summary.text
    await coordinator.press("🏠 工作站", message=summary)
    places = await coordinator.expect_edit()
    assert f"共 {len(mine)} 个；接待日 0 次，签到 0 人次，诉求 0 件" in places.text and "ZS004" not in places.text
    # a period that has not begun: refused
    await coordinator.press_data(StationButton(StationAction.stats, 0, "2099Q1").pack(), message=places)
    assert "这一期还没有开始" in (await coordinator.expect_answer()).text
    # a member is no staff
    member = await bind(fake, db, 5105, "GS0004", "委员")
    await member.send("/my")
    my = await member.expect_message()
    await member.press_data(StationButton(StationAction.stats, 0, "2026").pack(), message=my)
    assert "只有管理员和协调员" in (await member.expect_answer()).text


async def test_the_report_and_the_export_have_a_station_sheet(db, stations) -> None:
    from zoneinfo import ZoneInfo

    from bot.services.exports import summary_sheets
    from bot.services.reminders import DutyPolicy
    from bot.services.report import quarter_stats, report_sections
    from bot.services.rules import Period, Quarter, local_today
    from bot.services.scopes import Scope

    await seed_reception_day(db)
    tz = ZoneInfo("Asia/Shanghai")
    today = local_today(utcnow(), tz)
    policy = DutyPolicy(tz=tz)
    async with db.session() as session:
        stats = await quarter_stats(session, quarter=Quarter.of(today), today=today, policy=policy)
        sheets = report_sections(stats, kind_names={})
        assert stats.verified_people == 3
        overview = sheets[0]
        assert ["其中扫码核实人次（全部 5 人次中）", 3] in overview.rows
        places = sheets[-1]
        assert places.title == "工作站" and len(places.rows) == 34
        assert places.rows[3] == ["ZS004", "兰州市社区委员工作站", "工作站", "甘肃省/兰州市", 3, "6/6", 1, 2, 1]
        assert places.total_label == "合计 {rows} 个（其中本期没有接待日的 33 个）"
        # /export's summary is the report's sheets: the 工作站 sheet is there, scoped
        scoped = await summary_sheets(session, period=Period.of(Quarter.of(today)), today=today, policy=policy,
                                      scopes=[Scope(ScopeKind.region, "甘肃省/兰州市/城关区")], kind_names={})
        places = [s for s in scoped if s.title == "工作站"]
        assert len(places) == 1 and "ZS001" in [r[0] for r in places[0].rows]
        assert "ZS004" not in [r[0] for r in places[0].rows]
        # no stations in scope: no sheet (a scope of a region without any)
        empty = await quarter_stats(session, quarter=Quarter.of(today), today=today, policy=policy,
                                    scopes=[Scope(ScopeKind.region, "甘肃省/没有这个市")])
        assert [s.title for s in report_sections(empty, kind_names={})][-1] == "诉求办理"


async def test_my_shows_the_verified_people_of_an_activity(fake, db, stations, app) -> None:
    await seed_reception_day(db)
    member = await bind(fake, db, 5106, "GS0089", "段强磊")
    await member.send("/my")
    my = await member.expect_message()
    assert "兰州市社区委员工作站 · 5人次（其中扫码核实 3 人次）" in my.text
    # and in the quarter's and the year's figures, read from the tally
    assert "人次：5（其中扫码核实 3 人次）　积分" in my.text and "联系群众：5/40 人次（其中扫码核实 3 人次）" in my.text
    activity = next(b for row in my.buttons for b in row if b.startswith("#"))
    await member.press(activity, message=my)
    assert "人次：5（其中扫码核实 3 人次）" in (await member.expect_message()).text
    # the duty archive: the caption and the column
    await member.send("/archive")
    archive = await member.expect_message()
    assert "共 1 次活动，5 人次（其中扫码核实 3 人次），3 积分" in archive.caption
    rows = list(load_workbook(io.BytesIO(archive.document_bytes)).active.iter_rows(values_only=True))
    header = rows.index(tuple(ARCHIVE_COLUMNS))
    assert rows[header + 1][5:7] == (5, 3) and rows[-1][5:7] == (5, 3)
    # an activity without check-ins reads as before
    other = await bind(fake, db, 5107, "GS0004", "委员")
    await other.send("/my")
    assert "扫码核实" not in (await other.expect_message()).text


async def test_the_exports_carry_the_verified_people(database_url, db, stations) -> None:
    from zoneinfo import ZoneInfo

    from openpyxl import load_workbook

    from bot.services.exports import ExportRequest, ExportSection, write_export
    from bot.services.rules import Period, Quarter, local_today
    from bot.texts import EXPORT

    await seed_reception_day(db)
    tz = ZoneInfo("Asia/Shanghai")
    period = Period.of(Quarter.of(local_today(utcnow(), tz)))
    for section, number_column in ((ExportSection.activities, 3), (ExportSection.members, 0)):
        path, _ = write_export(database_url, ExportRequest(section, period, None, full_phones=True),
                               names={**EXPORT, "levels": {}, "statuses": {}, "bound": ("已绑定", "未绑定")},
                               tz=tz, kind_names={})
        try:
            sheet = load_workbook(path).worksheets[0]
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        finally:
            path.unlink()
        header = next(r for r in rows if r[0] in ("活动编号", "编号"))
        assert header[-1] == "其中扫码核实人次"
        mine = next(r for r in rows if r[number_column] == "GS0089")
        assert mine[-1] == 3 and mine[header.index("人次" if section is ExportSection.activities else "期间人次")] == 5
        assert rows[-1][-1] == 3  # the 合计 row adds it up
