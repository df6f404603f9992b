"""The outbox: each key sent once under double runs, a crash mid-batch, two senders; 429, 403, 502; a lost
answer recorded as "may have been sent"."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import time_machine
from sqlmodel import select

from bot.app import build_application
from bot.ratelimit import PriorityRateLimiter
from bot.sending import send_one
from bot.services import outbox
from bot.services.outbox import Button
from models import OutboxMessage, OutboxStatus, utcnow
from scheduler.delivery import Delivery, DeliveryConfig
from tests.conftest import make_settings

FAST = DeliveryConfig(batch=5, bulk_rate=1000, per_chat_interval=0.0, interval=0.1)


async def enqueue_many(db, chat_ids, *, prefix: str = "t") -> None:
    async with db.session() as session:
        for chat_id in chat_ids:
            await outbox.enqueue(session, key=f"{prefix}:{chat_id}", chat_id=chat_id, kind="test",
                                 text=f"你好 <b>{chat_id}</b>", now=utcnow())
        await session.commit()


async def statuses(db) -> dict[str, OutboxMessage]:
    async with db.session() as session:
        return {m.key: m for m in (await session.exec(select(OutboxMessage))).all()}


@pytest.fixture
async def bots(database_url, fake):
    """Initialised Applications (no polling, no jobs) whose deliveries the test drives."""
    made = []

    async def make():
        application = build_application(make_settings(database_url, fake), rate_limit=False)
        await application.initialize()
        made.append(application)
        return application

    yield make
    for application in made:
        await application.shutdown()
        await application.db.dispose()


async def test_enqueue_is_once_per_key(db) -> None:
    now = utcnow()
    async with db.session() as session:
        first = await outbox.enqueue(session, key="k:1", chat_id=1, kind="t", text="a", now=now,
                                     buttons=[[Button("登记", callback_data="rm:log")]])
        again = await outbox.enqueue(session, key="k:1", chat_id=1, kind="t", text="b", now=now)
        await session.commit()
    assert (first, again) == (True, False)
    rows = await statuses(db)
    assert len(rows) == 1 and rows["k:1"].text == "a" and rows["k:1"].status is OutboxStatus.pending
    with pytest.raises(ValueError):
        async with db.session() as session:
            await outbox.enqueue(session, key="k:2", chat_id=1, kind="t", text="x" * 1025, now=now, photo=b"png")


async def test_claims_never_overlap_and_expired_claims_resume(db) -> None:
    now = utcnow()
    async with db.session() as session:
        for i in range(7):
            await outbox.enqueue(session, key=f"k:{i}", chat_id=i, kind="t", text="a", now=now)
        await session.commit()
    async with db.session() as one, db.session() as two:
        first = await outbox.claim(one, limit=4, now=now)
        await one.commit()
        second = await outbox.claim(two, limit=4, now=now)
        await two.commit()
    assert len(first) == 4 and len(second) == 3
    assert not {m.id for m in first} & {m.id for m in second}
    async with db.session() as session:
        await outbox.mark_sent(session, message=first[0], now=now)
        await session.commit()
        # claimed within the lease: nobody else gets them
        assert await outbox.claim(session, limit=10, now=now + timedelta(minutes=1)) == []
        # the sender died: after the lease the unfinished ones are claimed again, the sent one never
        again = await outbox.claim(session, limit=10, now=now + outbox.DEFAULT_LEASE + timedelta(seconds=1))
        await session.commit()
    assert sorted(m.key for m in again) == sorted(f"k:{i}" for i in range(1, 7))
    assert all(m.attempts == 2 for m in again)
    # the first sender's late answer does not overwrite the new claim
    async with db.session() as session:
        assert not await outbox.mark_sent(session, message=first[1], now=now)


async def test_double_run_sends_each_key_once(db, fake, bots) -> None:
    users = [fake.user(5000 + i) for i in range(12)]
    await enqueue_many(db, [u.id for u in users])
    await enqueue_many(db, [u.id for u in users])  # the job ran twice
    application = await bots()
    delivery = Delivery(application, application.db, config=FAST)
    assert await delivery.run(budget=10) == 12
    assert await delivery.run(budget=10) == 0
    assert all(len(u.messages) == 1 for u in users)
    assert users[0].messages[0].text == f"你好 {users[0].id}"
    assert {m.status for m in (await statuses(db)).values()} == {OutboxStatus.sent}


async def test_two_processes_on_one_database_send_each_once(db, fake, bots) -> None:
    users = [fake.user(6000 + i) for i in range(30)]
    await enqueue_many(db, [u.id for u in users])
    first, second = await bots(), await bots()
    one = Delivery(first, first.db, config=FAST)
    two = Delivery(second, second.db, config=FAST)
    counts = await asyncio.gather(one.run(budget=20), two.run(budget=20))
    assert sum(counts) == 30 and all(counts), counts  # both worked, neither sent anything twice
    assert [len(u.messages) for u in users] == [1] * 30


async def test_crash_mid_batch_resumes_with_the_rest(db, fake, bots) -> None:
    users = [fake.user(7000 + i) for i in range(8)]
    await enqueue_many(db, [u.id for u in users])
    application = await bots()
    # a process claims a batch of 5, sends 2 and records them, then dies
    async with db.session() as session:
        batch = await outbox.claim(session, limit=5, now=utcnow())
        await session.commit()
    for message in batch[:2]:
        await send_one(application, message)
        async with db.session() as session:
            await outbox.mark_sent(session, message=message, now=utcnow())
            await session.commit()
    restarted = await bots()
    delivery = Delivery(restarted, restarted.db, config=FAST)
    # at once: only the 3 never claimed go out; the dead claim still holds its 3
    assert await delivery.run(budget=10) == 3
    with time_machine.travel(utcnow() + outbox.DEFAULT_LEASE + timedelta(seconds=5), tick=True):
        assert await delivery.run(budget=10) == 3
    assert [len(u.messages) for u in users] == [1] * 8


async def test_retry_after_is_honoured(db, fake, bots) -> None:
    users = [fake.user(8000 + i) for i in range(3)]
    fake.inject_fault("sendMessage", 429, retry_after=1, chat_id=users[1].id)
    await enqueue_many(db, [u.id for u in users])
    application = await bots()
    delivery = Delivery(application, application.db, config=FAST)
    loop = asyncio.get_running_loop()
    started = loop.time()
    sent = await delivery.run(budget=10)
    sent += await delivery.run(budget=10)
    assert sent == 3 and [len(u.messages) for u in users] == [1, 1, 1]
    assert loop.time() - started >= 1.0  # waited as told
    assert [e.error_code for e in fake.errors] == [429]
    row = (await statuses(db))[f"t:{users[1].id}"]
    assert row.status is OutboxStatus.sent and row.attempts == 1  # a 429 is not a failed attempt


async def test_blocked_person_is_recorded_and_not_retried(db, fake, bots) -> None:
    users = [fake.user(8100 + i) for i in range(3)]
    users[0].block_bot(notify=False)
    await enqueue_many(db, [u.id for u in users])
    application = await bots()
    told: list[int] = []

    async def on_blocked(telegram_id: int) -> None:
        told.append(telegram_id)

    delivery = Delivery(application, application.db, on_blocked=on_blocked, config=FAST)
    assert await delivery.run(budget=10) == 2
    with time_machine.travel(utcnow() + timedelta(days=1), tick=True):
        assert await delivery.run(budget=10) == 0
    rows = await statuses(db)
    assert rows[f"t:{users[0].id}"].status is OutboxStatus.blocked
    assert told == [users[0].id]
    assert len([e for e in fake.errors if e.error_code == 403]) == 1


async def test_other_errors_are_retried_a_bounded_number_of_times(db, fake, bots) -> None:
    flaky, broken = fake.user(8200), fake.user(8201)
    fake.inject_fault("sendMessage", 502, chat_id=flaky.id, times=1)
    fake.inject_fault("sendMessage", 502, chat_id=broken.id, times=100)
    await enqueue_many(db, [flaky.id, broken.id])
    application = await bots()
    delivery = Delivery(application, application.db, config=DeliveryConfig(
        batch=5, bulk_rate=1000, per_chat_interval=0, max_attempts=3))
    await delivery.run(budget=5)
    for hours in (1, 2, 3, 4):
        with time_machine.travel(utcnow() + timedelta(hours=hours), tick=True):
            await delivery.run(budget=5)
    rows = await statuses(db)
    # one 502 is mended by the request's own bounded retry (bot/request.py): a single outbox attempt
    assert rows[f"t:{flaky.id}"].status is OutboxStatus.sent and rows[f"t:{flaky.id}"].attempts == 1
    assert rows[f"t:{broken.id}"].status is OutboxStatus.failed and rows[f"t:{broken.id}"].attempts == 3
    assert "Bad Gateway" in rows[f"t:{broken.id}"].last_error
    assert len(flaky.messages) == 1 and broken.messages == []


async def test_a_send_whose_answer_is_lost_is_recorded_unknown_and_never_sent_again(db, fake, bots) -> None:
    lost, fine = fake.user(8210), fake.user(8211)
    await enqueue_many(db, [lost.id, fine.id])
    fake.drop_next("sendMessage")
    application = await bots()
    delivery = Delivery(application, application.db, config=FAST)
    assert await delivery.run(budget=10) == 1
    (dropped,) = fake.dropped
    unlucky = fake.user(int(dropped.params["chat_id"]))
    # later runs, past the retry back-off and the claim's lease: nothing more goes out
    for hours in (1, 24):
        with time_machine.travel(utcnow() + timedelta(hours=hours), tick=True):
            assert await delivery.run(budget=5) == 0
    rows = await statuses(db)
    row = rows[f"t:{unlucky.id}"]
    assert row.status is OutboxStatus.unknown and row.attempts == 1 and row.sent_at is None
    assert "may have reached Telegram" in row.last_error
    assert len(fake.calls_to("sendMessage")) == 2  # each message received once: no retry of the lost one
    assert [len(u.messages) for u in (lost, fine)] == [1, 1]  # Telegram did carry the lost one out
    async with db.session() as session:
        assert await outbox.counts(session) == {OutboxStatus.sent: 1, OutboxStatus.unknown: 1}


async def test_the_unknown_status_needs_no_migration_and_is_named_and_counted(db) -> None:
    """The status column is a VARCHAR(32) without a CHECK (models/base.py: enum_column; migration 0006), so
    the schema as migrated takes the new value on SQLite and PostgreSQL alike."""
    from bot.services import broadcasts
    from bot.texts import OUTBOX_STATUS_NAMES
    from bot.texts.broadcast import render_broadcast_progress
    from models import Broadcast

    assert set(OUTBOX_STATUS_NAMES) == {s.value for s in OutboxStatus}  # /my's reminder history, remind --dry-run
    now = utcnow()
    async with db.session() as session:
        for i in range(3):
            await outbox.enqueue(session, key=f"bc:1:{i}", chat_id=i, kind="broadcast", text="通知", now=now)
        await session.commit()
    async with db.session() as session:
        first, second, third = await outbox.claim(session, limit=3, now=now)
        assert await outbox.mark_unknown(session, message=first, now=now, error="sendMessage may have reached …")
        await outbox.mark_sent(session, message=second, now=now)
        await outbox.mark_blocked(session, message=third, now=now, error="403")
        await session.commit()
    async with db.session() as session:
        status = (await session.exec(select(OutboxMessage.status).where(OutboxMessage.key == "bc:1:0"))).one()
        assert status is OutboxStatus.unknown
        later = now + outbox.DEFAULT_LEASE + timedelta(days=1)
        assert not await outbox.has_pending(session, now=later) and await outbox.claim(session, limit=3, now=later) == []
        # a broadcast with a message that may have been sent is finished, and says so
        tally = await broadcasts.tally(session, Broadcast(id=1, key="k", created_by=1, chat_id=1, text="通知",
                                                          audience="all", total=3))
    assert (tally.sent, tally.blocked, tally.unknown, tally.finished) == (1, 1, 1, True)
    assert "可能已发送 1" in render_broadcast_progress(None, tally)


async def test_a_push_goes_on_at_once_and_rests_only_when_nothing_is_left(db, fake, bots) -> None:
    """A run that ends on its budget with messages still due is followed at once (a pause between
    runs would cost a long push seconds of its rate); the job's interval only once nothing is left."""
    users = [fake.user(8500 + i) for i in range(12)]
    await enqueue_many(db, [u.id for u in users])
    application = await bots()
    delivery = Delivery(application, application.db,
                        config=DeliveryConfig(batch=5, bulk_rate=4, per_chat_interval=0.0, interval=5.0))
    sent = await delivery.run(budget=0.5)  # 4 a second: the budget ends with messages still due
    assert 0 < sent < 12 and delivery.more and delivery.next_run_in() == 0
    runs = 1
    while delivery.more and runs < 10:
        sent += await delivery.run(budget=10)
        runs += 1
    assert sent == 12 and not delivery.more and delivery.next_run_in() == 5.0
    assert [len(u.messages) for u in users] == [1] * 12


