#!/usr/bin/env python3
"""Benchmark outbox delivery: N messages through a Bot API stand-in that enforces 30 messages/s.

The real Application (with `PriorityRateLimiter` and the real delivery job started by
post_init) talks over HTTP to `tests/support/fake_telegram.FakeTelegram` with
`enforce_send_rate(30)`: more than 30 sends in any second are refused with 429, as
Telegram does. Meanwhile a few residents type /help once a second; the time from their
message to the bot's answer is measured. Reported: sustained bulk rate, 429 count,
/help latency p50/p95, resident set size over the run (flat = recipients streamed).

    python bench/bench_outbox.py                 # 20,000 messages (about 13 minutes)
    python bench/bench_outbox.py --messages 3000 # a shorter run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

TOKEN = "123456:BENCH-TOKEN-abcdefghijklmnop"


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def main(args: argparse.Namespace) -> int:
    from sqlalchemy import text

    from bot.app import build_application
    from bot.config import Settings
    from bot.db import sync_engine, upgrade
    from tests.support.fake_telegram import FakeTelegram

    workdir = tempfile.mkdtemp(prefix="lianxin-outbox-")
    url = f"sqlite+aiosqlite:///{workdir}/bench.db"
    upgrade(url)
    fake = FakeTelegram(token=TOKEN, bot_username="bench_bot")
    await fake.start()
    fake.enforce_send_rate(30)
    first_chat = 50_000_000
    for i in range(args.messages):
        fake.user(first_chat + i)
    engine = sync_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO outboxmessage (key, chat_id, kind, text, status, attempts, created_at)"
                 " VALUES (:key, :chat_id, 'reminder', :text, 'pending', 0, '2026-11-14 01:00:00')"),
            [{"key": f"bench:{i}", "chat_id": first_chat + i, "text": f"提醒 <b>{i}</b>：本季度还没有登记联系活动。"}
             for i in range(args.messages)],
        )
    engine.dispose()
    settings = Settings(_env_file=None, bot_token=TOKEN, bot_api_base_url=fake.base_url,  # type: ignore[call-arg]
                        bot_api_file_url=fake.base_file_url, database_url=url, persistence_interval_seconds=60)
    application = build_application(settings, rate_limit=True)
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_polling(poll_interval=0, timeout=1)
    await application.start()

    bulk = set(range(first_chat, first_chat + args.messages))
    typists = [fake.user(7_000 + i) for i in range(args.typists)]
    latencies: list[float] = []
    memory: list[tuple[float, float]] = []
    started = time.monotonic()
    done = asyncio.Event()

    async def type_help(user) -> None:  # noqa: ANN001
        while not done.is_set():
            sent_at = time.monotonic()
            before = len(user.messages)
            await user.send("/help")
            while len(user.messages) == before and time.monotonic() - sent_at < 30:
                await asyncio.sleep(0.005)
            latencies.append(time.monotonic() - sent_at)
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - sent_at)))

    def delivered() -> int:
        return sum(1 for call in fake.calls if call.method == "sendMessage" and int(call.params["chat_id"]) in bulk)

    typing = [asyncio.create_task(type_help(u)) for u in typists]
    first_at = last_at = None
    count = 0
    while count < args.messages and time.monotonic() - started < args.timeout:
        await asyncio.sleep(1)
        count = delivered()
        if count and first_at is None:
            first_at = time.monotonic()
        memory.append((time.monotonic() - started, rss_mb()))
        if count >= args.messages:
            last_at = time.monotonic()
    done.set()
    await asyncio.gather(*typing)
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    await application.post_shutdown(application)
    await fake.stop()

    elapsed = (last_at or time.monotonic()) - (first_at or started)
    print(f"messages: {count:,}/{args.messages:,} in {elapsed:.0f} s → {count / elapsed:.1f} msg/s sustained")
    print(f"429 responses: {len(fake.rate_limited)}")
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(f"/help replies: {len(latencies)}, p50 {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms,"
              f" max {ordered[-1] * 1000:.0f} ms")
    tenth = memory[len(memory) // 10][1] if memory else 0
    print(f"RSS: {tenth:.0f} MB at 10% of the run, {memory[-1][1]:.0f} MB at the end, peak {max(m for _, m in memory):.0f} MB")
    return 0 if count == args.messages and not fake.rate_limited else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--typists", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=3600)
    raise SystemExit(asyncio.run(main(parser.parse_args())))
