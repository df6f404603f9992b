"""End to end: the /log form, every bad input, cancel, timeout, stale buttons and restarts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.services.rules import local_today
from models import Activity, ActivityPhoto, ContactPoint, utcnow
from tests.conftest import bind, issue_code, make_settings
from tests.support.bot_process import BotProcess

SUMMARY = "走访社区老人，了解养老服务需求"


@pytest.fixture
async def member(fake, db, roster, app):
    """GS0003 胡刚 (contact points 临夏渭源社区, 临夏东岗社区, 祁连村), bound and greeted."""
    return await bind(fake, db, 5001, "GS0003", "胡刚")


async def activities(db) -> list[Activity]:
    async with db.session() as session:
        return list((await session.exec(select(Activity).order_by(Activity.id))).all())


async def press(user, label: str, message=None):
    """Press a button and return the bot's next message."""
    await user.press(label, message=message)
    return await user.expect_message()


async def fill_until_photos(user, *, kind="主动走访", place="临夏渭源社区", people="12", summary=SUMMARY):
    await user.send("/log")
    assert "请选择活动类型" in (await user.expect_message()).text
    assert "活动日期" in (await press(user, kind)).text
    assert "联系点" in (await press(user, "今天")).text
    assert "人次" in (await press(user, place)).text
    await user.send(people)
    assert "活动内容" in (await user.expect_message()).text
    await user.send(summary)
    return await user.expect_message()


async def test_log_happy_path_with_photos(fake, db, member, settings) -> None:
    user = member
    await user.send("/log")
    kinds = await user.expect_message()
    labels = [b for row in kinds.buttons for b in row]
    assert labels[:9] == ["主动走访", "委员接待日", "协商议事", "帮办实事", "宣讲引导", "调研视察", "社情民意", "界别活动", "其他"]
    date_prompt = await press(user, "协商议事")
    assert "（第 2/6 步）" in date_prompt.text
    assert "✔ 协商议事" in kinds.text  # the choice is shown and the buttons are gone
    assert kinds.inline_keyboard == []
    places = await press(user, "今天")
    place_labels = [b for row in places.buttons for b in row]
    assert place_labels == ["临夏渭源社区", "临夏东岗社区", "祁连村", "其他（输入地点）"]
    await press(user, "临夏东岗社区")
    await user.send("十二")
    assert "活动内容" in (await user.expect_message()).text
    await user.send(SUMMARY)
    photo_prompt = await user.expect_message()
    assert "最多 5 张" in photo_prompt.text
    sent = []
    for n in (1, 2):
        sent.append(await user.send_photo())
        assert f"第 {n}/5 张" in (await user.expect_message()).text
    card = await press(user, "完成")
    assert "类型：协商议事" in card.text and "地点：临夏东岗社区" in card.text and "人次：12" in card.text
    assert "照片：2 张" in card.text and SUMMARY in card.text
    saved = await press(user, "确认提交")
    (activity,) = await activities(db)
    assert f"活动编号 #{activity.id}" in saved.text
    assert "本季度活动：1 次（要求 ≥1）✅" in saved.text
    assert "联系群众：12/40 人次" in saved.text and "▓▓▓░░░░░░░ 30%" in saved.text
    assert "全年积分：3" in saved.text and "排名第 1/" in saved.text
    assert activity.kind == "consultation" and activity.people == 12 and activity.points == 3
    assert activity.activity_date == local_today(utcnow(), settings.tz)
    assert activity.place == "临夏东岗社区" and activity.summary == SUMMARY
    async with db.session() as session:
        point = await session.get(ContactPoint, activity.contact_point_id)
        photos = (await session.exec(select(ActivityPhoto).order_by(ActivityPhoto.position))).all()
    assert point.name == "临夏东岗社区" and point.member_id == activity.member_id
    assert [p.file_id for p in photos] == [m["photo"][-1]["file_id"] for m in sent]  # the largest size
    assert user.last_message.text == saved.text
    assert card.inline_keyboard == [] and "✔ 确认提交" in card.text  # the card can't be submitted twice


