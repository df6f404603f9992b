"""Case messages to other people (the member's card, relays, results) are outbox rows written in the case
step's own commit: sent at once as replies, and after a kill -9 between the commit and the send, by the
restarted bot."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from bot.services import outbox
from models import Case, OutboxMessage, OutboxStatus, utcnow
from tests.conftest import bind, issue_code
from tests.support.bot_process import BotProcess
from tests.support.case_flows import file_request, press


async def case_rows(db) -> list[OutboxMessage]:
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.kind == "case")
                                   .order_by(OutboxMessage.id))).all()
    return list(rows)


async def test_a_card_committed_before_a_kill_reaches_the_member_once_after_the_restart(
        fake, db, roster, database_url, tmp_path) -> None:
    bot = BotProcess(fake, database_url, tmp_path)
    bot.launch()
    try:
        with bot.shown_on_failure():
            member = fake.user(8021, first_name="孙凯凯")
            await member.send(f"/start {await issue_code(db, 'GS0021')}")
            await member.expect_messages(2, timeout=30)
            resident = fake.user(9101, first_name="张")
            card = await file_request(resident, photos=1)
            fake.hold("sendMessage")  # the resident's "已提交" is the first send after the commit: it hangs there
            await resident.press("确认提交", message=card)
            await fake.wait_until(lambda: fake.held, timeout=10, message="the bot never answered 确认提交")
            staged = await case_rows(db)
            # written as taken by the handler, which dies before it sends them
            assert [(m.status, m.priority) for m in staged] == [(OutboxStatus.sending, outbox.REPLY)] * 2
            await bot.kill()
            fake.release("sendMessage")  # the dead process's call is dropped
            assert len(member.messages) == 2  # the welcome only: the card never left

            bot.launch()
            arrived = await member.expect_message(timeout=30)
            photo = await member.expect_message(timeout=10)
            await asyncio.sleep(1.0)  # a second copy would have arrived by now
    finally:
        await bot.stop()
    async with db.session() as session:
        (case,) = (await session.exec(select(Case))).all()
    assert case.number in arrived.text and "✅ 接收" in [b for row in arrived.buttons for b in row]
    assert photo.photo and case.number in photo.caption
    assert len(member.messages) == 4, member.report("the card arrived more than once")
    assert [m.status for m in await case_rows(db)] == [OutboxStatus.sent] * 2


async def test_the_card_relay_and_result_go_through_the_outbox_as_replies(fake, db, roster, app) -> None:
    member = await bind(fake, db, 8021, "GS0021", "孙凯凯")
    resident = fake.user(9102, first_name="李")
    card = await file_request(resident, photos=0)
    await press(resident, "确认提交", card)
    arrived = await member.expect_message()
    assert "✅ 接收" in [b for row in arrived.buttons for b in row]
    await press(member, "✅ 接收", arrived)
    assert "委员接收办理" in (await resident.expect_message()).text
    await member.press("💬 回复", message=arrived)
    await member.expect_message()
    await member.send("您好，已联系教育局，下周答复。")
    relayed = await resident.expect_message()
    assert "下周答复" in relayed.text
    assert "已发送" in (await member.expect_message()).text
    rows = await case_rows(db)
    assert [m.priority for m in rows] == [outbox.REPLY] * len(rows)
    assert all(m.status is OutboxStatus.sent for m in rows)
    assert any(m.key.endswith(":card") for m in rows) and any(":msg" in m.key for m in rows)
    # the card's buttons are kept on the row, to be sent again as they were after a restart
    (card_row,) = [m for m in rows if m.key.endswith(":card")]
    assert "接收" in str(card_row.buttons)


async def test_case_messages_are_claimed_before_bulk_ones(db) -> None:
    now = utcnow()
    async with db.session() as session:
        for n in range(3):
            await outbox.enqueue(session, key=f"bulk:{n}", chat_id=100 + n, kind="reminder", text="提醒", now=now)
        await outbox.enqueue(session, key="case:1:card", chat_id=200, kind="case", text="新诉求", now=now,
                             priority=outbox.REPLY)
        await session.commit()
    async with db.session() as session:
        first = await outbox.claim(session, limit=2, now=now)
        await session.commit()
    assert [m.key for m in first] == ["case:1:card", "bulk:0"]


async def test_a_row_written_as_taken_is_the_writers_until_a_later_process_starts(db) -> None:
    now = utcnow()
    ours, earlier = outbox.claim_token(), "0dead0ff:" + "1" * 16  # another process's token
    async with db.session() as session:
        await outbox.enqueue(session, key="case:1:card", chat_id=200, kind="case", text="新诉求", now=now,
                             priority=outbox.REPLY, claim=ours)
        await outbox.enqueue(session, key="case:2:card", chat_id=201, kind="case", text="新诉求", now=now,
                             priority=outbox.REPLY, claim=earlier)
        await session.commit()
    async with db.session() as session:
        assert await outbox.claim(session, limit=10, now=now) == []  # neither is the delivery job's
        assert [m.key for m in await outbox.claimed(session, claim=ours)] == ["case:1:card"]
        assert await outbox.release_orphans(session) == 1  # the dead process's row only
        await session.commit()
    async with db.session() as session:
        taken = await outbox.claim(session, limit=10, now=now)
        await session.commit()
    assert [m.key for m in taken] == ["case:2:card"]
    async with db.session() as session:
        assert [m.key for m in await outbox.claimed(session, claim=ours)] == ["case:1:card"]
