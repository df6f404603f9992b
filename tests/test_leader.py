"""The leader lock (bot/leader.py) on its own: who gets it, when a leader must stop, what `status` reads;
and what a call refused by the fence does to an outbox row."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from telegram.ext import ApplicationBuilder

from bot.cli.status import status
from bot.leader import Leadership, Timing, holders, parse_name, session_name
from bot.request import NotLeader, RetryingRequest
from bot.sending import Outcome, attempt, record
from bot.services import outbox
from models import OutboxMessage, OutboxStatus, utcnow
from tests.conftest import TOKEN, offline_settings

pg_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.mark.parametrize("failover", [2, 10, 60])
def test_the_grace_outlasts_the_lease_and_pings_come_well_within_it(failover) -> None:
    timing = Timing(failover)
    assert timing.ping * 4 <= timing.lease < timing.grace
    # a killed leader is replaced within FAILOVER_SECONDS: the grace plus a start-up of the bot
    assert timing.grace <= failover * 0.5
    # a vanished machine: the server's probes (keepalive, 2 more at 1 s) end the lock before then too
    assert timing.keepalive + 2 + timing.grace <= failover * 0.8 or failover < 5


def test_the_session_name_carries_who_and_since() -> None:
    from datetime import UTC, datetime

    since = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    name = session_name("leader", pid=4321, since=since, host="bot-1." + "x" * 80)
    assert len(name.encode()) <= 63
    assert parse_name(name)[:3] == ("leader", 4321, since)
    assert parse_name("psql")[0] == "?"


@pg_only
async def test_one_leader_the_other_waits_and_takes_over_after_the_grace(database_url, capsys) -> None:
    timing = Timing(2)
    first, second = Leadership(database_url, timing=timing), Leadership(database_url, timing=timing)
    try:
        first.connect()
        await asyncio.to_thread(first.wait)
        assert first.valid()
        second.connect()
        granted = threading.Event()
        waiter = threading.Thread(target=lambda: (second.wait(), granted.set()), daemon=True)
        waiter.start()
        await asyncio.sleep(0.5)
        assert not granted.is_set()
        found = await asyncio.to_thread(holders, database_url)
        assert [(h.granted, h.role) for h in found] == [(True, "leader"), (False, "standby")]
        assert await asyncio.to_thread(status, offline_settings(database_url), None) == 0
        shown = capsys.readouterr().out
        since = first.since.astimezone(offline_settings(database_url).tz).strftime("%Y-%m-%d %H:%M:%S")
        assert f"主进程：{first.host} 上的进程 {os.getpid()}，自 {since} 起运行" in shown
        assert "备用进程：1 个在等待接替" in shown
        released = time.monotonic()
        first.close()
        assert await asyncio.to_thread(granted.wait, 10)
        assert time.monotonic() - released >= timing.grace
        assert second.valid()
        second.close()
        await asyncio.to_thread(status, offline_settings(database_url), None)
        assert capsys.readouterr().out.splitlines() == ["没有主进程在运行（机器人已停止）。", "备用进程：0 个在等待接替"]
    finally:
        first.close()
        second.close()


@pg_only
async def test_a_leader_whose_lock_session_ends_stops_within_its_lease(database_url) -> None:
    timing = Timing(2)
    leader = Leadership(database_url, timing=timing)
    lost = threading.Event()
    try:
        leader.connect()
        await asyncio.to_thread(leader.wait)
        leader.watch(lost.set)
        await asyncio.sleep(timing.lease * 2)
        assert not lost.is_set() and leader.valid()  # the pings keep the lease
        (holder,) = await asyncio.to_thread(holders, database_url)
        engine = create_engine(database_url, poolclass=NullPool)
        with engine.connect() as connection:
            pid = connection.execute(text("SELECT pid FROM pg_stat_activity WHERE application_name = :n"),
                                     {"n": session_name("leader", pid=holder.pid, since=holder.since,
                                                        host=holder.host)}).scalar_one()
            cut = time.monotonic()
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        engine.dispose()
        assert await asyncio.to_thread(lost.wait, timing.lease + 1)
        assert time.monotonic() - cut < timing.lease + 0.5
        assert not leader.valid()
    finally:
        leader.close()


async def test_a_call_refused_by_the_fence_gives_the_row_back_uncounted(db) -> None:
    request = RetryingRequest(fence=lambda: False)
    with pytest.raises(NotLeader):
        await request.do_request(f"http://127.0.0.1:9/bot{TOKEN}/sendMessage", "POST")
    application = ApplicationBuilder().token(TOKEN).request(request).build()
    async with db.session() as session:
        await outbox.enqueue(session, key="k:1", chat_id=42, kind="test", text="您好", now=utcnow())
        await session.commit()
        (message,) = await outbox.claim(session, limit=1, now=utcnow())
        await session.commit()
    done = await attempt(application, message)
    assert done.outcome is Outcome.wait
    async with db.session() as session:
        await record(session, done)
        await session.commit()
        row = await session.get(OutboxMessage, message.id, populate_existing=True)
    assert row.status is OutboxStatus.pending and row.attempts == 0
    assert row.not_before is not None and row.not_before <= utcnow()


class Link:
    """A TCP proxy to PostgreSQL that can be cut as a network would be: the server's side is closed (so
    PostgreSQL ends the session, as its keepalive probes would), the client's side goes silent, left open."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.upstreams: list[asyncio.StreamWriter] = []
        self.tasks: set[asyncio.Task] = set()
        self.cut_off = False

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.upstreams.append(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink))
            self.tasks.add(task)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        while not self.cut_off:
            data = await source.read(65536)
            if not data or self.cut_off:
                return
            sink.write(data)
            await sink.drain()

    def cut(self) -> None:
        self.cut_off = True
        for writer in self.upstreams:
            writer.close()

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.server.close()


@pg_only
async def test_a_leader_whose_link_goes_silent_stops_within_its_lease(database_url) -> None:
    """The pings get no answer at all (no error either): the lease lapses and the guard ends the leadership."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    link = Link(url.host or "127.0.0.1", url.port or 5432)
    port = await link.start()
    timing = Timing(2)
    leader = Leadership(url.set(port=port).render_as_string(hide_password=False), timing=timing)
    standby = Leadership(database_url, timing=timing)
    lost = threading.Event()
    try:
        await asyncio.to_thread(leader.connect)
        await asyncio.to_thread(leader.wait)
        leader.watch(lost.set)
        standby.connect()
        waiter = asyncio.create_task(asyncio.to_thread(standby.wait))
        await asyncio.sleep(timing.lease)
        assert not lost.is_set() and not waiter.done()
        cut = time.monotonic()
        link.cut()
        assert await asyncio.to_thread(lost.wait, timing.lease + 1)
        stopped = time.monotonic()
        assert stopped - cut <= timing.lease + 0.5
        await asyncio.wait_for(waiter, 10)
        took_over = time.monotonic()
        assert stopped < took_over  # the new leader acts only after the old one stopped
        assert took_over - cut >= timing.grace
    finally:
        leader.close()
        standby.close()
        await link.close()