async def test_every_bad_input_is_asked_again(fake, db, member) -> None:
    user = member
    await user.send("/log")
    await user.expect_message()
    await user.send("主动走访")  # typing instead of pressing
    assert "请点选" in (await user.expect_message()).text
    await press(user, "主动走访")
    for text, expected in [
        ("明天吧", "没看懂这个日期"),
        ((local_today(utcnow(), member_tz()) + timedelta(days=1)).isoformat(), "不能是将来的日期"),
        ("2020-01-01", "只能登记"),
        ("2026-02-30", "没有“2026-02-30”这一天"),
    ]:
        await user.send(text)
        assert expected in (await user.expect_message()).text, text
    await user.send(local_today(utcnow(), member_tz()).strftime("%m月%d日"))
    assert "联系点" in (await user.expect_message()).text
    assert "请输入地点" in (await press(user, "其他（输入地点）")).text
    await user.send("X")
    assert "地点名称需要 2–128 个字" in (await user.expect_message()).text
    await user.send("兰州市第一中学 <高三>")
    assert "人次" in (await user.expect_message()).text
    for text in ("abc", "0", "6000", "12.5", "-3"):
        await user.send(text)
        assert "1 到 5000 之间的整数" in (await user.expect_message()).text, text
    await user.send("12人")
    assert "活动内容" in (await user.expect_message()).text
    await user.send("短")
    assert "至少写 5 个字" in (await user.expect_message()).text
    await user.send("长" * 1001)
    assert "最多 1000 个字，现在有 1001 个字" in (await user.expect_message()).text
    await user.send("宣讲 <b>政策</b> & 解答问题")
    assert "照片" in (await user.expect_message()).text
    await user.send("这是文字")
    assert "请发送照片" in (await user.expect_message()).text
    for n in range(1, 6):
        await user.send_photo()
        assert f"第 {n}/5 张" in (await user.expect_message()).text
    await user.send_photo()
    assert "最多只能附 5 张照片" in (await user.expect_message()).text
    card = await press(user, "完成")
    assert "照片：5 张" in card.text and "兰州市第一中学 <高三>" in card.text and "宣讲 <b>政策</b> & 解答问题" in card.text
    # change one field from the card, come back to the card
    assert "要修改哪一项" in (await press(user, "修改")).text
    assert "人次" in (await press(user, "人次")).text
    await user.send("30")
    card = await user.expect_message()
    assert "人次：30" in card.text and "地点：兰州市第一中学 <高三>" in card.text
    await press(user, "确认提交")
    (activity,) = await activities(db)
    assert activity.people == 30 and activity.place == "兰州市第一中学 <高三>"
    async with db.session() as session:
        assert len((await session.exec(select(ActivityPhoto))).all()) == 5
        remembered = (await session.exec(select(ContactPoint).where(ContactPoint.name == "兰州市第一中学 <高三>"))).one()
    assert remembered.from_roster is False and remembered.member_id == activity.member_id
    # the typed place is offered next time
    await user.send("/log")
    await user.expect_message()
    await press(user, "主动走访")
    places = await press(user, "今天")
    assert "兰州市第一中学 <高三>" in [b for row in places.buttons for b in row]


def member_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


STEPS = ["kind", "date", "place", "people", "summary", "photos", "card"]


@pytest.mark.parametrize("step", STEPS)
async def test_cancel_at_every_step(fake, db, member, step: str) -> None:
    user = member
    await user.send("/log")
    await user.expect_message()
    actions = [
        lambda: press(user, "主动走访"),
        lambda: press(user, "今天"),
        lambda: press(user, "祁连村"),
        lambda: send_and_wait(user, "8"),
        lambda: send_and_wait(user, SUMMARY),
        lambda: press(user, "跳过"),
    ]
    for action in actions[: STEPS.index(step)]:
        await action()
    await user.send("/cancel")
    assert "已取消，本次登记没有保存" in (await user.expect_message()).text
    assert await activities(db) == []
    # the form is really over: plain text is no longer taken as an answer
    await user.send("12")
    assert "未识别" in (await user.expect_message()).text
    await user.send("/cancel")
    assert "没有进行中的操作" in (await user.expect_message()).text


async def send_and_wait(user, text: str):
    await user.send(text)
    return await user.expect_message()


async def test_card_cancel_button_and_commands_mid_form(fake, db, member) -> None:
    user = member
    await fill_until_photos(user)
    await user.send("/my")
    assert "您正在登记联系活动（当前步骤：照片）" in (await user.expect_message()).text
    card = await press(user, "跳过")
    assert "照片：0 张" in card.text
    assert "已取消" in (await press(user, "取消")).text
    assert await activities(db) == []