async def test_a_run_that_empties_the_outbox_rests_its_interval(db, fake, bots) -> None:
    """Finishing everything within the budget is not a push still under way: no empty run follows at once."""
    users = [fake.user(8600 + i) for i in range(3)]
    await enqueue_many(db, [u.id for u in users])
    application = await bots()
    delivery = Delivery(application, application.db,
                        config=DeliveryConfig(batch=5, bulk_rate=1000, per_chat_interval=0.0, interval=5.0))
    assert await delivery.run(budget=10) == 3
    assert not delivery.more and delivery.next_run_in() == 5.0


async def test_buttons_photo_and_document_are_sent(db, fake, bots) -> None:
    from tests.support.fake_telegram import make_png

    user = fake.user(8300)
    async with db.session() as session:
        await outbox.enqueue(session, key="b", chat_id=user.id, kind="t", text="按钮", now=utcnow(),
                             buttons=[[Button("去登记", callback_data="rm:log")]])
        await outbox.enqueue(session, key="p", chat_id=user.id, kind="t", text="图表", now=utcnow(), photo=make_png())
        await outbox.enqueue(session, key="d", chat_id=user.id, kind="t", text="报表", now=utcnow(),
                             document=b"PK\x03\x04", document_name="报告.xlsx")
        await session.commit()
    application = await bots()
    assert await Delivery(application, application.db, config=FAST).run(budget=10) == 3
    button, photo, document = user.messages
    assert button.button_data == {"去登记": "rm:log"}
    assert photo.photo and photo.caption == "图表"
    assert document.document["file_name"] == "报告.xlsx"


