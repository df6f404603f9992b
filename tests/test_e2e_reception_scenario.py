"""End to end, one story: a reception day (委员接待日) at an imported workstation from the day it is scheduled
to the quarterly report, through the fake Bot API, on the Shanghai clock (time-machine; the bot runs inside
the travel and sees the same clock).

范国 (GS0071) is on duty at 城关区街道委员工作室 (ZS001 in the sample station file, imported as `stations
import` does). He schedules Thursday 11 March 2027, 09:00–11:30, with /reception; three residents sign up and
one cancels; the reminder at 18:00 the day before reaches the two still signed up and him, once, however
often the job runs and across a restart of the bot; at the door four residents scan (one twice, one new to
the bot, one from a shared link after check-in closed): 3 verified check-ins; a request raised after
checking in reaches him with the day recorded; after check-in closes his pre-filled card says 3 人次, he
adds 2 walk-ins: one activity of 5 人次, 3 verified, in /my and in the coordinator's quarterly report.

A kill -9 of the bot in the middle of check-ins is not repeated here: tests/test_e2e_checkin.py
(test_a_kill_in_the_middle_of_check_ins_loses_none_and_counts_none_twice) covers it.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from io import BytesIO

import time_machine
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from bot.context import LianxinContext
from models import (
    Activity,
    Case,
    Member,
    OutboxMessage,
    Reception,
    ReceptionCheckin,
    ReceptionSignup,
    ReceptionStatus,
    Resident,
    RoleGrant,
    ScopeKind,
    Station,
)
from scheduler.checkin import send_cards
from scheduler.receptions import remind_receptions
from scheduler.reminders import remind_due, send_reports
from tests.conftest import bind
from tests.support.case_flows import DESCRIPTION, press
from tests.support.receptions import SHANGHAI, new_token
from tests.support.stations import import_sample_stations

STATION = "城关区街道委员工作室"
DAY = date(2027, 3, 11)  # a Thursday in 2027Q1
TOPIC = "老旧小区改造意见征集"
SUMMARY = "接待群众反映老旧小区改造和加装电梯问题，现场解答政策。"
COORDINATOR = 7710001  # coordinator of 甘肃省/兰州市


def shanghai(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)


async def one(db, model, *where):
    async with db.session() as session:
        return (await session.exec(select(model).where(*where))).one()


async def count(db, model, *where) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(model).where(*where))).one()


async def resident_id(db, telegram_id: int) -> int:
    return (await one(db, Resident, Resident.telegram_id == telegram_id)).id


async def reminder_keys(db, reception_id: int) -> set[str]:
    async with db.session() as session:
        return set((await session.exec(select(OutboxMessage.key).where(
            OutboxMessage.key.startswith(f"rcp-remind:{reception_id}:")))).all())


async def test_a_reception_day_from_the_form_to_the_quarterly_report(
        fake, db, roster, database_url, runner, settings) -> None:
    import_sample_stations(database_url)
    with time_machine.travel(shanghai(date(2027, 3, 8), 10), tick=True) as clock:
        app = await runner.start(settings)
        # the office's own jobs, due on 8 March, have run before the story begins (this quarter's mid-quarter
        # reminder, last quarter's report): their runs at the bot's own pace add nothing to the story's chats
        await remind_due(LianxinContext(app))
        await send_reports(LianxinContext(app))
        member = await bind(fake, db, 8071, "GS0071", "范国")

        # 1. the member on duty schedules the day with the /reception form
        await member.send("/reception")
        choose = await member.expect_message()
        assert "在哪个工作站" in choose.text and choose.buttons == [[STATION], ["取消"]]
        assert STATION in (await press(member, STATION, choose)).text
        await member.send(f"{DAY.month}月{DAY.day}日")
        assert "几点到几点" in (await member.expect_message()).text
        await member.send("9:00-11:30")
        assert "接待主题" in (await member.expect_message()).text
        await member.send(TOPIC)
        card = await press(member, "不限", await member.expect_message())
        assert STATION in card.text and "范国" in card.text and "09:00–11:30" in card.text and TOPIC in card.text
        assert "接待日已安排" in (await press(member, "确认提交", card)).text
        station = await one(db, Station, Station.code == "ZS001")
        reception = await one(db, Reception, Reception.station_id == station.id)
        gs0071 = await one(db, Member, Member.number == "GS0071")
        assert (reception.member_id, reception.status, reception.capacity, reception.topic) == (
            gs0071.id, ReceptionStatus.scheduled, None, TOPIC)
        assert reception.starts_at == shanghai(DAY, 9) and reception.ends_at == shanghai(DAY, 11, 30)

        # 2. three residents sign up; one cancels
        alice, bob, carol = (fake.user(9501 + n, first_name=name) for n, name in enumerate(("甲", "乙", "丙")))
        await alice.send("/start")
        menu = await alice.expect_message()
        assert "📅 接待日" in [b for row in menu.reply_keyboard for b in row]
        await alice.send("📅 接待日")
        await alice.expect_messages(2)  # the location prompt and the regions
        await alice.send_location(36.06, 103.82)
        await alice.expect_message()  # 已收到您的位置
        nearest = await alice.expect_message()
        assert STATION in nearest.text and TOPIC in nearest.text
        detail = await press(alice, "1 查看/报名", nearest)
        await alice.press("✅ 报名（不留电话）", message=detail)
        assert "已报名" in (await alice.expect_edit()).text

        await bob.send("/receptions")
        _, regions = await bob.expect_messages(2)
        step = await press(bob, "甘肃省", regions)
        step = await press(bob, "兰州市", step)
        detail = await press(bob, "1 查看/报名", step)
        await bob.press("✅ 报名（不留电话）", message=detail)
        assert "已报名" in (await bob.expect_edit()).text

        await carol.send("/receptions")
        await carol.expect_messages(2)
        await carol.send_location(36.06, 103.82)
        await carol.expect_message()
        detail = await press(carol, "1 查看/报名", await carol.expect_message())
        await carol.press("✅ 报名（不留电话）", message=detail)
        assert "已报名" in (await carol.expect_edit()).text
        await carol.send("/mysignups")
        detail = await press(carol, "1 查看/报名", await carol.expect_message())
        await carol.press("取消报名", message=detail)
        assert "已取消报名" in (await carol.expect_edit()).text
        ids = {user.id: await resident_id(db, user.id) for user in (alice, bob, carol)}
        async with db.session() as session:
            rows = (await session.exec(select(ReceptionSignup).where(
                ReceptionSignup.reception_id == reception.id))).all()
        assert {r.resident_id: r.status.value for r in rows} == {
            ids[alice.id]: "active", ids[bob.id]: "active", ids[carol.id]: "cancelled"}

        # 3. the reminder the day before at 18:00 Shanghai: not a second early, then once — the job run twice,
        # and again by a restarted bot
        clock.move_to(shanghai(date(2027, 3, 10), 17, 59, 50))
        await remind_receptions(LianxinContext(app))
        assert await reminder_keys(db, reception.id) == set()
        clock.move_to(shanghai(date(2027, 3, 10), 18, 0, 1))
        await remind_receptions(LianxinContext(app))
        await remind_receptions(LianxinContext(app))
        first = await reminder_keys(db, reception.id)
        assert len(first) == 3  # the two still signed up and the member
        for resident in (alice, bob):
            reminder = await resident.expect_message(timeout=15)
            assert "接待日提醒" in reminder.text and "3月11日（周四）09:00–11:30" in reminder.text
        to_member = await member.expect_message(timeout=15)
        assert f"明天您在 {STATION}" in to_member.text and "2 人报名" in to_member.text
        await runner.stop(app)
        app = await runner.start(settings)
        await remind_receptions(LianxinContext(app))
        assert await reminder_keys(db, reception.id) == first
        async with db.session() as session:
            sent = (await session.exec(select(OutboxMessage.chat_id).where(
                OutboxMessage.key.in_(first)))).all()
        assert sorted(sent) == sorted([alice.id, bob.id, member.id])
        for user in (alice, bob, carol):
            await user.expect_silence(1.0)
        assert [sum("接待日提醒" in m.text for m in user.messages) for user in (alice, bob, carol, member)] == [
            1, 1, 0, 1]

        # 4. at the door: the poster, then four residents scan
        clock.move_to(shanghai(DAY, 8, 40))
        await member.send("/checkin_qr")
        listed = await member.expect_message()
        assert STATION in listed.buttons[0][0]
        await member.press(listed.buttons[0][0], message=listed)
        poster = await member.expect_message()
        assert poster.document["file_name"].endswith(".png") and STATION in poster.caption
        clock.move_to(shanghai(DAY, 9, 20))
        token = await new_token(db, reception.id, shanghai(DAY, 9, 20))  # what the printed poster carries
        link = f"/start c_{token}"
        await alice.send(link)
        counted = await alice.expect_message()
        assert "签到成功" in counted.text and STATION in counted.text and "范国" in counted.text
        await alice.send(link)  # scanned twice
        assert "您已签到" in (await alice.expect_message()).text
        await bob.send(link)
        checked_in = await bob.expect_message()
        assert "签到成功" in checked_in.text and checked_in.buttons == [["📮 有问题要反映"]]
        dan = fake.user(9504, first_name="丁")  # never used the bot: scanning starts it
        await dan.send(link)
        counted, welcome = await dan.expect_messages(2)
        assert "签到成功" in counted.text and "欢迎使用" in welcome.text
        assert await count(db, ReceptionCheckin, ReceptionCheckin.reception_id == reception.id) == 3
        # the member's list of sign-ups marks the two who came; 丁 scanned without signing up
        await member.send("/myreceptions")
        names = await press(member, "👥 名单1", await member.expect_message())
        assert "已报名 2 人，扫码签到 3 人（含未报名的）" in names.text
        assert names.text.count("✅ 已签到") == 2 and len(names.text.splitlines()) == 3

        # 5. bob raises a request from his check-in: it reaches the member on duty, the day recorded
        await bob.press("📮 有问题要反映", message=checked_in)
        via, categories = await bob.expect_messages(2)
        assert "范国" in via.text and STATION in via.text
        step = await press(bob, "教育", categories)
        assert "请描述您遇到的问题" in step.text  # the place is the station's
        await bob.send(DESCRIPTION)
        step = await press(bob, "跳过", await bob.expect_message())
        await bob.expect_message()
        card = await press(bob, "跳过")
        assert "城关区" in card.text
        await press(bob, "确认提交", card)
        arrived = await member.expect_message()
        case = await one(db, Case, Case.resident_id == ids[bob.id])
        assert case.number in arrived.text
        assert (case.reception_id, case.member_id) == (reception.id, gs0071.id)

        # check-in closes two hours after the end (13:30): a shared link counts nothing
        clock.move_to(shanghai(DAY, 13, 31))
        eve = fake.user(9505, first_name="戊")
        await eve.send(link)
        assert "已经结束" in (await eve.expect_message()).text
        assert await count(db, ReceptionCheckin) == 3
        async with db.session() as session:
            checked = set((await session.exec(select(ReceptionCheckin.resident_id))).all())
        assert checked == {ids[alice.id], ids[bob.id], await resident_id(db, dan.id)}

        # 6. the member's card, pre-filled with the 3 verified check-ins; 2 walk-ins added
        await send_cards(LianxinContext(app))
        await send_cards(LianxinContext(app))
        card = await member.expect_message(timeout=15)
        assert "接待日已结束" in card.text and STATION in card.text and case.number in card.text
        assert "人次：3（其中扫码核实 3 人次）" in card.text
        await member.expect_silence(1.0)
        await member.press("📝 补充并提交", message=card)
        await member.expect_messages(2)  # the day, then 活动内容
        await member.send(SUMMARY)
        assert "没有扫码" in (await member.expect_message()).text
        await member.send("2")
        confirm = await press(member, "跳过", await member.expect_message())  # no photos
        assert "人次：5（其中扫码核实 3 人次，未扫码 2 人次）" in confirm.text
        assert "已保存" in (await press(member, "确认提交", confirm)).text
        async with db.session() as session:
            (activity,) = (await session.exec(select(Activity))).all()
            held = await session.get(Reception, reception.id)
        assert (activity.member_id, activity.kind, activity.people, activity.verified_people) == (
            gs0071.id, "reception_day", 5, 3)
        assert (activity.activity_date, activity.year, activity.quarter) == (DAY, 2027, 1)
        assert activity.reception_id == reception.id and held.activity_id == activity.id
        assert held.status == ReceptionStatus.held

        # 7. /my: the quarter's figures; the coordinator's quarterly report
        await member.send("/my")
        my = await member.expect_message()
        assert "本季度人次：5（其中扫码核实 3 人次）" in my.text  # the quarter's figures
        assert re.search(r"联系群众：5/\d+ 人次（其中扫码核实 3 人次）", my.text)  # and the year's
        async with db.session() as session:
            session.add(RoleGrant(telegram_id=COORDINATOR, scope_kind=ScopeKind.region, scope_value="甘肃省/兰州市"))
            await session.commit()
        coordinator = fake.user(COORDINATOR, first_name="协调员")
        await coordinator.send("/report 2027Q1")
        chart, sheet = await coordinator.expect_messages(2, timeout=30)
        assert chart.photo and sheet.document["file_name"].endswith(".xlsx")
        book = load_workbook(BytesIO(fake.files[sheet.document["file_id"]].content))
        overview = {r[0]: r[1] for r in book.worksheets[0].iter_rows(values_only=True) if r and r[0]}
        assert overview["其中扫码核实人次（全部 5 人次中）"] == 3
        kinds = [r for r in book["按活动类型"].iter_rows(values_only=True) if r and r[0] == "委员接待日"]
        assert [r[1:3] for r in kinds] == [(1, 5)]  # one activity, 5 人次
        await runner.stop(app)
