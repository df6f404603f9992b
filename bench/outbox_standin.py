"""The other side of `bench.bench_outbox`, in a process of its own: the Bot API stand-in
(`tests/support/fake_telegram.FakeTelegram` with `enforce_send_rate(30)`), the residents who type
/help once a second each while the push runs, and the clock that times their replies.

Started by `bench.bench_outbox` (`python -m bench.outbox_standin --messages N --typists N
--timeout S --first-chat ID`): prints {"port": …} once listening, then one JSON line of results
when the `--messages` bulk sends to chats from `--first-chat` on have arrived (or `--timeout` passed).
Kept apart so the bot's process, whose memory the bench samples, loads none of it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

from bench.common import BENCH_TOKEN
from tests.support.fake_telegram import FakeTelegram


async def serve(args: argparse.Namespace) -> int:
    """The stand-in server and the typists; prints its port, then one JSON line of results."""
    fake = FakeTelegram(token=BENCH_TOKEN, bot_username="bench_bot")
    await fake.start()
    fake.enforce_send_rate(30)
    for i in range(args.messages):
        fake.user(args.first_chat + i)
    typists = [fake.user(7_000 + i) for i in range(args.typists)]
    print(json.dumps({"port": fake.port}), flush=True)

    bulk = 0
    first_at = last_at = None
    seen = 0

    def count_new() -> None:  # calls are appended in order: look only at the new ones
        nonlocal bulk, seen
        calls = fake.calls
        for call in calls[seen:]:
            if call.method == "sendMessage" and int(call.params["chat_id"]) >= args.first_chat:
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, required=True, help="bulk sends to wait for")
    parser.add_argument("--typists", type=int, required=True, help="residents typing /help once a second")
    parser.add_argument("--timeout", type=float, required=True, help="give up after this many seconds")
    parser.add_argument("--first-chat", type=int, required=True, help="the bulk messages' chats are this id on")
    return asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
