"""Check-in at the door, end to end through the fake Bot API: the member's poster, four residents at the
door (one twice, one who never used the bot, one after check-in closed), a request raised after checking
in, the day's card to the member on duty, walk-ins added, one activity saved; and a kill -9 in the
middle of check-ins."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.context import LianxinContext
from models import Activity, Case, InboxUpdate, Reception, ReceptionCheckin, ReceptionStatus, Resident, utcnow
from scheduler.checkin import send_cards
from tests.conftest import bind
from tests.support.bot_process import BotProcess
from tests.support.case_flows import DESCRIPTION, press
from tests.support.fake_telegram import image_size
from tests.support.receptions import SHANGHAI, move, new_token, reception_day

STATION = "合作市坚木克尔街委员工作站"
SUMMARY = "接待群众反映校车和上学路问题，现场解答政策。"


async def reception(db, reception_id: int) -> Reception:
    async with db.session() as session:
        return await session.get(Reception, reception_id)


async def test_posters_check_ins_a_request_and_the_days_activity(fake, db, roster, app) -> None:
    now = utcnow()
    member = await bind(fake, db, 8021, "GS0021", "孙凯凯")
    day = await reception_day(db, starts=now - timedelta(minutes=30), ends=now + timedelta(minutes=30), issue=False)

    # the member's poster: made at the first press; asked again, only a new one (the old stops working)
    await member.send("/checkin_qr")
    listed = await member.expect_message()
    assert "选择" in listed.text and STATION in listed.buttons[0][0]
    await member.press(listed.buttons[0][0], message=listed)
    poster = await member.expect_message()
    assert poster.document["file_name"].endswith(".png") and STATION in poster.caption
    assert image_size(poster.document_bytes) == ("png", 1748, 2480)  # A5 at 300 DPI, as printed
    first = (await reception(db, day.reception_id)).checkin_token_hash
    assert first is not None and len(first) == 64
    await member.press(listed.buttons[0][0], message=listed)
    asked = await member.expect_message()
    assert "只在生成时显示一次" in asked.text
    await member.press("🔄 重新生成（旧码失效）", message=asked)
    assert not (await member.expect_edit()).buttons  # used: a second tap cannot kill the poster just printed
    assert (await member.expect_message()).document
    second = (await reception(db, day.reception_id)).checkin_token_hash
    assert second not in (None, first)
    assert not member.message(asked.message_id).buttons
    with pytest.raises(AssertionError, match="No button"):  # nothing left to tap on the old message
        await member.press("🔄 重新生成（旧码失效）", message=asked)
    assert (await reception(db, day.reception_id)).checkin_token_hash == second

    token = await new_token(db, day.reception_id, now)  # what the printed poster carries
    link = f"/start c_{token}"
    one, two, three, four = (fake.user(9200 + n, first_name=f"居民{n}") for n in range(1, 5))
    await one.send("/start")  # has used the bot before
    await one.expect_message()
    await one.send(link)
    counted = await one.expect_message()
    assert "签到成功" in counted.text and STATION in counted.text and "孙凯凯" in counted.text
    assert counted.buttons == [["📮 有问题要反映"]]
    await one.send(link)  # scanned twice
    assert "您已签到" in (await one.expect_message()).text
    await two.send(link)  # never used the bot: scanning starts it, with the resident's menu
    counted, welcome = await two.expect_messages(2)
    assert "签到成功" in counted.text and "欢迎使用" in welcome.text and two.reply_keyboard
    assert "request" in [c for c, _ in fake.commands_for(9202)]
    await three.send("/start")
    await three.expect_message()
    await three.send(link)
    assert "签到成功" in (await three.expect_message()).text
    await four.send("/start c_" + "A" * 22)  # forged
    assert "无效" in (await four.expect_message()).text

    # three raises a request from the check-in: the station's region is set, it goes to the member on duty
    await three.press("📮 有问题要反映")
    via, categories = await three.expect_messages(2)
    assert "孙凯凯" in via.text and STATION in via.text
    step = await press(three, "教育", categories)
    assert "请描述您遇到的问题" in step.text  # the place is the station's: not asked
    await three.send(DESCRIPTION)
    step = await three.expect_message()
    step = await press(three, "跳过", step)
    await three.expect_message()  # or skip
    card = await press(three, "跳过")
    assert "合作市" in card.text
    await press(three, "确认提交", card)
    arrived = await member.expect_message()
    async with db.session() as session:
        (case,) = (await session.exec(select(Case))).all()
    assert case.number in arrived.text
    held_on = (now - timedelta(minutes=30)).astimezone(SHANGHAI).strftime("%Y-%m-%d")
    assert f"来源：接待日 · {STATION} · {held_on}" in arrived.text  # the member's card says where it came from
    assert (case.reception_id, case.member_id, case.region_id) == (day.reception_id, day.member_id, day.region_id)

    # the day is over and check-in has closed: a share of the link counts nothing
    now = utcnow()
    await move(db, day.reception_id, starts=now - timedelta(hours=5), ends=now - timedelta(hours=4))
    await four.send(link)
    assert "已经结束" in (await four.expect_message()).text
    async with db.session() as session:
        checkins = (await session.exec(select(func.count()).select_from(ReceptionCheckin))).one()
        newcomer = (await session.exec(select(Resident).where(Resident.telegram_id == 9202))).one()
    assert checkins == 3 and newcomer.display_name == "居民2"

    # the card to the member on duty, once, through the outbox
    context = LianxinContext(app)
    await send_cards(context)
    await send_cards(context)
    card = await member.expect_message(timeout=15)
    assert "接待日已结束" in card.text and "委员接待日" in card.text and STATION in card.text
    assert "人次：3（其中扫码核实 3 人次）" in card.text and case.number in card.text
    await member.expect_silence(1.0)
    await member.press("📝 补充并提交", message=card)
    _start, ask = await member.expect_messages(2)
    assert "活动内容" in ask.text
    await member.send(SUMMARY)
    walk_ins = await member.expect_message()
    assert "没有扫码" in walk_ins.text
    # numbered in the card's own three steps (the day gave kind, date, place and the check-ins)
    assert "（第 1/3 步）" in ask.text and walk_ins.text.startswith("（第 2/3 步）")
    await member.send("2")
    photos = await member.expect_message()
    assert "（第 3/3 步）" in photos.text
    confirm = await press(member, "跳过", photos)
    assert "人次：5（其中扫码核实 3 人次，未扫码 2 人次）" in confirm.text and f"地点：{STATION}" in confirm.text
    # the day's requests, as on the card sent when check-in closed
    assert f"当天群众反映的诉求：{case.number}" in confirm.text
    saved = await press(member, "确认提交", confirm)
    assert "已保存" in saved.text
    async with db.session() as session:
        (activity,) = (await session.exec(select(Activity))).all()
    held = await reception(db, day.reception_id)
    assert (activity.kind, activity.people, activity.verified_people, activity.reception_id) == (
        "reception_day", 5, 3, day.reception_id)
    assert activity.summary == SUMMARY and activity.place == STATION
    assert held.activity_id == activity.id and held.status == ReceptionStatus.held
    # the card pressed again: saved already, nothing more
    await member.press("📝 补充并提交", message=card)
    assert "已经登记为活动" in (await member.expect_answer()).text


async def test_a_day_nobody_scanned_at_needs_walk_ins(fake, db, roster, app) -> None:
    now = utcnow()
    member = await bind(fake, db, 8021, "GS0021", "孙凯凯")
    day = await reception_day(db, starts=now - timedelta(hours=5), ends=now - timedelta(hours=4))
    await send_cards(LianxinContext(app))
    card = await member.expect_message(timeout=15)
    assert "人次：0（其中扫码核实 0 人次）" in card.text and "当天没有群众提交诉求" in card.text
    await member.press("📝 补充并提交", message=card)
    await member.expect_messages(2)
    await member.send(SUMMARY)
    walk_ins = await member.expect_message()
    await member.press("没有", message=walk_ins)
    assert "没有人扫码签到" in (await member.expect_message()).text
    await member.send("3人")
    confirm = await press(member, "跳过", await member.expect_message())
    assert "人次：3（其中扫码核实 0 人次，未扫码 3 人次）" in confirm.text and "当天没有群众提交诉求" in confirm.text
    assert "已保存" in (await press(member, "确认提交", confirm)).text
    async with db.session() as session:
        (activity,) = (await session.exec(select(Activity))).all()
    assert (activity.people, activity.verified_people, activity.reception_id) == (3, 0, day.reception_id)


async def test_check_in_works_in_the_middle_of_a_form(fake, db, roster, app) -> None:
    now = utcnow()
    day = await reception_day(db, starts=now, ends=now + timedelta(hours=1))
    resident = fake.user(9301, first_name="居民")
    await resident.send("/request")
    await resident.expect_message()
    await resident.send(f"/start c_{day.token}")
    counted, _welcome = await resident.expect_messages(2)  # the first time the bot saw them as a resident
    assert "签到成功" in counted.text
    await resident.send("/cancel")  # the form was still open, where it was
    assert "取消" in (await resident.expect_message()).text


async def committed(db) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(ReceptionCheckin))).one()


async def test_a_kill_in_the_middle_of_check_ins_loses_none_and_counts_none_twice(
        fake, db, roster, database_url, tmp_path) -> None:
    now = utcnow()
    day = await reception_day(db, starts=now - timedelta(minutes=10), ends=now + timedelta(hours=1))
    bot = BotProcess(fake, database_url, tmp_path)
    fake.hold("sendMessage")  # no answer leaves: a check-in committed before the kill is never told
    bot.launch()
    try:
        with bot.shown_on_failure():
            await fake.wait_until(lambda: fake.calls_to("getUpdates"), timeout=30, message="the bot never polled")
            people = [fake.user(9400 + n, first_name=f"居民{n}") for n in range(30)]
            for person in people:
                await person.send(f"/start c_{day.token}")
            # killed as soon as the first check-in is committed, while the others are being handled
            for _ in range(3000):
                if await committed(db):
                    break
                await asyncio.sleep(0.01)
            await bot.kill()
            fake.release("sendMessage")  # the dead process's calls are dropped
            before = await committed(db)
            assert before >= 1 and all(p.messages == [] for p in people)
            bot.launch()
            for _ in range(120):  # until the restarted bot has handled every stored update
                async with db.session() as session:
                    undone = (await session.exec(select(func.count()).select_from(InboxUpdate)
                                                 .where(InboxUpdate.done_at.is_(None)))).one()
                if undone == 0 and not fake.pending_updates:
                    break
                await asyncio.sleep(0.5)
            assert undone == 0, "the restarted bot left updates unhandled"
            # each newcomer handled again: the check-in line and the welcome
            await fake.wait_until(lambda: sum(len(p.messages) == 2 for p in people) >= 30 - before, timeout=15)
            await asyncio.sleep(1.0)  # an update handled twice would have been answered by now
    finally:
        await bot.stop()
    async with db.session() as session:
        rows = (await session.exec(select(ReceptionCheckin.resident_id))).all()
    assert len(rows) == 30 == len(set(rows)), f"{before} counted before the kill, {len(rows)} after the restart"
    # exactly the updates not committed before the kill were handled again, once, and counted
    answered = [p for p in people if p.messages]
    assert len(answered) == 30 - before
    assert all(len(p.messages) == 2 and "签到成功" in p.messages[0].text for p in answered)
    print(f"check-ins committed before the kill: {before} of 30")
