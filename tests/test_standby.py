"""A hot standby on one PostgreSQL: two real `python -m bot run` processes, one leading, the other taking
over when the leader is killed (-9) or loses its lock session; and one process only on SQLite.

Each process calls the fake Bot API under a name of its own (`Call.client`), so the recorded calls show
who acted when: the two never act at the same time (`assert_one_leader_at_a_time`)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from sqlmodel import select

from bot.cli import run as run_module
from bot.cli.common import EXIT_BUSY
from bot.leader import LOCK_CLASS, lock_key
from bot.services import outbox
from models import Activity, Case, InboxUpdate, OutboxMessage, OutboxStatus, utcnow
from tests.conftest import issue_code, offline_settings
from tests.support.bot_process import ROOT, BotProcess
from tests.support.case_flows import file_request

FAILOVER = "8"  # seconds: lease 2, grace 2.8 (bot/leader.py: Timing)
pg_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def acting(fake) -> list:
    """Every call a leader makes, in the order they reached the fake (getMe is made by every process at
    its start, standbys included)."""
    return sorted((c for c in fake.calls + fake.errors if c.method != "getMe"), key=lambda c: c.timestamp)


def assert_one_leader_at_a_time(fake, *, hand_overs: int) -> None:
    """The calls come in runs of one process each: one run per leadership, never interleaved."""
    runs = []
    for call in acting(fake):
        if not runs or runs[-1] != call.client:
            runs.append(call.client)
    assert len(runs) == hand_overs + 1, f"leaders interleaved: {runs}"


async def leads(fake, bot: BotProcess, timeout: float = 40) -> None:
    """Until `bot` polls (only a leader does)."""
    await fake.wait_until(lambda: any(c.client == bot.client and c.method == "getUpdates" for c in fake.calls),
                          timeout=timeout, message=f"{bot.client} never started polling")


def status(database_url: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_URL"))}
    done = subprocess.run([sys.executable, "-m", "bot", "status"], cwd=ROOT, capture_output=True, text=True,
                          env={**env, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def press(user, label: str, message=None, timeout: float = 5.0):
    await user.press(label, message=message)
    return await user.expect_message(timeout=timeout)


async def all_inbox_done(db) -> None:
    async with db.session() as session:
        pending = (await session.exec(select(InboxUpdate.update_id).where(InboxUpdate.done_at.is_(None)))).all()
    assert pending == []


@pg_only
async def test_a_standby_takes_over_a_killed_leader_mid_log_form(fake, db, roster, database_url, tmp_path) -> None:
    first = BotProcess(fake, database_url, tmp_path, client="a", FAILOVER_SECONDS=FAILOVER)
    second = BotProcess(fake, database_url, tmp_path, client="b", FAILOVER_SECONDS=FAILOVER)
    first.launch()
    try:
        with first.shown_on_failure(), second.shown_on_failure():
            await leads(fake, first)
            second.launch()
            user = fake.user(5004, first_name="郑涛超")
            await user.send(f"/start {await issue_code(db, 'GS0004')}")
            await user.expect_messages(2, timeout=30)
            await fake.wait_until(lambda: any(c.client == "b" and c.method == "getMe" for c in fake.calls),
                                  timeout=30, message="the standby never started")
            await asyncio.sleep(1.0)  # its lock session is waiting by now
            shown = await asyncio.to_thread(status, database_url)
            assert f"进程 {first.process.pid}" in shown and "备用进程：1 个" in shown, shown
            await user.send("/log")
            await user.expect_message()
            await press(user, "主动走访")
            places = await press(user, "今天")
            await first.kill()
            killed = time.monotonic()
            await user.press("合作丝路社区", message=places)
            assert "人次" in (await user.expect_message(timeout=30)).text  # the form goes on where it was
            took = time.monotonic() - killed
            await user.send("9")
            await user.expect_message()
            await user.send("走访社区老人")
            await user.expect_message()
            await press(user, "跳过")
            saved = await press(user, "确认提交")
            if "已保存" not in saved.text:  # the card's edit came first
                saved = await user.expect_message()
            assert "已保存" in saved.text
            await asyncio.sleep(1.0)  # a second answer to any update would have come by now
            shown = await asyncio.to_thread(status, database_url)
            assert f"进程 {second.process.pid}" in shown and "备用进程：0 个" in shown, shown
    finally:
        await second.stop()
        await first.stop()
    assert took < float(FAILOVER), f"takeover took {took:.1f}s"
    async with db.session() as session:
        (activity,) = (await session.exec(select(Activity))).all()
    assert activity.place == "合作丝路社区" and activity.people == 9
    # every update answered once: 2 welcome lines, the six steps, the card and "已保存"
    assert len(user.messages) == 2 + 6 + 2, user.report("an update was answered twice or not at all")
    await all_inbox_done(db)
    assert_one_leader_at_a_time(fake, hand_overs=1)


@pg_only
async def test_an_outbox_run_of_500_goes_on_after_the_leader_is_killed(fake, db, database_url, tmp_path) -> None:
    people = [fake.user(600_000 + n) for n in range(500)]
    async with db.session() as session:
        await outbox.enqueue_many(session, [(f"bulk:{u.id}", u.id) for u in people], kind="broadcast",
                                  text="通知：本周五下午召开界别活动会", now=utcnow())
        await session.commit()
    first = BotProcess(fake, database_url, tmp_path, client="a", FAILOVER_SECONDS=FAILOVER)
    second = BotProcess(fake, database_url, tmp_path, client="b", FAILOVER_SECONDS=FAILOVER)
    first.launch()
    second.launch()
    try:
        with first.shown_on_failure(), second.shown_on_failure():
            sends = lambda: sum(1 for c in fake.calls if c.method == "sendMessage")  # noqa: E731
            await fake.wait_until(lambda: sends() >= 100, timeout=60, message="the first leader never sent 100")
            sender = next(c.client for c in reversed(fake.calls) if c.method == "sendMessage")
            leader, standby = (first, second) if sender == "a" else (second, first)
            fake.hold("sendMessage")  # the kill finds sends in flight: they never happen (the fake drops them)
            await fake.wait_until(lambda: fake.held, timeout=10)
            await leader.kill()
            # sends answered before the hold whose outcome was not committed yet when the process died: the
            # only ones a crash may repeat (Telegram has no idempotency key; docs/decisions.md)
            answered = {c.params["chat_id"] for c in fake.calls if c.method == "sendMessage"}
            async with db.session() as session:
                recorded = set((await session.exec(select(OutboxMessage.chat_id).where(
                    OutboxMessage.status == OutboxStatus.sent))).all())
            in_flight = answered - recorded
            fake.release("sendMessage")
            await fake.wait_until(lambda: sends() >= 500, timeout=90, message="the standby did not finish the run")
            await asyncio.sleep(1.0)  # a second copy would have come by now
    finally:
        await first.stop()
        await second.stop()
    received = Counter(c.params["chat_id"] for c in fake.calls if c.method == "sendMessage")
    twice = {k for k, v in received.items() if v > 1}
    assert len(received) == 500 and max(received.values()) <= 2
    # nothing recorded as sent went out again; what did was answered but not yet recorded at the kill,
    # at most the sends of one claimed batch and a half (scheduler/delivery.py)
    assert twice <= in_flight and len(in_flight) <= 30, (sorted(twice), sorted(in_flight))
    async with db.session() as session:
        assert await outbox.counts(session) == {OutboxStatus.sent: 500}
    assert {c.client for c in fake.calls if c.method == "sendMessage"} == {leader.client, standby.client}
    assert_one_leader_at_a_time(fake, hand_overs=1)


@pg_only
async def test_a_card_committed_right_before_the_kill_reaches_the_member_once(
        fake, db, roster, database_url, tmp_path) -> None:
    first = BotProcess(fake, database_url, tmp_path, client="a", FAILOVER_SECONDS=FAILOVER)
    second = BotProcess(fake, database_url, tmp_path, client="b", FAILOVER_SECONDS=FAILOVER)
    first.launch()
    try:
        with first.shown_on_failure(), second.shown_on_failure():
            await leads(fake, first)
            second.launch()
            member = fake.user(8021, first_name="孙凯凯")
            await member.send(f"/start {await issue_code(db, 'GS0021')}")
            await member.expect_messages(2, timeout=30)
            resident = fake.user(9101, first_name="张")
            card = await file_request(resident, photos=1)
            fake.hold("sendMessage")  # the resident's "已提交" is the first send after the commit: it hangs there
            await resident.press("确认提交", message=card)
            await fake.wait_until(lambda: fake.held, timeout=10, message="the bot never answered 确认提交")
            await first.kill()
            fake.release("sendMessage")
            arrived = await member.expect_message(timeout=30)
            photo = await member.expect_message(timeout=10)
            await asyncio.sleep(1.0)
    finally:
        await second.stop()
        await first.stop()
    async with db.session() as session:
        (case,) = (await session.exec(select(Case))).all()
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.kind == "case"))).all()
    assert case.number in arrived.text and photo.photo
    assert len(member.messages) == 4, member.report("the card arrived more than once")
    assert [m.status for m in rows] == [OutboxStatus.sent] * 2
    assert_one_leader_at_a_time(fake, hand_overs=1)


def lock_session(database_url: str) -> int:
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        key = lock_key(connection.execute(text("SELECT current_schema()")).scalar_one())
        pid = connection.execute(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = :c AND objid = :k AND granted"
        ), {"c": LOCK_CLASS, "k": key}).scalar_one()
    engine.dispose()
    return pid


def terminate(database_url: str, pid: int) -> None:
    engine = create_engine(database_url, poolclass=NullPool)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    engine.dispose()


TOTAL = 600  # about 20 s of sending at 28 a second: the cut comes in the middle


@pg_only
async def test_a_leader_cut_from_its_lock_session_stops_before_the_standby_starts(
        fake, db, database_url, tmp_path) -> None:
    people = [fake.user(700_000 + n) for n in range(TOTAL)]
    async with db.session() as session:
        await outbox.enqueue_many(session, [(f"bulk:{u.id}", u.id) for u in people], kind="broadcast",
                                  text="通知：下周一上午集中学习", now=utcnow())
        await session.commit()
    first = BotProcess(fake, database_url, tmp_path, client="a", FAILOVER_SECONDS=FAILOVER)
    second = BotProcess(fake, database_url, tmp_path, client="b", FAILOVER_SECONDS=FAILOVER)
    first.launch()
    try:
        with first.shown_on_failure(), second.shown_on_failure():
            await leads(fake, first)
            second.launch()
            sends = lambda: sum(1 for c in fake.calls if c.method == "sendMessage")  # noqa: E731
            await fake.wait_until(lambda: any(c.client == "b" and c.method == "getMe" for c in fake.calls),
                                  timeout=30, message="the standby never started")
            await fake.wait_until(lambda: sends() >= 60, timeout=60, message="the leader never sent 60")
            assert sends() < TOTAL - 100, "the push ended before the cut"
            fake.hold("sendMessage")
            await fake.wait_until(lambda: fake.held, timeout=10)
            cut = time.time()
            await asyncio.to_thread(terminate, database_url, await asyncio.to_thread(lock_session, database_url))
            # the old leader gives up at once and starts again as a standby (its getMe), its held sends dropped
            await fake.wait_until(lambda: any(c.client == "a" and c.method == "getMe" and c.timestamp > cut
                                              for c in fake.calls), timeout=20, message="the old leader went on")
            fake.release("sendMessage")
            await fake.wait_until(lambda: sends() >= TOTAL, timeout=90, message="the new leader did not finish")
            await asyncio.sleep(1.0)
    finally:
        await second.stop()
        await first.stop()
    last_old = max(c.timestamp for c in acting(fake) if c.client == "a")
    first_new = min(c.timestamp for c in acting(fake) if c.client == "b")
    assert last_old < first_new, "the old leader was still calling Telegram when the new one started"
    assert first_new - cut >= float(FAILOVER) * 0.35  # the new leader waited its grace
    received = Counter(c.params["chat_id"] for c in fake.calls if c.method == "sendMessage")
    assert len(received) == TOTAL and set(received.values()) == {1}
    assert_one_leader_at_a_time(fake, hand_overs=1)


def test_a_second_process_on_one_sqlite_database_is_refused(tmp_path, monkeypatch, capsys) -> None:
    database = tmp_path / "lianxin.db"
    lock = tmp_path / "lianxin.db.lock"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_URL"))}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=f"sqlite:///{database}")
    holder = subprocess.Popen(  # the running bot's lock, held by another process
        [sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
         " fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'4242'); print('held', flush=True); time.sleep(60)",
         str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"

        async def telegram_answers(_settings):
            return "test_bot"

        monkeypatch.setattr(run_module, "get_me", telegram_answers)
        code = run_module.run(offline_settings(f"sqlite:///{database}"))
        refusal = capsys.readouterr().err.strip()
        assert code == EXIT_BUSY
        assert refusal.count("\n") == 0 and "另一个机器人进程正在使用这个 SQLite 数据库" in refusal, refusal
        assert not database.exists()  # refused before the database was touched
        shown = subprocess.run([sys.executable, "-m", "bot", "status"], cwd=ROOT, env=env, capture_output=True,
                               text=True, timeout=60)
        assert "进程 4242" in shown.stdout, shown
    finally:
        holder.kill()
        holder.wait()
    assert run_module.sqlite_lock_holder(lock) is None
