"""End to end: /export for a group coordinator and an admin — files opened and checked against a recount."""

from __future__ import annotations

import asyncio
import io
import logging
import random
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.cli import main
from bot.services.rules import Quarter, local_today
from bot.texts import EXPORT
from models import Activity, ActivityGroup, Case, CaseStatus, Level, Member, Region, Sector, utcnow
from tests.conftest import ADMIN_ID
from tests.support.sheets import body, headers, title, totals

TZ = ZoneInfo("Asia/Shanghai")
GROUP = "第1界别活动组"
# the coordinator's committee: 第1界别活动组 is also on city and county committees, whose members are not theirs
COMMITTEE = (Level.province, "甘肃省")


def today():
    return local_today(utcnow(), TZ)


@pytest.fixture
async def seeded(db, roster):
    """Activities this quarter and last, a deleted one, and cases with phones, spread over every group."""
    rng = random.Random(7)
    day = today()
    this_q, last_q = Quarter.of(day), Quarter.of(day).prev()
    async with db.session() as session:
        members = (await session.exec(select(Member).order_by(Member.number))).all()
        for index, member in enumerate(members):
            for n in range(index % 4):
                when = this_q.first_day + timedelta(days=min(n, (day - this_q.first_day).days))
                session.add(Activity(member_id=member.id, kind="visit" if n % 2 else "inspection", activity_date=when,
                                     year=when.year, quarter=this_q.q, place=f"地点{n}", people=rng.randint(1, 30),
                                     summary="=SUM(A1:A9) 走访", points=2.0))
            if index % 5 == 0:
                session.add(Activity(member_id=member.id, kind="visit", activity_date=last_q.first_day,
                                     year=last_q.year, quarter=last_q.q, place="上季度", people=3, summary="往季度",
                                     points=2.0))
            if index % 7 == 0:  # deleted: counts nowhere
                session.add(Activity(member_id=member.id, kind="visit", activity_date=day, year=day.year,
                                     quarter=this_q.q, place="已删", people=99, summary="删除的", points=2.0,
                                     deleted_at=utcnow()))
        start = datetime.combine(this_q.first_day, time(9), tzinfo=TZ)
        for seq, member in enumerate(members[::6], start=1):
            session.add(Case(number=f"{day.year}-{seq:06d}", year=day.year, seq=seq, category="教育",
                             description="孩子上学路上需要红绿灯", status=CaseStatus.accepted, member_id=member.id,
                             phone="13912345678", created_at=start, updated_at=start, accepted_at=start))
        # a case before the quarter: in no quarter export
        session.add(Case(number=f"{last_q.year}-900001", year=last_q.year, seq=900001, category="教育",
                         description="上季度的诉求内容", status=CaseStatus.routed, member_id=members[0].id,
                         created_at=datetime.combine(last_q.first_day, time(9), tzinfo=TZ)))
        await session.commit()


