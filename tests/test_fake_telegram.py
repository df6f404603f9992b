"""The fake Bot API server, exercised through the real python-telegram-bot."""

from __future__ import annotations

import asyncio
import html
import io
import time
from collections.abc import AsyncIterator

import aiohttp
import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    MenuButtonCommands,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.support.fake_telegram import FakeTelegram, make_png, parse_html, parse_markdown_v2

pytestmark = pytest.mark.asyncio

TOKEN = "123456:TEST-TOKEN"
USERNAME = "lianxin_test_bot"


@pytest_asyncio.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN, bot_username=USERNAME, bot_id=123456) as server:
        yield server


@pytest_asyncio.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as client:
        yield client


async def raw_post(tg: FakeTelegram, path: str, **kwargs: object) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.post(tg.url + path, **kwargs) as response:
        return response.status, await response.json()


# --- server basics --------------------------------------------------------------------------


async def test_binds_loopback_and_urls(tg: FakeTelegram) -> None:
    assert tg.url == f"http://127.0.0.1:{tg.port}"
    assert tg.base_url == tg.url + "/bot"
    assert tg.base_file_url == tg.url + "/file/bot"
    assert tg.port and tg.port > 0


async def test_get_me(bot: Bot, tg: FakeTelegram) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, USERNAME, True)
    assert [call.method for call in tg.calls].count("getMe") >= 1


async def test_wrong_token_unknown_method_and_case_insensitivity(tg: FakeTelegram) -> None:
    status, body = await raw_post(tg, "/bot999:WRONG/getMe")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = await raw_post(tg, f"/bot{TOKEN}/noSuchMethod")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    status, body = await raw_post(tg, f"/bot{TOKEN}/GETME")
    assert status == 200 and body["ok"] and body["result"]["username"] == USERNAME
    assert tg.calls[-1].method == "getMe"
    wrong = Bot("999:WRONG", base_url=tg.base_url, base_file_url=tg.base_file_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()  # initialize() calls getMe
    await wrong.shutdown()


async def test_json_and_form_bodies(tg: FakeTelegram) -> None:
    alice = tg.user(1001, first_name="Alice")
    status, body = await raw_post(
        tg,
        f"/bot{TOKEN}/sendMessage",
        json={
            "chat_id": alice.id,
            "text": "hi",
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
        },
    )
    assert status == 200 and body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    # form encoding: non-string values JSON-encoded, strings raw ("123" stays text)
    status, body = await raw_post(tg, f"/bot{TOKEN}/sendMessage", data={"chat_id": str(alice.id), "text": "123"})
    assert status == 200 and body["result"]["text"] == "123"
    assert tg.calls[-1].params == {"chat_id": 1001, "text": "123"}
    assert [m.text for m in alice.messages] == ["hi", "123"]


# --- sending and the rejections -------------------------------------------------------------


async def test_send_message_and_history(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001, first_name="张三", language_code="zh-hans")
    sent = await bot.send_message(alice.id, "<b>你好</b> &lt;3", parse_mode=ParseMode.HTML)
    assert sent.text == "你好 <3"
    assert sent.entities[0].type == "bold" and (sent.entities[0].offset, sent.entities[0].length) == (0, 2)
    msg = alice.last_message
    assert (msg.text, msg.raw_text, msg.parse_mode) == ("你好 <3", "<b>你好</b> &lt;3", "HTML")
    assert msg.method == "sendMessage"
    assert msg.message_id == sent.message_id
    call = tg.calls_to("sendMessage")[-1]
    assert call.params["chat_id"] == alice.id and call.params["parse_mode"] == "HTML"


async def test_text_limits(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001)
    await bot.send_message(alice.id, "字" * 4096)
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(alice.id, "字" * 4097)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(alice.id, "   ")
    with pytest.raises(BadRequest, match="(?i)message caption is too long"):
        await bot.send_photo(alice.id, make_png(8, 8), caption="c" * 1025)
    assert len(alice.messages) == 1
    assert [e.description for e in tg.errors] == [
        "Bad Request: message is too long",
        "Bad Request: message text is empty",
        "Bad Request: message caption is too long",
    ]


async def test_callback_data_limit_is_in_bytes(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001)
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="x" * 64)]])
    await bot.send_message(alice.id, "fine", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("中", callback_data="中" * 22)]])  # 22 chars, 66 bytes
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(alice.id, "bad", reply_markup=too_long)
    assert tg.errors[-1].description == "Bad Request: BUTTON_DATA_INVALID"


