"""End to end: /broadcast through the form — notice with a photo, audience, count and preview, confirm — then
delivery through the outbox with blocked chats, a 429 and a failure mid-way, and a restart in the middle:
nobody gets it twice, the rest still get it, the progress message ends with the right tally."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.services.broadcasts import Tally
from bot.services.rules import Quarter, local_today
from bot.texts import render_broadcast_progress, t
from models import (
    Activity,
    ActivityGroup,
    Broadcast,
    BroadcastStatus,
    Member,
    OutboxMessage,
    Reachability,
    utcnow,
)
from tests.conftest import ADMIN_ID
from tests.support.scopes import grant_group_everywhere

TZ = ZoneInfo("Asia/Shanghai")
FIRST = 620000
BODY = "本周五下午召开界别协商会，请准时参加 <b>不是标签</b> & 带上材料。"


def today() -> date:
    return local_today(utcnow(), TZ)


async def bind_everyone(fake, db) -> list[tuple[int, int, str]]:
    """Every roster member bound to a fake Telegram user; returns (member id, telegram id, number) by id."""
    async with db.session() as session:
        members = (await session.exec(select(Member).order_by(Member.id))).all()
        for i, member in enumerate(members):
            member.telegram_id = FIRST + i
            session.add(member)
        await session.commit()
        people = [(m.id, m.telegram_id, m.number) for m in members]
    for _, telegram_id, _ in people:
        fake.user(telegram_id)
    return people


def photos_to(fake, chat_id: int) -> int:
    return sum(1 for call in fake.calls_to("sendPhoto") if int(call.params["chat_id"]) == chat_id)


async def test_broadcast_with_blocked_chats_a_429_and_a_restart(fake, db, roster, runner, settings) -> None:
    people = await bind_everyone(fake, db)
    chats = [tg for _, tg, _ in people]
    recorded_blocked = chats[5]  # known as blocked already: not counted, not sent to
    async with db.session() as session:
        session.add(Reachability(telegram_id=recorded_blocked, blocked_at=utcnow(), updated_at=utcnow()))
        await session.commit()
    newly_blocked = [chats[3], chats[40], chats[90]]  # blocked the bot without the bot knowing: 403
    for chat_id in newly_blocked:
        fake.users[chat_id].block_bot(notify=False)
    failing = chats[60]
    fake.inject_fault("sendPhoto", 400, "Bad Request: chat not found", chat_id=failing, times=10)
    fake.inject_fault("sendPhoto", 429, retry_after=1, chat_id=chats[12])  # a 429 mid-way: retried after 1 s

    app = await runner.start(settings)
    admin = fake.user(ADMIN_ID, first_name="管理员")
    await admin.send("/broadcast")
    assert "请输入通知内容" in (await admin.expect_message()).text
    await admin.send(BODY)
    ask_photo = await admin.expect_message()
    assert "附一张图片" in ask_photo.text
    await admin.send_photo()
    photo_id = admin.user_messages[-1]["photo"][-1]["file_id"]
    assert "图片已收到" in (await admin.expect_message()).text
    audience = await admin.expect_message()
    await admin.press("范围内全部委员", message=audience)
    await admin.expect_answer()
    head, preview, summary = await admin.expect_messages(3)
    assert "预览" in head.text
    assert preview.photo is not None and BODY in preview.caption  # as typed: nothing parsed as markup
    reachable = len(chats) - 1
    assert f"将送达 {reachable} 位委员（共 {len(chats)} 位，其中未绑定 0 位、已屏蔽机器人 1 位" in summary.text
    await admin.press(f"✅ 确认发送（{reachable} 位）", message=summary)
    await admin.expect_answer()
    progress = await admin.expect_message()
    await fake.wait_until(lambda: "发送队列" in (progress.text or ""))  # committed: queued
    async with db.session() as session:
        broadcast = (await session.exec(select(Broadcast))).one()
    assert broadcast.total == reachable and broadcast.photo_id == photo_id and broadcast.audience == "all"
    assert broadcast.progress_message_id == progress.message_id

    # the restart in the middle: stop once some have arrived, while most have not
    await fake.wait_until(lambda: sum(photos_to(fake, c) for c in chats) >= 30, timeout=20)
    await runner.stop(app)
    async with db.session() as session:
        statuses = [m.status.value for m in (await session.exec(select(OutboxMessage))).all()]
    assert statuses.count("pending") > 0, "the broadcast finished before the restart: nothing was tested"
    assert "sending" not in statuses  # a clean stop gives back what it had claimed but not sent
    before = {c: photos_to(fake, c) for c in chats}

    restarted = await runner.start(settings)
    await fake.wait_until(lambda: "通知发送完毕" in (progress.text or ""), timeout=30)
    await runner.stop(restarted)  # waits for the running progress job, which records the tally after showing it

    # exactly once: every reachable chat has the photo once, blocked/failing/recorded-blocked ones have none
    for chat_id in chats:
        expected = 0 if chat_id in (*newly_blocked, failing, recorded_blocked) else 1
        assert photos_to(fake, chat_id) == expected, chat_id
    resumed = sum(1 for c in chats if photos_to(fake, c) > before[c])
    assert resumed > 0
    message = next(m for m in fake.messages(chats[0]) if m.photo)
    assert message.caption.endswith(BODY)
    # the tally, recounted from what the fake Bot API saw
    forbidden = sum(1 for e in fake.errors if e.method == "sendPhoto" and e.error_code == 403)
    sent = sum(photos_to(fake, c) for c in chats)
    assert forbidden == len(newly_blocked)
    recount = Tally(total=reachable, sent=sent, blocked=forbidden, failed=1)
    assert sent == reachable - len(newly_blocked) - 1
    async with db.session() as session:
        broadcast = (await session.exec(select(Broadcast))).one()
        blocked_now = set((await session.exec(select(Reachability.telegram_id)
                                              .where(Reachability.blocked_at.is_not(None)))).all())
    assert progress.text == render_broadcast_progress(broadcast, recount).replace("<b>", "").replace("</b>", "")
    assert (broadcast.status, broadcast.sent, broadcast.blocked, broadcast.failed) == (
        BroadcastStatus.done, recount.sent, recount.blocked, recount.failed)
    assert blocked_now == {recorded_blocked, *newly_blocked}  # unreachable until they write again
    assert any(e.error_code == 429 for e in fake.errors)


async def test_coordinator_broadcasts_to_the_laggards_of_their_group(fake, db, roster, app) -> None:
    people = await bind_everyone(fake, db)
    day = today()
    quarter = Quarter.of(day)
    async with db.session() as session:
        group = (await session.exec(select(ActivityGroup).where(ActivityGroup.name == "第2界别活动组"))).one()
        mine = (await session.exec(select(Member).where(Member.activity_group_id == group.id)
                                   .order_by(Member.id))).all()
        busy = mine[0]  # well ahead: not lagging, not sent to
        session.add(Activity(member_id=busy.id, kind="visit", activity_date=day, year=day.year, quarter=quarter.q,
                             place="某社区", people=60, summary="走访群众", points=2.0))
        await grant_group_everywhere(session, 880002, "第2界别活动组")  # the group on each of its committees
        await session.commit()
    expected = {m.telegram_id for m in mine if m.id != busy.id}
    coordinator = fake.user(880002)
    await coordinator.send("/broadcast")
    await coordinator.expect_message()
    long_text = "很长" * 2100
    await coordinator.send(long_text)
    assert "通知太长" in (await coordinator.expect_message()).text
    await coordinator.send("请各位委员本季度至少登记一次联系活动。")
    await coordinator.press("跳过", message=await coordinator.expect_message())
    await coordinator.expect_answer()
    audience = await coordinator.expect_message()
    await coordinator.press("落后的委员", message=audience)
    await coordinator.expect_answer()
    _, preview, summary = await coordinator.expect_messages(3)
    assert "活动组：第2界别活动组" in preview.text
    assert f"将送达 {len(expected)} 位委员" in summary.text
    # another command mid-form says what is running
    await coordinator.send("/laggards")
    assert "正在编写通知" in (await coordinator.expect_message()).text
    confirm_data = summary.button_data[f"✅ 确认发送（{len(expected)} 位）"]
    await coordinator.press(f"✅ 确认发送（{len(expected)} 位）", message=summary)
    await coordinator.expect_answer()
    progress = await coordinator.expect_message()
    await fake.wait_until(lambda: "通知发送完毕" in (progress.text or ""), timeout=30)
    got = {tg for _, tg, _ in people if any(m.text and "登记一次联系活动" in m.text for m in fake.messages(tg))}
    assert got == expected
    assert f"已送达 {len(expected)}" in progress.text
    # the form is over: the confirm button is stale now
    await coordinator.press_data(confirm_data, message=progress)
    assert (await coordinator.expect_answer()).text == t("stale_button")
    async with db.session() as session:
        assert len((await session.exec(select(Broadcast))).all()) == 1


async def test_members_and_residents_cannot_broadcast(fake, db, roster, app) -> None:
    resident = fake.user(555123)
    await resident.send("/broadcast")
    assert "没有使用此功能的权限" in (await resident.expect_message()).text
