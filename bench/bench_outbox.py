#!/usr/bin/env python3
"""Benchmark outbox delivery: N messages through a Bot API stand-in that enforces 30 messages/s.

Two processes. The stand-in (`tests/support/fake_telegram.FakeTelegram` with
`enforce_send_rate(30)`: a 31st send within any second is refused with 429, as Telegram
does) runs in a child process (`bench/outbox_standin.py`), together with the residents who type /help
once a second each and the clock that times their replies. This process runs only the
real Application (with `PriorityRateLimiter` and the real delivery job started by
post_init) and samples its own resident set size every second, so a flat RSS here is
the bot's, not the stand-in's growing record of calls.

Reported: sustained bulk rate, 429 count, /help latency p50/p95, the bot's RSS over the run and its
CPU time per message.

    .venv/bin/python -m bench.bench_outbox                              # 20,000 messages (about 13 minutes)
    .venv/bin/python -m bench.bench_outbox --messages 5000 --typists 3  # a shorter run (about 3 minutes)
    .venv/bin/python -m bench.bench_outbox --messages 2000 --trace      # + waits and latencies inside the bot
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from sqlalchemy import text

import scheduler.delivery as delivery
from bench.common import BENCH_TOKEN, ROOT, memory_mb, percentile
from bot import ratelimit
from bot.app import build_application
from bot.config import Settings
from bot.db import sync_engine, upgrade
from bot.services import outbox

FIRST_CHAT = 50_000_000  # the bulk messages go to this chat id and the ones after it


# --- optional instrumentation of the bot's process (--trace) ----------------------------------------

def install_trace() -> Callable[[], list[str]]:
    """Wrap the limiter, the pacer, the sends and the outbox marks with timers; returns a reporter.

    Only this process's objects are wrapped (after import, before the Application is built):
    the code measured is the real one, each piece timed from outside.
    """
    samples: dict[str, list[float]] = {}

    def note(name: str, seconds: float) -> None:
        samples.setdefault(name, []).append(seconds)

    original_process = ratelimit.PriorityRateLimiter.process_request

    async def process_request(self, callback, args, kwargs, endpoint, data, rate_limit_args):
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        kind = "bulk" if bulk else "reply"
        entered = time.monotonic()
        first = True

        async def timed(*a, **k):
            nonlocal first
            started = time.monotonic()
            if first:
                note(f"limiter wait ({kind})", started - entered)
                first = False
            try:
                return await callback(*a, **k)
            finally:
                note(f"call, start → answer ({kind})", time.monotonic() - started)

        return await original_process(self, timed, args, kwargs, endpoint, data, rate_limit_args)

    ratelimit.PriorityRateLimiter.process_request = process_request  # type: ignore[method-assign]

    original_wait = delivery.Pacer.wait

    async def pacer_wait(self, chat_id, stop=None):
        started = time.monotonic()
        try:
            return await original_wait(self, chat_id, stop)
        finally:
            note("pacer wait", time.monotonic() - started)

    delivery.Pacer.wait = pacer_wait  # type: ignore[method-assign]

    def timed_db(name: str, function):
        async def wrapper(*a, **k):
            started = time.monotonic()
            try:
                return await function(*a, **k)
            finally:
                note(name, time.monotonic() - started)
        return wrapper

    outbox.mark_sent = timed_db("mark_sent statement", outbox.mark_sent)  # type: ignore[assignment]
    outbox.claim = timed_db("claim statements", outbox.claim)  # type: ignore[assignment]
    # one message's whole delivery has no public seam: --trace wraps the method from outside
    original_deliver = delivery.Delivery._deliver  # noqa: SLF001 - see above

    async def deliver(self, message):
        started = time.monotonic()
        try:
            return await original_deliver(self, message)
        finally:
            note("one message: pacer + send + mark + commit", time.monotonic() - started)

    delivery.Delivery._deliver = deliver  # type: ignore[method-assign]  # noqa: SLF001 - see above

    async def loop_lag() -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            note("event-loop lag (10 ms sleep overshoot)", time.monotonic() - before - 0.01)

    lag_task: list[asyncio.Task] = []

    def start() -> None:
        lag_task.append(asyncio.get_running_loop().create_task(loop_lag()))

    def report() -> list[str]:
        for task in lag_task:
            task.cancel()
        lines = []
        for name, values in samples.items():
            ordered = sorted(values)
            lines.append(f"  {name:<45} n={len(ordered):>6}  mean {statistics.fmean(ordered) * 1000:7.1f} ms"
                         f"  p50 {percentile(ordered, 50) * 1000:7.1f}  p95 {percentile(ordered, 95) * 1000:7.1f}"
                         f"  max {ordered[-1] * 1000:7.1f}")
        return lines

    report.start = start  # type: ignore[attr-defined]
    return report


# --- the bot's process ----------------------------------------------------------------------------

async def main(args: argparse.Namespace) -> int:
    workdir = tempfile.mkdtemp(prefix="lianxin-outbox-")
    url = f"sqlite+aiosqlite:///{workdir}/bench.db"
    upgrade(url)
    engine = sync_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO outboxmessage (key, chat_id, kind, text, status, attempts, created_at)"
                 " VALUES (:key, :chat_id, 'reminder', :text, 'pending', 0, '2026-11-14 01:00:00')"),
            [{"key": f"bench:{i}", "chat_id": FIRST_CHAT + i, "text": f"提醒 <b>{i}</b>：本季度还没有登记联系活动。"}
             for i in range(args.messages)],
        )
    engine.dispose()

    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.outbox_standin", "--messages", str(args.messages), "--typists", str(args.typists),
        "--timeout", str(args.timeout), "--first-chat", str(FIRST_CHAT), stdout=subprocess.PIPE, cwd=str(ROOT),
    )
    port = json.loads(await server.stdout.readline())["port"]
    base = f"http://127.0.0.1:{port}"
    settings = Settings(_env_file=None, bot_token=BENCH_TOKEN, bot_api_base_url=f"{base}/bot",  # type: ignore[call-arg]
                        bot_api_file_url=f"{base}/file/bot", database_url=url, persistence_interval_seconds=60)
    reporter = install_trace() if args.trace else None
    application = build_application(settings, rate_limit=True)
    await application.initialize()
    await application.post_init(application)
    await application.updater.start_polling(poll_interval=0, timeout=1)
    await application.start()
    if reporter is not None:
        reporter.start()  # type: ignore[attr-defined]

    memory: list[float] = []
    cpu_before = os.times()
    result_line = asyncio.create_task(server.stdout.readline())
    while not result_line.done():
        await asyncio.wait({result_line}, timeout=1.0)
        memory.append(memory_mb("VmRSS"))
    result = json.loads(result_line.result())
    cpu_after = os.times()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    await application.post_shutdown(application)
    await server.wait()
    shutil.rmtree(workdir, ignore_errors=True)

    count, elapsed, latencies = result["delivered"], result["elapsed"], sorted(result["latencies"])
    print(f"messages: {count:,}/{args.messages:,} in {elapsed:.0f} s → {count / elapsed:.1f} msg/s sustained")
    print(f"429 responses: {result['rate_limited']}")
    if latencies:
        print(f"/help replies ({args.typists} people): {len(latencies)}, p50 {statistics.median(latencies) * 1000:.0f} ms,"
              f" p95 {percentile(latencies, 95) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
    if memory:
        marks = ", ".join(f"{int(share * 100)}% {memory[int(share * (len(memory) - 1))]:.0f}"
                          for share in (0.1, 0.25, 0.5, 0.75, 1.0))
        print(f"bot RSS (MB, {len(memory)} samples): {marks}; peak {max(memory):.0f}")
    if count:
        print(f"bot CPU: {cpu:.1f} s, {cpu / count * 1000:.2f} ms per message (replies included)")
    if reporter is not None:
        print("timings in the bot's process:")
        print("\n".join(reporter()))
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if count == args.messages and not result["rate_limited"] else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--typists", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--trace", action="store_true", help="time the limiter, the pacer, the sends and the marks")
    raise SystemExit(asyncio.run(main(parser.parse_args())))