async def test_inline_keyboard_shape(tg: FakeTelegram) -> None:
    alice = tg.user(1001)
    for markup in (
        {"inline_keyboard": [{"text": "not a row", "callback_data": "x"}]},
        {"inline_keyboard": [[{"text": "no action"}]]},
        {"inline_keyboard": [[{"callback_data": "no text"}]]},
        {"inline_keyboard": [[{"text": "two", "callback_data": "x", "url": "https://example.com"}]]},
        {"inline_keyboard": [[{"text": "bad url", "url": "not a url"}]]},
    ):
        request = {"chat_id": alice.id, "text": "t", "reply_markup": markup}
        status, body = await raw_post(tg, f"/bot{TOKEN}/sendMessage", json=request)
        assert status == 400, markup
        assert body["description"].startswith("Bad Request: "), body
    assert alice.messages == []


@pytest.mark.parametrize(
    "html",
    ["<b>x", "a < b", "Tom & Jerry", "<i>x</b>", "<script>x</script>", "<span>x</span>", "x</b>", "<a href='x'>x"],
)
async def test_bad_html_is_rejected(bot: Bot, tg: FakeTelegram, html: str) -> None:
    alice = tg.user(1001)
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(alice.id, html, parse_mode=ParseMode.HTML)
    assert tg.errors[-1].description.startswith("Bad Request: can't parse entities: ")
    assert alice.messages == []


async def test_good_html_is_accepted(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001)
    html = (
        '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>'
        '<a href="https://example.com/?a=1&amp;b=2">link</a><code>c</code><pre>p</pre>'
        '<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler><blockquote expandable>q</blockquote>'
        "&lt;&gt;&amp;&quot;&#20320;&#x597D;"
    )
    sent = await bot.send_message(alice.id, html, parse_mode="html")
    assert sent.text == 'bsieunskdlinkcpxyq<>&"你好'
    expected = {"bold", "italic", "underline", "strikethrough", "text_link", "code", "pre", "spoiler"}
    assert {e.type for e in sent.entities} >= expected
    assert alice.last_message.raw_text == html


async def test_markdown_v2_reserved_characters(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001)
    with pytest.raises(BadRequest, match="(?i)reserved and must be escaped"):
        await bot.send_message(alice.id, "价格 1.5 元", parse_mode=ParseMode.MARKDOWN_V2)
    sent = await bot.send_message(alice.id, r"*价格* 1\.5 元", parse_mode=ParseMode.MARKDOWN_V2)
    assert sent.text == "价格 1.5 元" and sent.entities[0].type == "bold"