async def test_rate_limiter_lets_replies_go_first() -> None:
    limiter = PriorityRateLimiter(overall_rate=5)
    loop = asyncio.get_running_loop()
    done: list[tuple[str, float]] = []

    def call(label: str):
        async def network() -> bool:
            done.append((label, loop.time()))
            return True

        return limiter.process_request(network, (), {}, "sendMessage", {}, {"bulk": True} if label == "bulk" else None)

    bulk = [asyncio.create_task(call("bulk")) for _ in range(12)]
    await asyncio.sleep(0.75)  # the bulk calls fill the first second (evenly, 1/6 s apart) and queue up
    replies = [asyncio.create_task(call("reply")) for _ in range(3)]
    await asyncio.gather(*bulk, *replies)
    order = [label for label, _ in done]
    assert order[:5] == ["bulk"] * 5
    assert order[5:8] == ["reply"] * 3  # the next free slots went to the replies
    times = [at for _, at in done]
    assert all(times[i + 5] - times[i] >= 0.99 for i in range(len(times) - 5))  # ≤ 5 in any second
    bulk_times = [at for label, at in done if label == "bulk"]
    # bulk calls never in a burst: at most rate + 1 a second, evenly spread
    assert all(b - a >= 1 / 6 - 0.005 for a, b in zip(bulk_times, bulk_times[1:])), bulk_times


