#!/usr/bin/env python3
"""Benchmark outbox delivery: N messages through a Bot API stand-in that enforces 30 messages/s.

Two processes. The stand-in (`tests/support/fake_telegram.FakeTelegram` with
`enforce_send_rate(30)`: a 31st send within any second is refused with 429, as Telegram
does) runs in a child process (`--serve`), together with the residents who type /help
once a second each and the clock that times their replies. This process runs only the
real Application (with `PriorityRateLimiter` and the real delivery job started by
post_init) and samples its own resident set size every second, so a flat RSS here is
the bot's, not the stand-in's growing record of calls.

Reported: sustained bulk rate, 429 count, /help latency p50/p95, the bot's RSS over the run and its
CPU time per message.

    python bench/bench_outbox.py                              # 20,000 messages (about 13 minutes)
    python bench/bench_outbox.py --messages 5000 --typists 3  # a shorter run (about 3 minutes)
    python bench/bench_outbox.py --messages 2000 --trace      # + waits and latencies inside the bot
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "1")

TOKEN = "123456:BENCH-TOKEN-abcdefghijklmnop"
FIRST_CHAT = 50_000_000


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(ordered: list[float], share: float) -> float:
    return ordered[int(share * (len(ordered) - 1))]


# --- the stand-in's process ----------------------------------------------------------------------

async def serve(args: argparse.Namespace) -> int:
    """The stand-in server and the typists; prints its port, then one JSON line of results."""
    from tests.support.fake_telegram import FakeTelegram

    fake = FakeTelegram(token=TOKEN, bot_username="bench_bot")
    await fake.start()
    fake.enforce_send_rate(30)
    for i in range(args.messages):
        fake.user(FIRST_CHAT + i)
    typists = [fake.user(7_000 + i) for i in range(args.typists)]
    print(json.dumps({"port": fake.port}), flush=True)

    bulk = 0
    first_at = last_at = None
    seen = 0

    def count_new() -> None:  # calls are appended in order: look only at the new ones
        nonlocal bulk, seen
        calls = fake.calls
        for call in calls[seen:]:
            if call.method == "sendMessage" and int(call.params["chat_id"]) >= FIRST_CHAT:
                bulk += 1
        seen = len(calls)

    latencies: list[float] = []
    done = asyncio.Event()

    async def type_help(user) -> None:
        while not done.is_set():
            sent_at = time.monotonic()
            await user.send("/help")
            try:  # woken by the stand-in on every call it answers, rather than polling
                await user.expect_message(timeout=30)
            except AssertionError:
                pass  # no answer in 30 s: counted as 30 s
            latencies.append(time.monotonic() - sent_at)
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - sent_at)))

    started = time.monotonic()
    typing: list[asyncio.Task] = []
    while bulk < args.messages and time.monotonic() - started < args.timeout:
        await asyncio.sleep(0.25)
        count_new()
        if bulk and first_at is None:
            first_at = time.monotonic()
            typing = [asyncio.create_task(type_help(u)) for u in typists]  # type while the push runs
        if bulk >= args.messages:
            last_at = time.monotonic()
    done.set()
    await asyncio.gather(*typing)
    elapsed = (last_at or time.monotonic()) - (first_at or started)
    print(json.dumps({"delivered": bulk, "elapsed": elapsed, "rate_limited": len(fake.rate_limited),
                      "latencies": latencies}), flush=True)
    await asyncio.sleep(1.0)  # let the bot's last calls get their answers before the port closes
    await fake.stop()
    return 0


# --- optional instrumentation of the bot's process (--trace) ----------------------------------------

def install_trace() -> Callable[[], list[str]]:
    """Wrap the limiter, the pacer, the sends and the outbox marks with timers; returns a reporter.

    Only this process's objects are wrapped (after import, before the Application is built):
    the code measured is the real one, each piece timed from outside.
    """
    import scheduler.delivery as delivery
    from bot import ratelimit
    from bot.services import outbox

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
    original_deliver = delivery.Delivery._deliver

    async def deliver(self, message):
        started = time.monotonic()
        try:
            return await original_deliver(self, message)
        finally:
            note("one message: pacer + send + mark + commit", time.monotonic() - started)

    delivery.Delivery._deliver = deliver  # type: ignore[method-assign]

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
                         f"  p50 {percentile(ordered, 0.5) * 1000:7.1f}  p95 {percentile(ordered, 0.95) * 1000:7.1f}"
                         f"  max {ordered[-1] * 1000:7.1f}")
        return lines

    report.start = start  # type: ignore[attr-defined]
    return report


# --- the bot's process ----------------------------------------------------------------------------

async def main(args: argparse.Namespace) -> int:
    from sqlalchemy import text

    from bot.app import build_application
    from bot.config import Settings
    from bot.db import sync_engine, upgrade

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
        sys.executable, __file__, "--serve", "--messages", str(args.messages), "--typists", str(args.typists),
        "--timeout", str(args.timeout), stdout=subprocess.PIPE, cwd=str(ROOT),
    )
    port = json.loads(await server.stdout.readline())["port"]
    base = f"http://127.0.0.1:{port}"
    settings = Settings(_env_file=None, bot_token=TOKEN, bot_api_base_url=f"{base}/bot",  # type: ignore[call-arg]
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
        memory.append(rss_mb())
    result = json.loads(result_line.result())
    cpu_after = os.times()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    await application.post_shutdown(application)
    await server.wait()

    count, elapsed, latencies = result["delivered"], result["elapsed"], sorted(result["latencies"])
    print(f"messages: {count:,}/{args.messages:,} in {elapsed:.0f} s → {count / elapsed:.1f} msg/s sustained")
    print(f"429 responses: {result['rate_limited']}")
    if latencies:
        print(f"/help replies ({args.typists} people): {len(latencies)}, p50 {statistics.median(latencies) * 1000:.0f} ms,"
              f" p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")
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
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    raise SystemExit(asyncio.run(serve(parsed) if parsed.serve else main(parsed)))