async def test_log_again_mid_form_restarts_and_old_buttons_are_stale(fake, db, member) -> None:
    user = member
    await user.send("/log")
    await user.expect_message()
    old_dates = await press(user, "主动走访")
    await user.send("/log")
    restart, new_kinds = await user.expect_messages(2)
    assert "已放弃之前未提交的登记" in restart.text
    await user.press("今天", message=old_dates)
    answer = await user.expect_answer()
    assert "已失效" in answer.text and answer.show_alert
    await user.expect_silence(0.2)
    assert "活动日期" in (await press(user, "委员接待日", message=new_kinds)).text
    # a forged or foreign button gets an answer too
    await user.press_data("log:zzzzzz:kind:visit")
    assert "已失效" in (await user.expect_answer()).text


async def test_members_only(fake, app) -> None:
    stranger = fake.user(6100)
    await stranger.send("/log")
    assert "仅限已绑定的政协委员" in (await stranger.expect_message()).text
    await stranger.send("📝 登记活动")
    assert "仅限已绑定的政协委员" in (await stranger.expect_message()).text


async def test_idle_form_times_out(fake, db, roster, runner, database_url) -> None:
    settings = make_settings(database_url, fake, conversation_timeout_minutes=0.02)  # 1.2 s
    await runner.start(settings)
    user = await bind(fake, db, 5002, "GS0004")
    await user.send("/log")
    await user.expect_message()
    dates = await press(user, "主动走访")
    timeout = await user.expect_message(timeout=10)
    assert "已自动取消" in timeout.text
    await user.press("今天", message=dates)
    assert "已失效" in (await user.expect_answer()).text
    await user.send("12")
    assert "未识别" in (await user.expect_message()).text


async def test_duplicate_is_asked_not_silently_saved(fake, db, member) -> None:
    user = member
    await fill_until_photos(user)
    await press(user, "跳过")
    await press(user, "确认提交")
    await fill_until_photos(user, people="20")
    await press(user, "跳过")
    asked = await press(user, "确认提交")
    first = (await activities(db))[0]
    assert "已有一条相同记录" in asked.text and f"#{first.id}" in asked.text
    assert len(await activities(db)) == 1
    assert "请确认活动信息" in (await press(user, "返回修改")).text
    await press(user, "确认提交")
    assert "已有一条相同记录" in user.last_message.text
    saved = await press(user, "仍要提交")
    assert "已保存" in saved.text and "联系群众：32/40 人次" in saved.text
    assert [a.people for a in await activities(db)] == [12, 20]


async def test_restart_mid_form_continues_where_it_was(fake, db, roster, runner, settings) -> None:
    first = await runner.start(settings)
    user = await bind(fake, db, 5003, "GS0003", "胡刚")
    await user.send("/log")
    await user.expect_message()
    await press(user, "帮办实事")
    places = await press(user, "昨天")
    # an unclean stop: polling ends, nothing is flushed at shutdown
    await runner.stop(first, clean=False)
    await runner.start(settings)
    assert "人次" in (await press(user, "祁连村", message=places)).text
    await user.send("7")
    await user.expect_message()
    await user.send(SUMMARY)
    await user.expect_message()
    await press(user, "跳过")
    await press(user, "确认提交")
    (activity,) = await activities(db)
    assert activity.kind == "practical_help" and activity.place == "祁连村" and activity.people == 7
    assert activity.activity_date == local_today(utcnow(), settings.tz) - timedelta(days=1)


async def test_killed_process_keeps_the_half_filled_form(fake, db, roster, database_url, tmp_path) -> None:
    """The real `python -m bot run`, killed with SIGKILL mid-form, then started again."""
    bot = BotProcess(fake, database_url, tmp_path)
    bot.launch()
    try:
        with bot.shown_on_failure():
            user = fake.user(5004, first_name="郑涛超")
            await user.send(f"/start {await issue_code(db, 'GS0004')}")
            await user.expect_messages(2, timeout=30)
            await user.send("/log")
            await user.expect_message()
            await press(user, "主动走访")
            places = await press(user, "今天")
            await bot.kill()
            bot.launch()
            await user.press("合作丝路社区", message=places)
            assert "人次" in (await user.expect_message(timeout=30)).text
            await user.send("9")
            await user.expect_message()
            await user.send(SUMMARY)
            await user.expect_message()
            await press(user, "跳过")
            saved = await press(user, "确认提交")
            assert "已保存" in saved.text
    finally:
        await bot.stop()
    (activity,) = await activities(db)
    assert activity.place == "合作丝路社区" and activity.people == 9


