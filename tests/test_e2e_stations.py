"""End to end: a member's stations from /my, /station for admins and for coordinators within their scope
(several matches as buttons, a forged button for a station outside the scope refused)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.callbacks import StationAction, StationButton
from bot.db import sync_engine
from bot.services.stations import import_stations
from models import Member, Reception, ReceptionCheckin, ReceptionStatus, Resident, RoleGrant, ScopeKind, Station, utcnow
from tests.conftest import ADMIN_ID, SAMPLES, bind

COORD_JIUQUAN = 778101  # coordinator of 甘肃省/酒泉市


@pytest.fixture
def stations(database_url, roster):
    engine = sync_engine(database_url)
    try:
        with engine.begin() as connection:
            report = import_stations(connection, SAMPLES / "stations_sample.csv")
    finally:
        engine.dispose()
    assert report.ok and report.created == 34


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
            "段强磊值班，签到 2 人（已举行）") in record.text

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