async def test_unknown_chat_and_blocked_user(bot: Bot, tg: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(424242, "who?")
    alice = tg.user(1001)
    alice.block_bot()
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(alice.id, "hello")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(alice.id, "typing")
    alice.unblock_bot()
    await bot.send_message(alice.id, "back")
    kinds = [next(k for k in u if k != "update_id") for u in tg.pending_updates]
    assert kinds == ["my_chat_member", "my_chat_member"]
    updates = [Update.de_json(u, bot) for u in tg.pending_updates]
    assert updates[0].my_chat_member.new_chat_member.status == "kicked"
    group = tg.group(-100500, "委员群")
    await bot.send_message(group.id, "group hello")
    assert group.last_message.text == "group hello"
    shy = tg.user(1002, started=False)
    with pytest.raises(Forbidden, match="(?i)can't initiate conversation"):
        await bot.send_message(shy.id, "hi")


async def test_edits(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(alice.id, "one", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("one", chat_id=alice.id, message_id=sent.message_id, reply_markup=keyboard)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=sent.message_id + 50)
    edited = await bot.edit_message_text(
        "<i>two</i>", chat_id=alice.id, message_id=sent.message_id, parse_mode="HTML", reply_markup=keyboard
    )
    assert edited.text == "two" and edited.edit_date is not None
    assert alice.last_message.text == "two" and alice.last_message.buttons == [["A"]]
    # like Telegram: editing the text without reply_markup drops the inline keyboard
    await bot.edit_message_text("three", chat_id=alice.id, message_id=sent.message_id)
    assert alice.last_message.buttons == []
    await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=keyboard)
    assert alice.last_message.button_data == {"A": "a"}
    snapshots = [event.message for event in alice.log if event.kind == "edit"]
    assert [(s.method, s.text) for s in snapshots] == [
        ("editMessageText", "two"),
        ("editMessageText", "three"),
        ("editMessageReplyMarkup", "three"),
    ]
    photo = await bot.send_photo(alice.id, make_png(16, 16), caption="old")
    await bot.edit_message_caption(alice.id, photo.message_id, caption="<b>new</b>", parse_mode="HTML")
    assert alice.last_message.caption == "new"
    with pytest.raises(BadRequest, match="(?i)no text in the message"):
        await bot.edit_message_text("x", chat_id=alice.id, message_id=photo.message_id)
    assert await bot.delete_message(alice.id, photo.message_id)
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(alice.id, photo.message_id)
    assert [m.message_id for m in alice.messages] == [sent.message_id]


async def test_documents_round_trip(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001)
    content = b"PK\x03\x04 pretend xlsx \x00\xff"
    sent = await bot.send_document(alice.id, content, filename='名单 "2024".xlsx', caption="导出")
    msg = alice.last_message
    assert msg.document_bytes == content
    assert msg.document_name == '名单 "2024".xlsx' == sent.document.file_name
    assert msg.document_mime == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert msg.caption == "导出"
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content
    # re-sending by file_id works, and reuses the bytes
    again = await bot.send_document(alice.id, sent.document.file_id)
    assert again.document.file_unique_id == sent.document.file_unique_id
    assert alice.last_message.document_bytes == content
    with pytest.raises(BadRequest, match="(?i)wrong file identifier"):
        await bot.send_document(alice.id, "no-such-file-id")
    with pytest.raises(BadRequest, match="(?i)image_process_failed"):
        await bot.send_photo(alice.id, b"not an image")
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_user_photo_download_and_media_group(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001)
    message = await alice.send_photo(caption="看图", width=200, height=100)
    largest = message["photo"][-1]
    assert (largest["width"], largest["height"]) == (200, 100)
    data = await (await bot.get_file(largest["file_id"])).download_as_bytearray()
    assert bytes(data).startswith(b"\x89PNG") and len(data) == largest["file_size"]
    # the bot can forward the user's photo by file_id, also inside a media group
    group = await bot.send_media_group(
        alice.id,
        [InputMediaPhoto(largest["file_id"], caption="一"), InputMediaPhoto(make_png(4, 4))],
    )
    assert len(group) == 2 and group[0].media_group_id == group[1].media_group_id
    assert [m.caption for m in alice.messages] == ["一", None]
    assert alice.messages[1].photo_bytes == make_png(4, 4)
    stored_doc = await alice.send_document("a.csv", b"x,y\n1,2\n")
    file = await bot.get_file(stored_doc["document"]["file_id"])
    assert bytes(await file.download_as_bytearray()) == b"x,y\n1,2\n"


async def test_commands_scopes(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001, language_code="zh-hans")
    bob = tg.user(1002, language_code="en")
    await bot.set_my_commands([BotCommand("start", "start"), BotCommand("help", "help")])
    await bot.set_my_commands([BotCommand("start", "开始")], language_code="zh")
    await bot.set_my_commands([BotCommand("admin", "管理")], scope=BotCommandScopeChat(alice.id))
    await bot.set_my_commands([BotCommand("private", "p")], scope=BotCommandScopeAllPrivateChats())
    assert tg.commands_for(alice.id, "zh-hans") == [("admin", "管理")]
    assert alice.commands == [("admin", "管理")]
    assert bob.commands == [("private", "p")]
    assert tg.commands_for(-100, "zh") == [("start", "开始")]
    assert tg.commands_for(-100) == [("start", "start"), ("help", "help")]
    scoped = await bot.get_my_commands(scope=BotCommandScopeChat(alice.id))
    assert [(c.command, c.description) for c in scoped] == [("admin", "管理")]
    assert await bot.delete_my_commands(scope=BotCommandScopeChat(alice.id))
    assert alice.commands == [("private", "p")]
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.set_my_commands([BotCommand("x", "x")], scope=BotCommandScopeChat(777))


async def test_webhook_menu_button_close(bot: Bot, tg: FakeTelegram) -> None:
    tg.user(1001)
    await bot.set_webhook("https://example.com/hook", secret_token="s3cret")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.com/hook" and tg.webhook["secret_token"] == "s3cret"
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    with pytest.raises(BadRequest, match="(?i)https url must be provided"):
        await bot.set_webhook("http://example.com/hook")
    tg.push_update({"message": {"message_id": 1, "date": 0, "chat": {"id": 1001, "type": "private"}, "text": "x"}})
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert tg.webhook == {"url": "", "pending_update_count": 0}
    assert await bot.set_chat_menu_button(chat_id=1001, menu_button=MenuButtonCommands())
    assert tg.menu_button_for(1001) == {"type": "commands"} and tg.menu_button_for(1002) == {"type": "default"}
    assert await bot.close() and await bot.log_out()
    assert tg.closed and tg.logged_out


async def test_get_updates_long_polling(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001)
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert 0.25 <= time.monotonic() - started < 2
    # an update queued while waiting is returned at once
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    await alice.send("hello")
    updates = await poll
    assert time.monotonic() - started < 1
    assert [u.message.text for u in updates] == ["hello"]
    # unconfirmed updates come again; offset confirms; limit caps
    for text in ("a", "b", "c"):
        await alice.send(text)
    again = await bot.get_updates(timeout=0)
    assert [u.message.text for u in again] == ["hello", "a", "b", "c"]
    limited = await bot.get_updates(offset=again[1].update_id, limit=2, timeout=0)
    assert [u.message.text for u in limited] == ["a", "b"]
    rest = await bot.get_updates(offset=limited[-1].update_id + 1, timeout=0)
    assert [u.message.text for u in rest] == ["c"]
    assert [u["message"]["text"] for u in tg.pending_updates] == ["c"]


async def test_second_poller_terminates_first(bot: Bot, tg: FakeTelegram) -> None:
    # PTB's getUpdates connection pool has size 1, so the second poller is another Bot instance.
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    async with Bot(TOKEN, base_url=tg.base_url) as other:
        assert await other.get_updates(timeout=0.2) == ()
    with pytest.raises(Conflict, match="(?i)terminated by other getupdates"):
        await first


async def test_stop_releases_long_polls() -> None:
    server = FakeTelegram(token=TOKEN, bot_username=USERNAME)
    await server.start()
    async with Bot(TOKEN, base_url=server.base_url) as client:
        poll = asyncio.create_task(client.get_updates(timeout=30, read_timeout=40))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await server.stop()
        assert await asyncio.wait_for(poll, 5) == ()
        assert time.monotonic() - started < 2


async def test_simulated_user_updates_are_parseable(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001, first_name="张三", username="zhangsan", language_code="zh-hans")
    await alice.send("/start ABCD")
    await alice.send(f"/help@{USERNAME}")
    contact = await alice.share_contact(phone_number="+8613800000000")
    updates = await bot.get_updates(timeout=0)
    start, help_, shared = (u.message for u in updates)
    assert start.text == "/start ABCD" and start.entities[0].type == "bot_command" and start.entities[0].length == 6
    assert help_.entities[0].length == len(f"/help@{USERNAME}")
    assert start.from_user.first_name == "张三" and start.from_user.language_code == "zh-hans"
    assert start.chat.type == "private" and start.chat.id == alice.id
    assert shared.contact.phone_number == "+8613800000000" and shared.contact.user_id == alice.id
    assert start.message_id < help_.message_id < shared.message_id == contact["message_id"]
    # message ids are shared with the bot's messages in the same chat
    sent = await bot.send_message(alice.id, "reply")
    assert sent.message_id == shared.message_id + 1


async def test_expect_helpers_report_what_happened(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001)
    await alice.send("hi")
    with pytest.raises(AssertionError, match="Timed out"):
        await alice.expect_message(timeout=0.1)
    await bot.send_message(alice.id, "<b>x</b>", parse_mode="HTML")
    with pytest.raises(BadRequest):
        await bot.send_message(alice.id, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(AssertionError) as failure:
        await alice.expect_messages(2, timeout=0.1)
    assert "sendMessage" in str(failure.value) and "can't parse entities" in str(failure.value)
    assert (await alice.expect_message(timeout=0.1)).text == "x"
    await alice.expect_silence(0.05)
    await bot.send_message(alice.id, "more")
    with pytest.raises(AssertionError, match="Expected silence"):
        await alice.expect_silence(0.05)
    # wait_until wakes on events instead of polling
    later = asyncio.get_running_loop().call_later(0.05, lambda: tg.push_update({"message": {}}))
    assert await tg.wait_until(lambda: len(tg.pending_updates) == 2, timeout=2)
    later.cancel()
    with pytest.raises(AssertionError, match="never"):
        await tg.wait_until(lambda: False, timeout=0.05, message="never")


async def test_press_requires_existing_buttons(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(1001)
    with pytest.raises(AssertionError, match="No bot message with an inline keyboard"):
        await alice.press("X")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    await bot.send_message(alice.id, "k", reply_markup=keyboard)
    with pytest.raises(AssertionError, match="No button 'B'"):
        await alice.press("B")
    query = await alice.press("A")
    assert query["data"] == "a" and query["message"]["text"] == "k"
    forged = await alice.press_data("admin:delete_all")
    assert forged["data"] == "admin:delete_all"
    assert await bot.answer_callback_query(query["id"], text="ok")
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query["id"])
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query("123")
    reply_keyboard = ReplyKeyboardMarkup([[KeyboardButton("分享手机号", request_contact=True), "取消"]])
    await bot.send_message(alice.id, "reply kb", reply_markup=reply_keyboard)
    assert alice.reply_keyboard == [["分享手机号", "取消"]]
    await alice.reply_keyboard_press("取消")
    with pytest.raises(AssertionError, match="has no button"):
        await alice.reply_keyboard_press("不存在")


async def test_parsers_follow_tdlib_vectors() -> None:
    assert parse_html("🏟 🏟&lt;<i>🏟 &gt;<b aba   =   caba>&lt;🏟</b></i>")[0] == "🏟 🏟<🏟 ><🏟"
    assert parse_html("&lt;<b>a</>") == ("<a", [{"offset": 1, "length": 1, "type": "bold"}])
    with pytest.raises(ValueError, match='Unmatched end tag at byte offset 17, expected "</i>", found "</em>"'):
        parse_html("🏟 🏟&lt;<i>a</em   >")
    with pytest.raises(ValueError, match="Can't find end of Italic entity at byte offset 9"):
        parse_markdown_v2("🏟 🏟_abacaba")
    # Telegram keeps a bare '&' literally; strict mode (the default) rejects it
    assert parse_html("Tom & Jerry", strict_entities=False)[0] == "Tom & Jerry"


# --- faults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("reset", "seen"), [(True, httpx.ReadError), (False, httpx.RemoteProtocolError)])
async def test_drop_next_carries_the_call_out_and_loses_the_answer(bot: Bot, tg: FakeTelegram, reset: bool,
                                                                   seen: type) -> None:
    alice = tg.user(1001)
    tg.drop_next("sendMessage", reset=reset)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(alice.id, "一")
    assert isinstance(caught.value.__cause__, seen)  # what httpx saw, kept by PTB as the cause
    # received once and acted upon, as Telegram would have: the message is in the chat
    assert [m.text for m in alice.messages] == ["一"]
    assert tg.dropped == tg.calls_to("sendMessage")
    # one drop only; a refused call's answer can be dropped too (recorded in errors)
    assert (await bot.send_message(alice.id, "二")).text == "二"
    tg.drop_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(424242, "who?")
    assert tg.dropped[-1] is tg.errors[-1] and tg.errors[-1].error_code == 400
    assert [m.text for m in alice.messages] == ["一", "二"]


# --- a real Application ---------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("确认", callback_data="confirm"), InlineKeyboardButton("取消", callback_data="cancel")]]
    )
    name = html.escape(update.effective_user.first_name)
    payload = html.escape(" ".join(context.args))
    await update.message.reply_html(f"你好 <b>{name}</b> [{payload}]", reply_markup=keyboard)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(text=f"收到 {query.data}", show_alert=query.data == "cancel")
    await query.edit_message_text(f"已选择: {query.data}")


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(f"手机号 {update.message.contact.phone_number}")


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    file = await update.message.photo[-1].get_file()
    data = await file.download_as_bytearray()
    await update.message.reply_document(io.BytesIO(bytes(data)), filename="回传.png", caption=str(len(data)))


@pytest_asyncio.fixture
async def application(tg: FakeTelegram) -> AsyncIterator[Application]:
    app = ApplicationBuilder().token(TOKEN).base_url(tg.base_url).base_file_url(tg.base_file_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    app.add_handler(MessageHandler(filters.CONTACT, contact))
    app.add_handler(MessageHandler(filters.PHOTO, photo))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    errors: list[object] = []

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)

    app.add_error_handler(on_error)
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield app
    finally:
        started = time.monotonic()
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        assert time.monotonic() - started < 3, "shutdown should not wait for a long poll"
    assert errors == []


async def test_application_conversation(application: Application, tg: FakeTelegram) -> None:
    alice = tg.user(1001, first_name="张三", language_code="zh-hans")
    await alice.send("/start ABCD")
    greeting = await alice.expect_message()
    assert greeting.text == "你好 张三 [ABCD]"
    assert greeting.raw_text == "你好 <b>张三</b> [ABCD]" and greeting.parse_mode == "HTML"
    assert greeting.buttons == [["确认", "取消"]]
    assert greeting.button_data == {"确认": "confirm", "取消": "cancel"}

    await alice.press("确认")
    answer = await alice.expect_answer()
    assert (answer.text, answer.show_alert) == ("收到 confirm", False)
    edit = await alice.expect_edit()
    assert edit.method == "editMessageText" and edit.text == "已选择: confirm" and edit.buttons == []
    assert alice.messages[-1].message_id == greeting.message_id and alice.last_message.text == "已选择: confirm"

    # forged data on the same, now keyboard-less, message still reaches the bot
    await alice.press_data("cancel", message=greeting)
    assert (await alice.expect_answer()).show_alert is True
    assert (await alice.expect_edit()).text == "已选择: cancel"
    # pressing a button that the edit removed is impossible for a real user
    with pytest.raises(AssertionError, match="No bot message with an inline keyboard"):
        await alice.press("确认")

    await alice.send("普通文字")
    assert (await alice.expect_message()).text == "普通文字"
    await alice.share_contact(phone_number="+8613800000000")
    assert (await alice.expect_message()).text == "手机号 +8613800000000"
    await alice.send_photo(width=50, height=40)
    returned = await alice.expect_message()
    assert returned.document_name == "回传.png" and returned.document_bytes == make_png(50, 40)
    await alice.expect_silence(0.2)
    await tg.wait_until(lambda: not tg.pending_updates, timeout=3)  # the next poll confirms them
    assert tg.errors == []
