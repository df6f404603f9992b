"""End to end: reception days (委员接待日) — a member schedules one through the form, residents find it (by
location, by region, through the member's link), sign up in two taps (one with the phone, one cancels), a
full day says so, nobody signs up twice, the member edits and cancels it (the residents are told through
the outbox), and the reminder the day before is sent once.

Stations are made directly in the database (the station registry and its import are not tested here):
城关区街道委员工作室 (城关区, with coordinates) and 兰州无坐标委员工作站 (兰州市, without) with 范国 (GS0071)
on duty, 七里河区社区委员工作站 (七里河区, with coordinates) with 易英 (GS0058).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import select

from bot.context import LianxinContext
from bot.services import receptions as svc
from bot.services.access import touch_resident
from bot.services.cases import link_payload, member_link_token
from bot.services.receptions import Scheduler
from bot.services.rules import local_today
from models import (
    Member,
    OutboxMessage,
    Reception,
    ReceptionSignup,
    ReceptionStatus,
    utcnow,
)
from scheduler.receptions import remind_receptions
from tests.conftest import ADMIN_ID, bind, settle
from tests.support.case_flows import press
from tests.support.receptions import POLICY, QILIHE, SHANGHAI, STATIONS, seed_stations


@pytest.fixture
async def stations(db, roster):
    return await seed_stations(db)


async def receptions(db) -> list[Reception]:
    async with db.session() as session:
        return list((await session.exec(select(Reception).order_by(Reception.id))).all())


async def signups(db, reception_id: int) -> dict[int, tuple[str, str | None]]:
    async with db.session() as session:
        rows = (await session.exec(select(ReceptionSignup).where(ReceptionSignup.reception_id == reception_id))).all()
    return {row.resident_id: (row.status.value, row.phone) for row in rows}


async def resident_id(db, telegram_id: int) -> int:
    from models import Resident

    async with db.session() as session:
        return (await session.exec(select(Resident.id).where(Resident.telegram_id == telegram_id))).one()


async def sign_up_nearest(resident):
    """/receptions → a location in 城关区 → the nearest day → 报名 without a phone; the edited detail."""
    await resident.send("/receptions")
    await resident.expect_messages(2)
    await resident.send_location(36.06, 103.82)
    await resident.expect_message()
    detail = await press(resident, "1 查看/报名", await resident.expect_message())
    await resident.press("✅ 报名（不留电话）", message=detail)
    return await resident.expect_edit()


def local_day_in(days: int):
    return local_today(utcnow(), SHANGHAI) + timedelta(days=days)


async def test_schedule_sign_up_full_double_and_cancel(fake, db, stations, app) -> None:
    member = await bind(fake, db, 8071, "GS0071", "范国")

    # the form: own stations, a past date and a reversed span refused with the reason
    await member.send("/reception")
    choose = await member.expect_message()
    assert "在哪个工作站" in choose.text
    assert choose.buttons == [["兰州无坐标委员工作站", "城关区街道委员工作室"], ["取消"]]
    ask_date = await press(member, "城关区街道委员工作室", choose)
    assert "城关区街道委员工作室" in ask_date.text
    past = local_day_in(-2)
    await member.send(f"{past.year}-{past.month:02d}-{past.day:02d}")
    assert "已经过去" in (await member.expect_message()).text
    await member.send("2月30日")
    assert "没有“2月30日”这一天" in (await member.expect_message()).text
    day = local_day_in(3)
    await member.send(f"{day.month}月{day.day}日")
    assert "几点到几点" in (await member.expect_message()).text
    await member.send("11:30-9:00")
    refused = await member.expect_message()
    assert "要晚于开始时间" in refused.text and "11:30" in refused.text
    await member.send("9点到11点半")  # as people say it
    assert "接待主题" in (await member.expect_message()).text
    await member.send("老旧小区改造意见征集")
    ask_capacity = await member.expect_message()
    assert ask_capacity.buttons == [["不限"]]
    await member.send("2")
    card = await member.expect_message()
    assert "城关区街道委员工作室" in card.text and "范国" in card.text and "09:00–11:30" in card.text
    assert "最多 2 人" in card.text and "老旧小区改造意见征集" in card.text
    saved = await press(member, "确认提交", card)
    assert "接待日已安排" in saved.text
    (reception,) = await receptions(db)
    assert reception.capacity == 2 and reception.status is ReceptionStatus.scheduled
    assert reception.starts_at == datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI)
    assert reception.ends_at == datetime(day.year, day.month, day.day, 11, 30, tzinfo=SHANGHAI)
    assert reception.created_by == 8071

    # resident A: a location, the day, 报名 — two taps
    alice = fake.user(9301, first_name="甲")
    await alice.send("/receptions")
    prompt, regions = await alice.expect_messages(2)
    assert prompt.reply_keyboard[0] == ["📍 发送我的位置"] and "我报名的接待日" in regions.buttons[-1]
    await alice.send_location(36.06, 103.82)
    await alice.expect_message()  # 已收到您的位置 (the menu back)
    nearest = await alice.expect_message()
    assert "城关区街道委员工作室" in nearest.text and "已报名 0/2" in nearest.text
    detail = await press(alice, "1 查看/报名", nearest)
    assert "老旧小区改造意见征集" in detail.text and detail.buttons == [["✅ 报名（不留电话）"]]
    await alice.press("✅ 报名（不留电话）", message=detail)
    done = await alice.expect_edit()
    assert "已报名" in done.text and "没有留电话" in done.text
    # twice: refused with a clear line, nothing written
    await alice.press_data(f"rcp:s:{reception.id}:0", message=done)
    assert "已经报名" in (await alice.expect_answer()).text
    assert "已经报名" in (await alice.expect_message()).text

    # resident B: shares the phone first, drills down by region, signs up with the phone shown to the member
    bob = fake.user(9302, first_name="乙")
    await bob.send("/start")
    await bob.expect_message()
    await bob.share_contact("+86 139-1234-5678")
    await bob.expect_message()
    await bob.send("/receptions")
    _, regions = await bob.expect_messages(2)
    step = await press(bob, "甘肃省", regions)
    step = await press(bob, "兰州市", step)
    assert "甘肃省/兰州市" in step.text and "城关区街道委员工作室" in step.text
    detail = await press(bob, "1 查看/报名", step)
    assert detail.buttons[1] == ["✅ 报名并留电话 139****5678（委员可见）"]
    await bob.press("✅ 报名并留电话 139****5678（委员可见）", message=detail)
    assert "13912345678" in (await bob.expect_edit()).text

    # resident C: the day is full
    carol = fake.user(9303, first_name="丙")
    await carol.send("/receptions")
    await carol.expect_messages(2)
    await carol.send_location(*QILIHE)
    await carol.expect_message()
    listing = await carol.expect_message()
    assert "已报满（2 人）" in listing.text
    detail = await press(carol, "1 查看/报名", listing)
    assert "已报满" in detail.text and not detail.buttons
    await carol.press_data(f"rcp:s:{reception.id}:0", message=listing)
    assert "已报满" in (await carol.expect_answer()).text
    await carol.expect_message()

    # A cancels from their sign-ups; C now gets the seat
    await alice.send("/mysignups")
    mine = await alice.expect_message()
    assert "我报名的接待日" in mine.text and "城关区街道委员工作室" in mine.text
    detail = await press(alice, "1 查看/报名", mine)
    assert "您已报名" in detail.text
    await alice.press("取消报名", message=detail)
    assert "已取消报名" in (await alice.expect_edit()).text
    await carol.press_data(f"rcp:s:{reception.id}:0", message=listing)
    assert "已报名" in (await carol.expect_edit()).text
    ids = {name: await resident_id(db, tid) for name, tid in (("a", 9301), ("b", 9302), ("c", 9303))}
    assert await signups(db, reception.id) == {
        ids["a"]: ("cancelled", None), ids["b"]: ("active", "13912345678"), ids["c"]: ("active", None)}

    # the member's list: who signed up, with the phone B chose to show; each day with its id (for `stations qr`)
    await member.send("/myreceptions")
    held = await member.expect_message()
    assert "已报满（2 人）" in held.text and f"11:30（编号 {reception.id}）" in held.text
    names = await press(member, "👥 名单1", held)
    assert "1. 乙（13912345678）" in names.text and "2. 报名群众（未留电话）" in names.text
    assert "丙" not in names.text and "甲" not in names.text

    # cancel: B and C are told (through the outbox, sent at once); A, who cancelled, is not
    question = await press(member, "🚫 取消1", held)
    assert "2 位群众" in question.text
    await member.press("确认取消接待日", message=question)
    assert "已通知 2 位" in (await member.expect_edit()).text
    for resident in (bob, carol):
        notice = await resident.expect_message()
        assert "接待日取消通知" in notice.text and "老旧小区改造意见征集" in notice.text
    await alice.expect_silence()
    (reception,) = await receptions(db)
    assert reception.status is ReceptionStatus.cancelled
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.key.startswith("rcp-cancel:")))).all()
    assert {(r.chat_id, r.status.value) for r in rows} == {(9302, "sent"), (9303, "sent")}
    # a cancelled day takes no sign-ups
    await alice.press_data(f"rcp:s:{reception.id}:0", message=detail)
    assert "已取消" in (await alice.expect_answer()).text
    await alice.expect_message()


async def schedule_directly(db, station_id: int, member_number: str, *, days: int, hour: int = 9,
                            capacity: int | None = None, topic: str = "倾听群众呼声") -> int:
    day = local_day_in(days)
    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.number == member_number))).one()
        reception = await svc.schedule(
            session, who=Scheduler(telegram_id=member.telegram_id or 1, member_id=member.id), station_id=station_id,
            starts_at=datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI),
            ends_at=datetime(day.year, day.month, day.day, hour + 2, tzinfo=SHANGHAI), topic=topic,
            capacity=capacity, now=utcnow(), policy=POLICY)
        await session.commit()
        return reception.id


async def test_nearest_first_and_the_members_link(fake, db, stations, app) -> None:
    far_soon = await schedule_directly(db, stations["ZS001"], "GS0071", days=1, topic="城关区的接待日")
    near_late = await schedule_directly(db, stations["ZS002"], "GS0058", days=5, topic="七里河区的接待日")
    nowhere = await schedule_directly(db, stations["ZS099"], "GS0071", days=2, topic="没有坐标的接待日")
    assert len({far_soon, near_late, nowhere}) == 3
    resident = fake.user(9311, first_name="丁")
    await resident.send_location(*QILIHE)
    await resident.expect_message()
    listing = await resident.expect_message()
    text = listing.text
    assert text.index("七里河区的接待日") < text.index("城关区的接待日") < text.index("没有坐标的接待日")
    assert "约 0.0 公里" in text and "约 4.0 公里" in text

    # through 范国's 找我反映 link: only his days
    async with db.session() as session:
        member_id = (await session.exec(select(Member.id).where(Member.number == "GS0071"))).one()
        token = await member_link_token(session, member_id=member_id)
        await session.commit()
    visitor = fake.user(9312, first_name="戊")
    await visitor.send(f"/start {link_payload(token)}")
    greeting, _ = await visitor.expect_messages(2)  # the member named, then the welcome
    assert greeting.buttons == [["📅 范国 委员的接待日"]]
    days = await press(visitor, "📅 范国 委员的接待日", greeting)
    assert "城关区的接待日" in days.text and "没有坐标的接待日" in days.text and "七里河区" not in days.text
    await visitor.send("📅 接待日")
    first = await visitor.expect_message()
    assert "范国" in first.text and "城关区的接待日" in first.text
    await visitor.expect_messages(2)


async def test_the_menu_asks_for_the_phone_only_until_it_is_shared(fake, db, stations, app) -> None:
    """📅 接待日 and a shared location give the menu back: 📱 分享我的手机号 on it only while no phone is saved."""
    share = "📱 分享我的手机号"
    resident = fake.user(9313, first_name="己")
    await resident.send("📅 接待日")
    prompt, _ = await resident.expect_messages(2)
    assert prompt.reply_keyboard[0] == ["📍 发送我的位置"] and [share] in prompt.reply_keyboard
    await resident.share_contact("13912345678")
    assert [share] not in (await resident.expect_message()).reply_keyboard
    await resident.send("📅 接待日")
    prompt, _ = await resident.expect_messages(2)
    assert prompt.reply_keyboard[0] == ["📍 发送我的位置"] and [share] not in prompt.reply_keyboard
    await resident.send_location(*QILIHE)
    back = await resident.expect_message()  # no day coming: said so, with the menu back
    assert back.reply_keyboard[0] == ["📮 我要反映", "📋 我的诉求"] and [share] not in back.reply_keyboard


async def test_the_member_edits_and_the_signed_up_are_told(fake, db, stations, app) -> None:
    member = await bind(fake, db, 8071, "GS0071", "范国")
    reception_id = await schedule_directly(db, stations["ZS001"], "GS0071", days=4, capacity=5)
    resident = fake.user(9321, first_name="己")
    async with db.session() as session:
        person = await touch_resident(session, telegram_id=9321, display_name="己", username=None)
        await svc.sign_up(session, reception_id=reception_id, resident_id=person.id, phone=None, now=utcnow())
        await session.commit()
    await member.send("/myreceptions")
    held = await member.expect_message()
    card = await press(member, "✏️ 修改1", held)
    assert "修改接待日" in card.text and "最多 5 人" in card.text
    fields = await press(member, "修改", card)
    assert fields.buttons[0] == ["日期", "时间", "主题"]  # the station stays
    await press(member, "时间", fields)
    await member.send("14:00-16:00")
    card = await member.expect_message()
    assert "14:00–16:00" in card.text
    fields = await press(member, "修改", card)
    await press(member, "人数", fields)
    await member.send("0")
    assert "1–10000" in (await member.expect_message()).text
    await member.send("1")
    card = await member.expect_message()
    done = await press(member, "确认提交", card)
    assert "接待日已修改" in done.text and "已通知 1 位" in done.text
    notice = await resident.expect_message()
    assert "接待日变更通知" in notice.text and "14:00–16:00" in notice.text and "09:00–11:00" in notice.text
    (reception,) = await receptions(db)
    assert reception.starts_at.astimezone(SHANGHAI).hour == 14 and reception.capacity == 1


async def test_the_reminder_is_sent_once_the_day_before_at_shanghai_time(fake, db, stations, app) -> None:
    """A reception day at 00:30 on 11 March (Shanghai) is 16:30 UTC on the 10th: its reminder is due at 18:00
    Shanghai on the 10th (10:00 UTC), not a minute before, and only once however often the job runs."""
    member = await bind(fake, db, 8071, "GS0071", "范国")
    residents = [fake.user(9331 + i, first_name=name) for i, name in enumerate(("庚", "辛", "壬"))]
    starts = datetime(2027, 3, 11, 0, 30, tzinfo=SHANGHAI)
    async with db.session() as session:
        mid = (await session.exec(select(Member.id).where(Member.number == "GS0071"))).one()
        with time_machine.travel(datetime(2027, 3, 1, tzinfo=SHANGHAI), tick=False):
            reception = await svc.schedule(
                session, who=Scheduler(telegram_id=8071, member_id=mid), station_id=stations["ZS001"],
                starts_at=starts, ends_at=starts + timedelta(hours=2), topic="深夜接待", capacity=None,
                now=utcnow(), policy=POLICY)
        ids = []
        for user in residents:
            person = await touch_resident(session, telegram_id=user.id, display_name=user.first_name, username=None)
            await svc.sign_up(session, reception_id=reception.id, resident_id=person.id, phone=None,
                              now=datetime(2027, 3, 2, tzinfo=SHANGHAI))
            ids.append(person.id)
        await svc.cancel_signup(session, reception_id=reception.id, resident_id=ids[2],
                                now=datetime(2027, 3, 3, tzinfo=SHANGHAI))
        await session.commit()
        reception_id = reception.id
    context = LianxinContext(app)

    async def keys() -> set[str]:
        async with db.session() as session:
            return set((await session.exec(select(OutboxMessage.key).where(
                OutboxMessage.key.startswith(f"rcp-remind:{reception_id}:")))).all())

    with time_machine.travel(datetime(2027, 3, 10, 17, 59, 59, tzinfo=SHANGHAI), tick=False):
        await remind_receptions(context)
    assert await keys() == set()
    with time_machine.travel(datetime(2027, 3, 10, 18, 0, tzinfo=SHANGHAI), tick=False):
        await remind_receptions(context)
        first = await keys()
        await remind_receptions(context)  # a re-run, or a second process
    with time_machine.travel(datetime(2027, 3, 10, 23, 0, tzinfo=SHANGHAI), tick=False):
        await remind_receptions(context)
    assert await keys() == first and len(first) == 3  # the two still signed up and the member
    (reception,) = await receptions(db)
    assert reception.reminder_sent_at == datetime(2027, 3, 10, 10, 0, tzinfo=ZoneInfo("UTC"))
    # delivered by the outbox: each once
    for user in residents[:2]:
        reminder = await user.expect_message(timeout=15)
        assert "接待日提醒" in reminder.text and "3月11日（周四）00:30–02:30" in reminder.text
    to_member = await member.expect_message(timeout=15)
    assert "明天您在 城关区街道委员工作室" in to_member.text and "2 人报名" in to_member.text
    assert to_member.buttons == [["👥 报名名单"]]
    await residents[2].expect_silence()
    await settle(app)


async def test_a_coordinator_schedules_for_the_member_on_duty_and_others_are_refused(fake, db, stations, app) -> None:
    on_duty = await bind(fake, db, 8058, "GS0058", "易英")
    elsewhere = await bind(fake, db, 8003, "GS0003", "胡刚")  # on duty nowhere
    resident = fake.user(9341, first_name="癸")
    await resident.send("/reception")
    assert "只有驻站委员" in (await resident.expect_message()).text
    await elsewhere.send("/reception")
    assert "还没有驻站" in (await elsewhere.expect_message()).text

    admin = fake.user(ADMIN_ID, first_name="管理员")
    await admin.send("/reception")
    choose = await admin.expect_message()
    assert sorted(name for row in choose.buttons[:-1] for name in row) == sorted(s[1] for s in STATIONS)
    await press(admin, "七里河区社区委员工作站", choose)
    day = local_day_in(6)
    await admin.send(f"{day.year}年{day.month}月{day.day}日")
    await admin.expect_message()
    await admin.send("14:00-16:30")
    await admin.expect_message()
    await admin.send("社区养老服务")
    capacity = await admin.expect_message()
    card = await press(admin, "不限", capacity)
    assert "易英" in card.text and "不限" in card.text
    assert "接待日已安排" in (await press(admin, "确认提交", card)).text
    notice = await on_duty.expect_message()
    assert "为您安排了接待日" in notice.text and "七里河区社区委员工作站" in notice.text
    (reception,) = await receptions(db)
    assert reception.created_by == ADMIN_ID and reception.capacity is None
    # the member on duty sees it in their list; the admin too (they scheduled it)
    await on_duty.send("/myreceptions")
    assert "社区养老服务" in (await on_duty.expect_message()).text
    await admin.send("/myreceptions")
    assert "社区养老服务" in (await admin.expect_message()).text
    # a member of another station may not cancel it, even with forged data
    await elsewhere.send("/myreceptions")
    held = await elsewhere.expect_message()
    await elsewhere.press_data(f"rcp:xo:{reception.id}:0", message=held)
    assert "无权" in (await elsewhere.expect_answer()).text
    (reception,) = await receptions(db)
    assert reception.status is ReceptionStatus.scheduled
    # the admin cancels it: the member on duty is told
    await admin.send("/myreceptions")
    listing = await admin.expect_message()
    question = await press(admin, "🚫 取消1", listing)
    await admin.press("确认取消接待日", message=question)
    assert "已通知 0 位" in (await admin.expect_edit()).text
    told = await on_duty.expect_message()
    assert "政协办公室取消了您在 七里河区社区委员工作站" in told.text


async def test_a_second_overlapping_day_of_the_member_is_refused_at_the_time_step(fake, db, stations, app) -> None:
    """范国 holds 9:00–11:00 at 城关区 in three days; scheduling 9:30–10:30 there again is refused, naming the
    first day; 11:00–12:00 (touching) is taken; moving the second onto the first is refused the same way."""
    member = await bind(fake, db, 8071, "GS0071", "范国")
    first = await schedule_directly(db, stations["ZS001"], "GS0071", days=3)
    day = local_day_in(3)
    await member.send("/reception")
    choose = await member.expect_message()
    await press(member, "城关区街道委员工作室", choose)
    await member.send(f"{day.month}月{day.day}日")
    await member.expect_message()
    await member.send("9:30-10:30")
    refused = await member.expect_message()
    assert "与范国委员已安排的接待日重叠：城关区街道委员工作室" in refused.text
    assert "09:00–11:00" in refused.text and f"编号 {first}" in refused.text
    await member.send("11:00-12:00")
    assert "接待主题" in (await member.expect_message()).text
    await member.send("第二场接待")
    capacity = await member.expect_message()
    card = await press(member, "不限", capacity)
    assert "接待日已安排" in (await press(member, "确认提交", card)).text
    assert len(await receptions(db)) == 2

    # moving the second day onto the first: refused at the time step, nothing changed
    await member.send("/myreceptions")
    held = await member.expect_message()
    card = await press(member, "✏️ 修改2", held)
    fields = await press(member, "修改", card)
    await press(member, "时间", fields)
    await member.send("10:30-11:30")
    assert "重叠" in (await member.expect_message()).text
    await member.send("/cancel")
    await member.expect_message()
    spans = [(r.starts_at.astimezone(SHANGHAI).hour, r.ends_at.astimezone(SHANGHAI).hour) for r in await receptions(db)]
    assert spans == [(9, 11), (11, 12)]


async def test_a_day_scheduled_after_its_reminder_time_says_today_and_promises_no_reminder(
        fake, db, stations, runner, settings) -> None:
    """At 06:55 on 7 December (Shanghai) 范国 schedules 今天 08:00–09:00: its reminder moment (18:00 the day
    before) is past, so the confirmation promises none, the catch-up reminder says 今天 (not 明天), and a
    resident who signs up afterwards is not promised a reminder that cannot come."""
    with time_machine.travel(datetime(2026, 12, 7, 6, 55, tzinfo=SHANGHAI), tick=True) as clock:
        app = await runner.start(settings)
        member = await bind(fake, db, 8071, "GS0071", "范国")
        await member.send("/reception")
        choose = await member.expect_message()
        await press(member, "城关区街道委员工作室", choose)
        await member.send("今天")
        await member.expect_message()
        await member.send("8:00-9:00")
        await member.expect_message()
        await member.send("早间接待")
        card = await press(member, "不限", await member.expect_message())
        saved = await press(member, "确认提交", card)
        assert "接待日已安排" in saved.text and "前一天会提醒" not in saved.text
        assert "前一天的提醒时间已过" in saved.text
        (reception,) = await receptions(db)

        await remind_receptions(LianxinContext(app))
        to_member = await member.expect_message(timeout=15)
        assert "今天您在 城关区街道委员工作室" in to_member.text and "明天" not in to_member.text

        clock.move_to(datetime(2026, 12, 7, 7, 0, tzinfo=SHANGHAI))
        resident = fake.user(9351, first_name="子")
        signed = await sign_up_nearest(resident)
        assert "已报名" in signed.text and "前一天会提醒您" not in signed.text and "不再另发提醒" in signed.text
        await remind_receptions(LianxinContext(app))  # reminded already: nothing more
        await resident.expect_silence()
        await runner.stop(app)


async def test_unsigning_from_a_day_the_member_cancelled_says_the_day_was_cancelled(fake, db, stations, app) -> None:
    member = await bind(fake, db, 8071, "GS0071", "范国")
    reception_id = await schedule_directly(db, stations["ZS001"], "GS0071", days=2, topic="取消的接待日")
    resident = fake.user(9361, first_name="丑")
    signed = await sign_up_nearest(resident)
    assert signed.buttons == [["取消报名"]]

    await member.send("/myreceptions")
    question = await press(member, "🚫 取消1", await member.expect_message())
    await member.press("确认取消接待日", message=question)
    await member.expect_edit()
    assert "接待日取消通知" in (await resident.expect_message()).text

    await resident.press("取消报名", message=signed)
    alert = await resident.expect_answer()
    assert "已被接待方（委员或政协办公室）取消" in alert.text and "不是您取消的报名" in alert.text
    assert "已取消报名" not in alert.text
    edited = await resident.expect_edit()
    assert "已被接待方（委员或政协办公室）取消" in edited.text and not edited.buttons
    rid = await resident_id(db, 9361)
    assert await signups(db, reception_id) == {rid: ("active", None)}  # nothing changed


async def station_of_three(db) -> int:
    """兰州市社区委员工作站 as the station file has it: 苏秀丽 (GS0075), 段强磊 (GS0089), 黄晨晶 (GS0005) on duty."""
    from models import Region, Station, StationMember

    async with db.session() as session:
        region_id = (await session.exec(select(Region.id).where(Region.path == "甘肃省/兰州市"))).one()
        station = Station(code="ZS004", name="兰州市社区委员工作站", region_id=region_id, address="甘肃省兰州市9号")
        session.add(station)
        await session.flush()
        for position, number in enumerate(("GS0075", "GS0089", "GS0005")):
            member_id = (await session.exec(select(Member.id).where(Member.number == number))).one()
            session.add(StationMember(station_id=station.id, member_id=member_id, position=position))
        await session.commit()
        return station.id


async def test_a_coordinator_chooses_who_receives_and_is_told_when_they_are_unbound(fake, db, stations, app) -> None:
    station_id = await station_of_three(db)
    bound = await bind(fake, db, 8089, "GS0089", "段强磊")
    admin = fake.user(ADMIN_ID, first_name="管理员")
    await admin.send("/reception")
    choose = await admin.expect_message()
    who = await press(admin, "兰州市社区委员工作站", choose)
    assert "由哪位委员接待" in who.text
    # the bound member first, the unbound ones marked
    assert who.buttons == [["段强磊", "苏秀丽（未绑定）"], ["黄晨晶（未绑定）"], ["取消"]]
    await press(admin, "苏秀丽（未绑定）", who)
    day = local_day_in(5)
    await admin.send(f"{day.month}月{day.day}日")
    await admin.expect_message()
    await admin.send("9:00-10:00")
    await admin.expect_message()
    await admin.send("社区议事")
    card = await press(admin, "不限", await admin.expect_message())
    assert "接待委员：苏秀丽" in card.text and "苏秀丽 委员还没有绑定 Telegram" in card.text
    # changed to the bound member: no warning, and they hold the day and are told
    fields = await press(admin, "修改", card)
    assert fields.buttons[0] == ["工作站", "接待委员", "日期"]
    again = await press(admin, "接待委员", fields)
    card = await press(admin, "段强磊", again)
    assert "接待委员：段强磊" in card.text and "没有绑定" not in card.text
    assert "接待日已安排" in (await press(admin, "确认提交", card)).text
    (reception,) = await receptions(db)
    async with db.session() as session:
        holder = await session.get(Member, reception.member_id)
    assert (reception.station_id, holder.number) == (station_id, "GS0089")
    assert "为您安排了接待日" in (await bound.expect_message()).text

    # without a choice the bound member on duty holds a coordinator's day (the first bound, not the first listed)
    async with db.session() as session:
        chosen = await svc.member_on_duty(session, Scheduler(telegram_id=ADMIN_ID, staff=True), station_id)
    assert chosen.number == "GS0089"


async def test_an_overlap_that_appeared_meanwhile_is_refused_on_saving_and_the_time_asked_again(
        fake, db, stations, app) -> None:
    member = await bind(fake, db, 8071, "GS0071", "范国")
    day = local_day_in(3)
    await member.send("/reception")
    await press(member, "城关区街道委员工作室", await member.expect_message())
    await member.send(f"{day.month}月{day.day}日")
    await member.expect_message()
    await member.send("9:30-10:30")
    await member.expect_message()
    await member.send("上午接待")
    card = await press(member, "不限", await member.expect_message())
    other = await schedule_directly(db, stations["ZS099"], "GS0071", days=3)  # 09:00–11:00, meanwhile
    await member.press("确认提交", message=card)
    refused, ask_span = await member.expect_messages(2)
    assert "兰州无坐标委员工作站" in refused.text and f"编号 {other}" in refused.text
    assert "几点到几点" in ask_span.text
    await member.send("11:00-12:00")
    card = await member.expect_message()  # back to the card with the new time
    assert "11:00–12:00" in card.text
    assert "接待日已安排" in (await press(member, "确认提交", card)).text
    assert len(await receptions(db)) == 2
