"""When Telegram fails or a user leaves: transient faults retried or said in one line, a send whose answer was
lost tried once (anything else again), blocked users recorded and cleared, odd button data answered as stale."""

from __future__ import annotations

import asyncio
import logging
import socket

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.request import OutcomeUnknown, RetryingRequest
from bot.services.reachability import is_blocked
from handlers.views import edit_text
from tests.conftest import TOKEN, bind, settle
from tests.support.fake_telegram import FakeTelegram

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


# --- a lost answer: a send is tried once, anything else again ------------------------------

@pytest.fixture
async def retrying_bot(fake):
    """A bare Bot over RetryingRequest, its back-off short, against the fake Bot API."""
    bot = Bot(TOKEN, base_url=fake.base_url, request=RetryingRequest(backoff=0.01))
    await bot.initialize()
    yield bot
    await bot.shutdown()


@pytest.mark.parametrize("reset", [True, False], ids=["reset", "closed"])
async def test_a_send_whose_answer_is_lost_is_tried_once_and_may_have_been_sent(fake, retrying_bot, reset) -> None:
    user = fake.user(7400)
    fake.drop_next("sendMessage", reset=reset)
    with pytest.raises(OutcomeUnknown) as caught:
        await retrying_bot.send_message(user.id, "只发一次")
    assert isinstance(caught.value.__cause__, NetworkError)  # PTB's, from httpx's read error or disconnect
    assert len(fake.calls_to("sendMessage")) == 1 and [m.text for m in user.messages] == ["只发一次"]


async def test_a_send_that_times_out_waiting_for_its_answer_may_have_been_sent(fake, retrying_bot) -> None:
    user = fake.user(7401)
    fake.hold("sendMessage")
    with pytest.raises(OutcomeUnknown) as caught:
        await retrying_bot.send_message(user.id, "慢", read_timeout=0.2)
    assert isinstance(caught.value.__cause__, TimedOut)
    assert fake.held == 1  # the one request, still at Telegram's end: never a second
    fake.release("sendMessage")


async def test_an_edit_whose_answer_is_lost_is_retried(fake, retrying_bot) -> None:
    user = fake.user(7402)
    message = await retrying_bot.send_message(user.id, "旧")
    fake.drop_next("editMessageText")
    # the first edit went through, so Telegram answers the second with "not modified", which the bot's
    # edits take as done (handlers/views.py: edit_text, drop_buttons; forms.py: mark_choice)
    with pytest.raises(BadRequest, match="not modified"):
        await retrying_bot.edit_message_text("新", chat_id=user.id, message_id=message.message_id)
    edits = [c for c in (*fake.calls, *fake.errors) if c.method == "editMessageText"]
    assert len(edits) == 2 and fake.dropped == edits[:1]
    assert user.messages[-1].text == "新" and len(user.messages) == 1


async def test_the_bots_edits_take_a_repeated_edit_as_done(fake, retrying_bot) -> None:
    user = fake.user(7404)
    message = await retrying_bot.send_message(user.id, "已收到，正在生成")
    fake.drop_next("editMessageText")
    await edit_text(message, "已进入发送队列")  # what /broadcast and /export do: no error reaches the user
    assert user.messages[-1].text == "已进入发送队列"
    gone = Message(999_999, message.date, message.chat)
    gone.set_bot(retrying_bot)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):  # any other refusal is raised
        await edit_text(gone, "x")


async def test_a_press_answered_before_its_answer_was_lost_counts_as_answered(fake, retrying_bot) -> None:
    """A button press can be answered once. When the answer to answerCallbackQuery is lost, the retry gets
    "query is too old": that means the first one went through, and the handler goes on."""
    user = fake.user(7405)
    buttons = InlineKeyboardMarkup([[InlineKeyboardButton("记录活动", callback_data="rm:log")]])
    await retrying_bot.send_message(user.id, "提醒", reply_markup=buttons)
    query = await user.press("记录活动")
    fake.drop_next("answerCallbackQuery")
    assert await retrying_bot.answer_callback_query(query["id"], text="好的") is True
    assert [a.text for a in user.answers] == ["好的"]
    answers = [c for c in (*fake.calls, *fake.errors) if c.method == "answerCallbackQuery"]
    assert len(answers) == 2  # tried again, and the second was refused as already answered
    # without a lost answer first, a second answer is refused as before
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await retrying_bot.answer_callback_query(query["id"])


async def test_a_connect_error_is_retried_for_a_send(caplog) -> None:
    """Nothing listening: the request never left, so a send is tried again, and succeeds once the Bot API is
    back; when it never comes back, the error says "not sent" (a NetworkError, not OutcomeUnknown)."""
    with socket.socket() as probe:  # a free port, closed again: connecting to it is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    later = FakeTelegram(token=TOKEN)
    user = later.user(7403)
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=RetryingRequest(backoff=0.5))
    try:
        with caplog.at_level(logging.DEBUG, logger="bot.request"):
            sending = asyncio.create_task(bot.send_message(user.id, "连上了"))
            async with asyncio.timeout(5):
                while not any("retry 1/3" in r.getMessage() for r in caplog.records):
                    await asyncio.sleep(0.01)
            await later.start(port)  # within the 0.5 s before the retry
            assert (await sending).text == "连上了"
        assert [m.text for m in user.messages] == ["连上了"] and len(later.calls_to("sendMessage")) == 1
        assert "ConnectError" in next(r.getMessage() for r in caplog.records if "retry 1/3" in r.getMessage())
    finally:
        await later.stop()
        await bot.shutdown()
    nobody = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=RetryingRequest(backoff=0.01))
    with pytest.raises(NetworkError) as caught:
        await nobody.send_message(user.id, "没人")
    assert not isinstance(caught.value, OutcomeUnknown) and isinstance(caught.value.__cause__, httpx.ConnectError)
    await nobody.shutdown()


async def test_a_reply_whose_answer_is_lost_says_it_may_not_have_arrived(fake, runner, settings, caplog) -> None:
    app = await runner.start(settings)
    runner.errors.clear()
    user = fake.user(7404, first_name="居民")
    fake.drop_next("sendMessage")
    with caplog.at_level(logging.INFO):
        await user.send("/help")
        reply = await user.expect_message()
        notice = await user.expect_message(timeout=10)
        await settle(app)
    assert "使用说明" in reply.text  # it did arrive: Telegram carried the call out
    assert "可能没有送达" in notice.text and "/my" in notice.text
    assert len(fake.calls_to("sendMessage")) == 2  # the reply once, then the notice: no second reply
    assert [type(e) for e in runner.errors] == [OutcomeUnknown]
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(failures) == 1 and "可能已收到" in failures[0].getMessage(), [r.getMessage() for r in failures]
    runner.errors.clear()


async def test_a_lost_get_updates_answer_is_fetched_again_and_handled_once(fake, app) -> None:
    user = fake.user(7405, first_name="居民")
    fake.drop_next("getUpdates")
    await user.send("/help")  # the long poll waiting now answers with this update, and the answer is lost
    assert "使用说明" in (await user.expect_message(timeout=10)).text
    (dropped,) = fake.dropped
    assert [u["message"]["text"] for u in dropped.result] == ["/help"]
    await asyncio.sleep(0.3)
    assert len(user.messages) == 1  # PTB's polling asked again; the update was handled once


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