async def test_an_edited_earlier_message_is_not_an_answer(fake, db, member) -> None:
    import time

    user = member
    await user.send("/log")
    await user.expect_message()
    await press(user, "主动走访")
    await press(user, "今天")
    await press(user, "其他（输入地点）")
    placed = await user.send("兰州市第一中学")
    await user.expect_message()
    await user.send("12")
    assert "活动内容" in (await user.expect_message()).text
    fake.push_update({"edited_message": {**placed, "text": "兰州市第一中学高中部", "edit_date": int(time.time())}})
    await user.expect_silence(0.5)
    await user.send(SUMMARY)
    await user.expect_message()
    card = await press(user, "跳过")
    assert f"内容：{SUMMARY}" in card.text and "地点：兰州市第一中学\n" in card.text


async def test_form_restored_after_a_restart_still_times_out(fake, db, roster, runner, database_url) -> None:
    settings = make_settings(database_url, fake, conversation_timeout_minutes=0.05)  # 3 s
    first = await runner.start(settings)
    user = await bind(fake, db, 5005, "GS0004")
    await user.send("/log")
    await user.expect_message()
    dates = await press(user, "主动走访")
    first.job_queue.scheduler.pause()  # the process dies, and its timers with it
    await runner.stop(first, clean=False)
    await runner.start(settings)
    assert "已自动取消" in (await user.expect_message(timeout=15)).text
    await user.press("今天", message=dates)
    assert "已失效" in (await user.expect_answer()).text
    assert "已超时取消" in (await user.expect_message()).text
    await user.send("12")
    assert "未识别" in (await user.expect_message()).text


async def test_place_removed_by_a_roster_import_mid_form(fake, db, member, database_url, tmp_path) -> None:
    from tests.conftest import import_roster_file, sample_roster

    user = member
    await user.send("/log")
    await user.expect_message()
    await press(user, "主动走访")
    places = await press(user, "今天")
    text = sample_roster().read_text(encoding="utf-8-sig").replace(
        "临夏渭源社区;临夏东岗社区;祁连村", "临夏东岗社区;临夏渭源社区")
    (tmp_path / "r.csv").write_text(text, encoding="utf-8")
    await asyncio.to_thread(import_roster_file, database_url, tmp_path / "r.csv")
    await user.press("祁连村", message=places)
    assert "已失效" in (await user.expect_message()).text
    assert "人次" in (await press(user, "临夏渭源社区", message=places)).text  # kept its id: still valid


async def test_menu_buttons_and_odd_messages_never_become_answers(fake, db, member) -> None:
    user = member
    await user.send("/my")
    my = await user.expect_message()
    await user.send("/log")
    await user.expect_message()
    await press(user, "主动走访")
    await press(user, "今天")
    await user.reply_keyboard_press("📊 我的进度")
    assert "您正在登记联系活动（当前步骤：地点）" in (await user.expect_message()).text
    await user.send("其他")
    assert "具体的地点" in (await user.expect_message()).text
    await user.press("◀ 上一季度", message=my)  # a /my button while the form runs
    answer = await user.expect_answer()
    assert "您正在登记联系活动" in answer.text and answer.show_alert
    await press(user, "祁连村")
    await user.send("5")
    await user.expect_message()
    await user.send_photo()  # a photo where a summary is expected
    assert "请直接输入文字" in (await user.expect_message()).text
    await user.reply_keyboard_press("📁 履职档案")
    assert "当前步骤：活动内容" in (await user.expect_message()).text
    await user.send(SUMMARY)
    await user.expect_message()
    card = await press(user, "跳过")
    assert "地点：祁连村" in card.text and f"内容：{SUMMARY}" in card.text


async def test_a_reminders_log_button_while_another_form_is_open_says_so_once(fake, db, roster, runner, settings) -> None:
    """The 登记 button under a reminder while /request is open: one answer, the other form's alert, and the
    open form stays (it was answered twice: the entry's empty answer, then the busy alert)."""
    from tests.conftest import settle

    app = await runner.start(settings)
    member = await bind(fake, db, 7301, "GS0003", "胡刚")
    await member.send("/request")
    categories = await member.expect_message()
    await member.press_data("rm:log", message=categories)
    alert = await member.expect_answer()
    await settle(app)
    assert alert.show_alert and "您正在提交诉求" in alert.text
    assert not runner.errors, runner.errors
    await member.press("教育", message=categories)  # the request form goes on where it was
    assert "问题发生在哪里" in (await member.expect_message()).text
