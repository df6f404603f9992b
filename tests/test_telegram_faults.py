"""When Telegram fails or a user leaves: transient faults retried or said in one line, blocked users recorded
and cleared, odd button data answered as stale."""

from __future__ import annotations

import logging

import pytest

from bot.services.reachability import is_blocked
from tests.conftest import bind, settle

# --- transient faults ---------------------------------------------------------------------

async def test_a_502_is_retried_and_the_user_never_notices(fake, app, caplog) -> None:
    user = fake.user(7200, first_name="居民")
    fake.fail_next("sendMessage", code=502, description="Bad Gateway")
    with caplog.at_level(logging.DEBUG, logger="bot.request"):
        await user.send("/help")
        assert "使用说明" in (await user.expect_message()).text
    assert [e.error_code for e in fake.errors if e.method == "sendMessage"] == [502]
    assert any("retry 1/3" in r.getMessage() for r in caplog.records)


async def test_a_429_waits_as_told(fake, app) -> None:
    user = fake.user(7201, first_name="居民")
    fake.fail_next("sendMessage", code=429, description="Too Many Requests: retry after 1",
                   parameters={"retry_after": 1})
    await user.send("/help")
    message = await user.expect_message(timeout=10)
    assert "使用说明" in message.text
    (error,) = [e for e in fake.errors if e.method == "sendMessage"]
    assert error.error_code == 429 and message.date >= 0


async def test_telegram_down_for_good_is_one_log_line_and_no_try_again(fake, runner, settings, caplog) -> None:
    app = await runner.start(settings)
    runner.errors.clear()
    user = fake.user(7202, first_name="居民")
    fake.fail_next("sendMessage", code=502, times=4)  # the reply and its three retries
    with caplog.at_level(logging.INFO):
        await user.send("/help")
        notice = await user.expect_message(timeout=10)
        await settle(app)
    assert "可能没有送达" in notice.text and "/my" in notice.text  # never a bare "try again"
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(failures) == 1 and "暂时无法访问" in failures[0].getMessage(), [r.getMessage() for r in failures]
    assert "Telegram 服务器暂时出错" in failures[0].getMessage() and "NetworkError" not in failures[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records if r.levelno >= logging.INFO)
    assert len(runner.errors) == 1  # the runner saw it; nothing else failed
    runner.errors.clear()


# --- blocked users ------------------------------------------------------------------------

async def test_blocking_and_unblocking_is_recorded(fake, db, app) -> None:
    user = fake.user(7300, first_name="居民")
    await user.send("/help")
    await user.expect_message()
    user.block_bot()
    await fake.wait_until(lambda: not fake.pending_updates, timeout=5)
    await settle(app)
    async with db.session() as session:
        assert await is_blocked(session, telegram_id=7300)
    user.unblock_bot()
    await fake.wait_until(lambda: not fake.pending_updates, timeout=5)
    await settle(app)
    async with db.session() as session:
        assert not await is_blocked(session, telegram_id=7300)


async def test_a_403_is_recorded_and_one_line_and_a_message_clears_it(fake, db, runner, settings, caplog) -> None:
    app = await runner.start(settings)
    runner.errors.clear()
    user = fake.user(7301, first_name="居民")
    fake.hold("sendMessage")
    with caplog.at_level(logging.INFO):
        await user.send("/help")
        await fake.wait_until(lambda: fake.held, timeout=5)
        user.block_bot(notify=False)  # blocked while the bot was answering; Telegram never told us
        fake.release("sendMessage")
        await fake.wait_until(lambda: any(e.error_code == 403 for e in fake.errors), timeout=5)
        await settle(app)
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(failures) == 1 and "屏蔽" in failures[0].getMessage() and failures[0].exc_info is None
    # no retries of a 403, and no "something went wrong" sent after it
    assert [e.error_code for e in fake.errors if e.method == "sendMessage"] == [403]
    async with db.session() as session:
        assert await is_blocked(session, telegram_id=7301)
    runner.errors.clear()
    user.unblock_bot(notify=False)
    await user.send("/help")
    await user.expect_message()
    await settle(app)
    async with db.session() as session:
        assert not await is_blocked(session, telegram_id=7301)


@pytest.mark.parametrize("data", ["", "act:view:99999999999999999999999", "act:view:²", "act:edit:٣٣"])
async def test_odd_button_data_is_a_stale_button(fake, db, roster, app, data) -> None:
    user = await bind(fake, db, 5001, "GS0003", "胡刚")
    await user.send("/my")
    my = await user.expect_message()
    await user.press_data(data, message=my)
    answer = await user.expect_answer()
    assert answer.text == "此按钮已失效，请重新开始操作。"


async def test_a_date_value_the_form_never_offered_is_stale(fake, db, roster, app) -> None:
    user = await bind(fake, db, 5001, "GS0003", "胡刚")
    await user.send("/log")
    await user.expect_message()
    await user.press("主动走访")
    dates = await user.expect_message()
    nonce = next(iter(dates.button_data.values())).split(":")[1]
    await user.press_data(f"log:{nonce}:date:5", message=dates)
    assert "此按钮已失效" in (await user.expect_answer()).text
    await user.press("今天", message=dates)  # the form is where it was
    assert "联系点" in (await user.expect_message()).text
