"""Durable intake: an update acknowledged to Telegram is never lost, and never handled twice."""

from __future__ import annotations

import asyncio

from sqlalchemy import func
from sqlmodel import select

from bot.intake import Inbox
from models import InboxUpdate
from tests.support.bot_process import BotProcess


async def test_updates_fetched_before_a_kill_are_answered_once_after_the_restart(fake, db, database_url, tmp_path) -> None:
    bot = BotProcess(fake, database_url, tmp_path)
    fake.hold("sendMessage")  # the bot fetches and stores the updates, but cannot answer any yet
    bot.launch()
    try:
        with bot.shown_on_failure():
            await fake.wait_until(lambda: fake.calls_to("getUpdates"), timeout=30, message="the bot never polled")
            users = [fake.user(7000 + n, first_name=f"居民{n}") for n in range(20)]
            for user in users:
                await user.send("/help")
            # acknowledged to Telegram: the next getUpdates carried the offset past all 20
            await fake.wait_until(lambda: not fake.pending_updates and fake.held, timeout=30,
                                  message="the bot did not fetch and acknowledge the updates")
            await bot.kill()
            fake.release("sendMessage")  # the dead process's call in flight is dropped
            assert all(user.messages == [] for user in users)
            async with db.session() as session:
                stored = (await session.exec(select(func.count()).select_from(InboxUpdate))).one()
            assert stored == 20  # nothing to fetch again: only the inbox has them

            bot.launch()
            for user in users:
                assert "使用说明" in (await user.expect_message(timeout=30)).text
            await asyncio.sleep(1.0)  # anything handled twice would have arrived by now
            for user in users:
                assert len(user.messages) == 1, user.report("answered more than once")
    finally:
        await bot.stop()
    async with db.session() as session:
        undone = (await session.exec(select(func.count()).select_from(InboxUpdate).where(InboxUpdate.done_at.is_(None)))).one()
    assert undone == 0


async def test_an_update_delivered_again_is_not_handled_again(fake, db, roster, runner, settings) -> None:
    """Telegram re-sends what was never acknowledged; the inbox knows it was handled."""
    app = await runner.start(settings)
    user = fake.user(7100, first_name="居民")
    await user.send("/help")
    await user.expect_message()
    await asyncio.wait_for(app.update_queue.join(), 5)
    async with db.session() as session:
        (row,) = (await session.exec(select(InboxUpdate))).all()
    assert row.done_at is not None
    from telegram import Update

    again = Update.de_json(__import__("json").loads(row.payload), app.bot)
    assert isinstance(app.update_queue, Inbox)
    await app.update_queue.put(again)  # what the Updater does with a re-delivered update…
    await app.update_queue.flush()  # …and what happens before its next getUpdates
    assert app.update_queue.empty()
    await user.expect_silence(0.5)
    assert len(user.messages) == 1


async def test_a_polled_update_is_stored_as_telegram_sent_it(fake, db, roster, runner, settings) -> None:
    """The inbox keeps getUpdates' own JSON of each update (not rebuilt from PTB's objects): field
    order and a field PTB does not know are kept, and the stored text still reads back as the update."""
    import json

    from telegram import Update

    app = await runner.start(settings)
    user = fake.user(7101, first_name="居民")
    raw = fake.push_update({"message": {
        "text": "/help", "date": 1_700_000_000, "message_id": 77, "chat": user.chat_dict, "from": user.user_dict,
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}], "a_field_from_a_future_api": {"x": "连心"}}})
    assert "使用说明" in (await user.expect_message()).text
    await asyncio.wait_for(app.update_queue.join(), 5)
    async with db.session() as session:
        row = (await session.exec(select(InboxUpdate).where(InboxUpdate.update_id == raw["update_id"]))).one()
    assert row.payload == json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    again = Update.de_json(json.loads(row.payload), app.bot)
    assert again.message.text == "/help" and again.effective_user.id == 7101


async def test_webhook_stores_before_200_and_a_retry_is_not_handled_twice(fake, db, database_url) -> None:
    import aiohttp

    from bot.app import build_application, webhook_options
    from tests.conftest import make_settings
    from tests.test_e2e_access import socket_port

    with socket_port() as port:
        settings = make_settings(database_url, fake, webhook_url="https://bot.example.invalid/hook",
                                 webhook_secret="s3cret-token-for-tests", webhook_port=port)
    application = build_application(settings, rate_limit=False)
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_webhook(**webhook_options(settings))
    await application.start()
    try:
        user = fake.user(8201, first_name="网")
        update = {
            "update_id": 42,
            "message": {"message_id": 1, "date": 0, "chat": {"id": 8201, "type": "private"},
                        "from": {"id": 8201, "is_bot": False, "first_name": "网"}, "text": "/help",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 5}]},
        }
        async with aiohttp.ClientSession() as http:
            for _ in range(2):  # Telegram sends it again when it did not see the first 200 in time
                async with http.post(f"http://127.0.0.1:{port}/hook", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token-for-tests"}) as response:
                    assert response.status == 200
                async with db.session() as session:  # stored before the 200
                    assert (await session.get(InboxUpdate, 42)) is not None
        assert "使用说明" in (await user.expect_message()).text
        await asyncio.wait_for(application.update_queue.join(), 5)
        await user.expect_silence(0.3)
        async with db.session() as session:
            assert (await session.get(InboxUpdate, 42)).done_at is not None
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()
        await application.post_shutdown(application)


async def test_done_updates_are_pruned_after_telegram_could_resend_them(db) -> None:
    from datetime import timedelta

    from bot.intake import KEEP_DONE, prune
    from models import utcnow

    now = utcnow()
    async with db.session() as session:
        session.add(InboxUpdate(update_id=1, payload="{}", done_at=now - KEEP_DONE - timedelta(minutes=1)))
        session.add(InboxUpdate(update_id=2, payload="{}", done_at=now - KEEP_DONE + timedelta(minutes=1)))
        session.add(InboxUpdate(update_id=3, payload="{}", received_at=now - 10 * KEEP_DONE))  # never handled
        await session.commit()
    assert await prune(db, now=now) == 1
    async with db.session() as session:
        assert sorted((await session.exec(select(InboxUpdate.update_id))).all()) == [2, 3]