async def group_truth(db, group: str | None, committee: tuple | None = None):
    """The recount, in Python over plain rows: members, this quarter's live activities and cases of the group
    (on `committee`, (level, region path), when given)."""
    q = Quarter.of(today())
    async with db.session() as session:
        rows = (await session.exec(
            select(Member.id, Member.number, Member.phone, ActivityGroup.name, Member.level, Region.path)
            .outerjoin(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
            .outerjoin(Region, Region.id == Member.region_id)
            .where(Member.active.is_(True)))).all()
        members = {mid: (number, phone) for mid, number, phone, g, level, path in rows
                   if group is None or (g == group and (committee is None or (level, path) == committee))}
        activities = [a for a in (await session.exec(select(Activity))).all()
                      if a.member_id in members and a.deleted_at is None and (a.year, a.quarter) == (q.year, q.q)]
        start = datetime.combine(q.first_day, time(0), tzinfo=TZ)
        cases = [c for c in (await session.exec(select(Case))).all()
                 if c.member_id in members and c.created_at >= start]
    return members, activities, cases


async def export(user, section: str, period: str = "本季度"):
    await user.send("/export")
    menu = await user.expect_message()
    await user.press(section, message=menu)
    await user.expect_edit()
    await user.press(period, message=menu)
    document = await user.expect_message(timeout=60)
    assert document.document_name.endswith(".xlsx")
    return document, load_workbook(io.BytesIO(document.document_bytes))


async def coordinator(fake, settings):
    user = fake.user(7001, first_name="协调员")
    # the level alone names the committee: 第1界别活动组 has one province committee
    assert await asyncio.to_thread(main, ["roles", "grant", "7001", "coordinator", "--group", GROUP, "--level", "省"],
                                   settings) == 0
    await user.send("/start")
    await user.expect_message()
    return user


async def test_group_coordinator_exports_only_their_group(fake, db, seeded, app, settings) -> None:
    user = await coordinator(fake, settings)
    members, activities, cases = await group_truth(db, GROUP, COMMITTEE)
    assert len(members) < len((await group_truth(db, GROUP))[0])  # the same name on other committees: not theirs
    assert members and activities and cases  # the data set reaches this group

    document, book = await export(user, "👥 委员名单")
    sheet = book.worksheets[0]
    rows = body(sheet)
    assert headers(sheet) == EXPORT["cols_members"] and sheet.freeze_panes == "A3"
    assert title(sheet).startswith(f"委员名单 · {Quarter.of(today()).cn_label} · 活动组：{GROUP}（省·甘肃省） · 生成于 ")
    assert sheet.column_dimensions["A"].width >= len("GS0001")
    assert GROUP in document.caption and f"共 {len(members)} 行" in document.caption
    by_number = {r[0]: r for r in rows}
    assert set(by_number) == {number for number, _ in members.values()}
    assert {r[3] for r in rows} == {f"{GROUP}（省·甘肃省）"}  # the group on its committee
    assert totals(sheet)[0] == f"合计 {len(members)} 人" and totals(sheet)[9] == sum(a.people for a in activities)
    for mid, (number, phone) in members.items():
        mine = [a for a in activities if a.member_id == mid]
        row = by_number[number]
        assert (row[8], row[9]) == (len(mine), sum(a.people for a in mine))
        assert row[6] == (phone[:3] + "****" + phone[-4:] if phone else "")  # masked for a coordinator

    _, book = await export(user, "📝 联系活动")
    sheet = book.worksheets[0]
    rows = body(sheet)
    assert headers(sheet) == EXPORT["cols_activities"]
    assert sorted(r[0] for r in rows) == sorted(a.id for a in activities)
    assert sum(r[9] for r in rows) == sum(a.people for a in activities) == totals(sheet)[9]
    assert all(r[11] == "=SUM(A1:A9) 走访" for r in rows)  # text, never a formula

    _, book = await export(user, "📮 诉求件")
    sheet = book.worksheets[0]
    rows = body(sheet)
    assert headers(sheet) == EXPORT["cols_cases"]
    assert sorted(r[0] for r in rows) == sorted(c.number for c in cases)
    assert {r[10] for r in rows} == {"139****5678"}

    _, book = await export(user, "📊 汇总")
    overview = {r[0]: r[1] for r in body(book["委员概况"])}
    assert overview["在册委员"] == len(members)
    assert overview["本季度有活动"] == len({a.member_id for a in activities})
    kinds = body(book["按活动类型"])
    assert sum(r[2] for r in kinds) == sum(a.people for a in activities) == totals(book["按活动类型"])[2]
    assert book["委员概况"].freeze_panes == "A3"


async def test_admin_sees_everything_and_full_member_phones(fake, db, seeded, app) -> None:
    admin = fake.user(ADMIN_ID, first_name="管理员")
    members, activities, cases = await group_truth(db, None)
    _, book = await export(admin, "👥 委员名单")
    rows = body(book.worksheets[0])
    assert len(rows) == len(members) == 120
    assert {r[0]: r[6] for r in rows} == {number: phone or "" for number, phone in members.values()}
    _, book = await export(admin, "📮 诉求件", "今年")
    rows = body(book.worksheets[0])
    async with db.session() as session:
        everything = (await session.exec(select(Case))).all()
    year_start = datetime.combine(today().replace(month=1, day=1), time(0), tzinfo=TZ)
    assert sorted(r[0] for r in rows) == sorted(c.number for c in everything if c.created_at >= year_start)
    assert all("****" in (r[10] or "****") for r in rows)  # residents' phones stay masked, for admins too
    _, book = await export(admin, "📝 联系活动", "上季度")
    rows = body(book.worksheets[0])
    assert len(rows) == len(range(0, 120, 5)) and {r[8] for r in rows} == {"上季度"}


async def test_export_refused_to_members_and_forged_buttons(fake, db, roster, app, caplog) -> None:
    from tests.conftest import bind

    member = await bind(fake, db, 5001, "GS0003", "胡刚")
    await member.send("/export")
    assert "只有协调员和管理员" in (await member.expect_message()).text
    caplog.set_level(logging.WARNING)
    await member.press_data("ex:m:tq", message=member.messages[-1])
    answer = await member.expect_answer()
    assert answer.show_alert and "只有协调员和管理员" in answer.text
    assert any("导出请求被拒绝" in r.getMessage() for r in caplog.records)
    assert not any(m.document for m in member.messages)
    await member.press_data("ex:zz:tq", message=member.messages[-1])
    assert "失效" in (await member.expect_answer()).text


async def test_region_coordinator_gets_cases_of_their_region(fake, db, seeded, app, settings) -> None:
    """A region scope covers cases filed in that region even when the handler lives elsewhere (the case rule)."""
    async with db.session() as session:
        region = (await session.exec(select(Region).where(Region.path == "甘肃省/兰州市"))).first()
        outsider = (await session.exec(
            select(Member).join(Sector).where(Member.region_id != region.id).order_by(Member.number))).first()
        day = today()
        session.add(Case(number=f"{day.year}-800001", year=day.year, seq=800001, category="教育",
                         description="兰州市里的一件诉求", status=CaseStatus.routed, member_id=outsider.id,
                         region_id=region.id, created_at=utcnow(), updated_at=utcnow()))
        await session.commit()
    user = fake.user(7003, first_name="地区协调员")
    assert await asyncio.to_thread(main, ["roles", "grant", "7003", "coordinator", "--region", "兰州市"], settings) == 0
    await user.send("/start")
    await user.expect_message()
    _, book = await export(user, "📮 诉求件")
    numbers = [r[0] for r in body(book.worksheets[0])]
    assert f"{today().year}-800001" in numbers
    async with db.session() as session:
        in_region = set((await session.exec(
            select(Member.id).join(Region, Region.id == Member.region_id)
            .where((Region.path == "甘肃省/兰州市") | Region.path.startswith("甘肃省/兰州市/")))).all())
        cases = (await session.exec(select(Case))).all()
    start = datetime.combine(Quarter.of(today()).first_day, time(0), tzinfo=TZ)
    expected = {c.number for c in cases if c.created_at >= start and (c.member_id in in_region or c.region_id == region.id)}
    assert set(numbers) == expected
