"""End to end: the form kit's guarantees, shown on the /log form.

String states that survive an upgrade, a record and its form's end committed together,
a form restored at a button step that sends its buttons again, and buttons with values
the form never offered.
"""

from __future__ import annotations

import json

from sqlalchemy import update
from sqlmodel import select

from bot.db import migrate, sync_engine, upgrade
from models import Activity, BotState, ContactPoint, Member
from tests.conftest import bind
from tests.test_e2e_log import SUMMARY, activities, fill_until_photos, press


async def test_a_form_left_open_before_the_upgrade_continues(fake, db, roster, runner, settings, database_url) -> None:
    """Revision 0002 stored integer states and a `log_draft`; after the upgrade the form goes on."""
    migrate(database_url, "0002", down=True)
    async with db.session() as session:
        await session.exec(update(Member).where(Member.number == "GS0003").values(telegram_id=6001))
        # only the columns of revision 0002 (the ORM models are at head)
        member_id = (await session.exec(select(Member.id).where(Member.number == "GS0003"))).one()
        point_id = (await session.exec(select(ContactPoint.id).where(
            ContactPoint.member_id == member_id, ContactPoint.name == "祁连村"))).one()
        old_draft = {"nonce": "a1b2c3", "kind": "visit", "day": None, "place": None, "contact_point_id": None,
                     "people": None, "summary": None, "photos": [], "activity_id": None, "reviewing": False,
                     "step": 1, "touched_at": None, "duplicate_ok": False}
        session.add(BotState(kind="user_data", key="6001", data=json.dumps({"log_draft": old_draft})))
        session.add(BotState(kind="conversation:log_activity", key=json.dumps([6001, 6001]), data="1"))  # DATE
        await session.commit()
    upgrade(database_url)
    async with db.session() as session:
        state = (await session.exec(select(BotState.data).where(BotState.kind == "conversation:log_activity"))).one()
    assert json.loads(state) == "date"

    await runner.start(settings)
    user = fake.user(6001, first_name="胡刚")
    await user.send("今天")
    places = await user.expect_message()
    assert "联系点" in places.text
    assert "人次" in (await press(user, "祁连村", message=places)).text
    await user.send("6")
    await user.expect_message()
    await user.send(SUMMARY)
    await user.expect_message()
    await press(user, "跳过")
    saved = await press(user, "确认提交")
    assert "已保存" in saved.text
    (activity,) = await activities(db)
    assert activity.kind == "visit" and activity.contact_point_id == point_id and activity.people == 6


async def test_saved_record_and_ended_form_are_one_commit(fake, db, roster, runner, settings, database_url) -> None:
    """At the moment the bot reports the save, the database already has the activity and no open form;
    and when that report fails, the member hears that it was saved, not to try again."""
    app = await runner.start(settings)
    user = await bind(fake, db, 6002, "GS0003", "胡刚")
    await fill_until_photos(user)
    await press(user, "跳过")

    from tests.support.fake_telegram import ApiError

    name, send = fake._methods["sendmessage"]
    seen: dict[str, object] = {}

    def failing_send(params: dict) -> dict:
        if "活动编号" in str(params.get("text", "")):  # the full "✅ 已保存，活动编号 …" report
            engine = sync_engine(database_url)
            with engine.connect() as connection:
                seen["activities"] = connection.execute(select(Activity.id)).all()
                seen["states"] = connection.execute(
                    select(BotState.kind, BotState.data).where(BotState.key.like("%6002%"))).all()
            engine.dispose()
            raise ApiError(400, "Bad Request: message is too long")  # a failure no retry can mend
        return send(params)

    fake._methods["sendmessage"] = (name, failing_send)
    await user.press("确认提交")
    told = await user.expect_message()
    fake._methods["sendmessage"] = (name, send)
    (activity,) = await activities(db)
    assert seen["activities"] == [(activity.id,)]
    assert [kind for kind, _ in seen["states"]] == ["user_data"] or seen["states"] == []
    assert all("form" not in json.loads(data) for _, data in seen["states"])
    assert f"#{activity.id} 已保存" in told.text and "稍后再试" not in told.text
    await user.send("/cancel")
    assert "当前没有进行中的操作" in (await user.expect_message()).text
    assert app.running


async def test_form_restored_at_a_button_step_sends_its_buttons_again(fake, db, roster, runner, settings) -> None:
    first = await runner.start(settings)
    user = await bind(fake, db, 6003, "GS0003", "胡刚")
    await fill_until_photos(user)
    card = await press(user, "跳过")
    assert "请确认活动信息" in card.text
    # the crash came after the card's buttons were removed ("✔ 确认提交") and before the save
    fake._methods["editmessagereplymarkup"][1]({"chat_id": 6003, "message_id": card.message_id})
    await runner.stop(first, clean=False)
    await runner.start(settings)
    await user.send("提交")
    again = await user.expect_message()
    assert "请确认活动信息" in again.text and again.buttons[0] == ["确认提交"]
    assert "已保存" in (await press(user, "确认提交", message=again)).text
    assert len(await activities(db)) == 1


async def test_buttons_the_form_never_offered_are_stale(fake, db, roster, app) -> None:
    user = await bind(fake, db, 6004, "GS0003", "胡刚")
    await user.send("/log")
    kinds = await user.expect_message()
    dates = await press(user, "主动走访")
    nonce = dates.button_data["今天"].split(":")[1]
    for data in (f"log:{nonce}:date:5", f"log:{nonce}:date:", f"log:{nonce}:kind:visit", ""):
        await user.press_data(data, message=dates)
        assert "已失效" in (await user.expect_answer()).text, data
    await user.press_data("", message=kinds)
    assert "已失效" in (await user.expect_answer()).text
    await user.expect_silence()
    assert "联系点" in (await press(user, "今天", message=dates)).text  # the real button still works
    await user.send("/cancel")
    await user.expect_message()
    await user.press_data("", message=dates)  # outside the form too
    assert "已失效" in (await user.expect_answer()).text


async def test_the_button_under_a_reminder_opens_the_log_form(fake, db, roster, app) -> None:
    from bot.callbacks import RemindButton

    user = await bind(fake, db, 6005, "GS0003", "胡刚")
    await user.send("/my")
    my = await user.expect_message()
    await user.press_data(RemindButton().pack(), message=my)
    assert "请选择活动类型" in (await user.expect_message()).text


def test_remind_and_report_are_commands_of_the_cli(database_url, capsys) -> None:
    from bot.cli import main
    from tests.conftest import offline_settings, sample_roster

    settings = offline_settings(database_url)
    assert main(["members", "import", str(sample_roster())], settings=settings) == 0
    assert main(["remind", "--occasion", "mid", "--quarter", "2026Q4", "--dry-run"], settings=settings) == 0
    assert main(["remind", "--help"], settings=settings) == 0
    out = capsys.readouterr().out
    assert "2026Q4" in out and "用法" in out