async def test_a_retried_request_takes_a_slot_of_its_own(fake) -> None:
    """A request the transport sends again (bot/request.py: 5xx, a connection error, a short 429) is
    another arrival at Telegram's end: each attempt holds its own slot of the window."""
    from telegram.ext import ExtBot

    from bot.request import RetryingRequest
    from tests.conftest import TOKEN

    limiter = PriorityRateLimiter(overall_rate=2)
    bot = ExtBot(TOKEN, base_url=fake.base_url, request=RetryingRequest(backoff=0.05), rate_limiter=limiter)
    await bot.initialize()  # its getMe holds a slot for a second: start with an empty window
    await asyncio.sleep(1.05)
    user = fake.user(8400)
    try:
        fake.fail_next("sendMessage", code=502, description="Bad Gateway")
        await bot.send_message(user.id, "一")  # a 502, then sent on the retry: two requests
        await bot.send_message(user.id, "二")
        await bot.send_message(user.id, "三")
    finally:
        await bot.shutdown()
    arrivals = sorted([e.timestamp for e in fake.errors] + [c.timestamp for c in fake.calls_to("sendMessage")])
    assert len(arrivals) == 4 and [e.error_code for e in fake.errors] == [502]
    assert [m.text for m in user.messages] == ["一", "二", "三"]
    # the stand-in's own clock: never 3 requests within one second at a limit of 2
    assert all(arrivals[i + 2] - arrivals[i] >= 0.99 for i in range(len(arrivals) - 2)), arrivals


async def test_delivery_started_late_still_runs_and_goes_on(db, fake, runner, settings) -> None:
    """APScheduler drops a one-off job that starts over a second late. The delivery chain is one-off
    jobs: a busy loop or a jump of the clock must make a run late, never end the chain."""
    application = await runner.start(settings)

    def chained() -> bool:
        return [j.name for j in application.job_queue.jobs()].count("outbox_delivery") == 1

    await fake.wait_until(chained)
    with time_machine.travel(utcnow() + timedelta(minutes=5), tick=True):
        application.job_queue.scheduler.wakeup()  # the chain's next run is now five minutes late
        user = fake.user(8300)
        await enqueue_many(db, [user.id])
        await user.expect_message(timeout=10)
    # and the chain goes on: the next run is scheduled (once) after this one
    await fake.wait_until(chained)
