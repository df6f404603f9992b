#!/usr/bin/env python3
"""Benchmark the path from a resident pressing 确认提交 to the member's card arriving.

The fake Bot API server runs in this process; the bot runs in a child process (as
`bench.bench_hot_path` does), from this checkout or another (`--bot-root`, given more than once:
each round runs every checkout in turn, so the figures compare under the same load). Every active
member of the sample roster is bound; N residents fill the request form up to its confirm card
(not measured), then all press 确认提交 at once. Measured per case: from the press to the routed
member's card reaching the fake server. Reported: p50, p95 and max over the N cases, per checkout and
round, and the medians over the rounds. Run by hand, not a test:

    .venv/bin/python -m bench.bench_case_path                                      # this checkout
    .venv/bin/python -m bench.bench_case_path --bot-root . --bot-root /tmp/before --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, update

from bench.common import BENCH_TOKEN, LIANXIN_BOT, ROOT, ChildBot, machine, percentile
from bot.db import sync_engine, upgrade
from bot.services.roster import import_roster
from models import Member, utcnow
from tests.conftest import sample_roster
from tests.support.case_flows import file_request
from tests.support.fake_telegram import FakeTelegram, FakeUser

MEMBER_IDS = 820_000
CARD = "您有一件新的诉求件"
NUMBER = re.compile(r"\d{4}-\d{6}")


def prepare_database(url: str) -> list[int]:
    """Migrate, import the sample roster and bind every active member; their Telegram ids."""
    upgrade(url)
    engine = sync_engine(url)
    with engine.begin() as connection:
        report = import_roster(connection, sample_roster())
        assert report.ok, report.errors
        members = connection.execute(select(Member.id).where(Member.active.is_(True)).order_by(Member.id)).scalars()
        ids = []
        for n, member_id in enumerate(members.all()):
            ids.append(MEMBER_IDS + n)
            connection.execute(update(Member).where(Member.id == member_id).values(telegram_id=ids[-1], bound_at=utcnow()))
    engine.dispose()
    return ids


def card_times(members: list[FakeUser]) -> dict[str, float]:
    """Case number → when its card reached the fake server (the first, should there be more)."""
    arrived: dict[str, float] = {}
    for member in members:
        for event in member.log:
            text = event.message.content if event.kind == "message" else ""
            if CARD in text:
                arrived.setdefault(NUMBER.search(text).group(), event.timestamp)
    return arrived


async def one_round(fake: FakeTelegram, root: Path, env: dict[str, str], work: Path, residents: int,
                    round_no: int) -> list[float]:
    url = f"sqlite+aiosqlite:///{work / f'bot-{len(os.listdir(work))}.db'}"
    member_ids = prepare_database(url)
    members = [fake.user(telegram_id, first_name=f"委员{n}") for n, telegram_id in enumerate(member_ids)]
    env = {**env, "DATABASE_URL": url, "LIANXIN_ROOT": str(root), "PYTHONPATH": str(root)}
    bot = ChildBot("lianxin", LIANXIN_BOT, env, work / f"bot-{len(os.listdir(work))}.log")
    try:
        people = [fake.user(700_000 + round_no * 1000 + n, first_name=f"居民{n}") for n in range(residents)]
        cards = await asyncio.gather(*(file_request(person, photos=0) for person in people))
        pressed: dict[int, float] = {}

        async def submit(person: FakeUser, card) -> str:
            pressed[person.id] = time.time()
            await person.press("确认提交", message=card)
            reply = await person.expect_message(timeout=60)
            return NUMBER.search(reply.text).group()

        replies = await asyncio.gather(*(submit(person, card) for person, card in zip(people, cards, strict=True)))
        numbers = {number: pressed[person.id] for person, number in zip(people, replies, strict=True)}
        await fake.wait_until(lambda: len(card_times(members)) >= residents, timeout=60,
                              message="not every card arrived")
    finally:
        await bot.stop()
    arrived = card_times(members)
    for member in members:
        member.log.clear()
    return [arrived[number] - at for number, at in numbers.items()]


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=20, help="residents pressing 确认提交 at once (default 20)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--bot-root", type=Path, action="append",
                        help="a checkout to run the bot from (again for another one); default this one")
    args = parser.parse_args()
    roots = [root.resolve() for root in (args.bot_root or [ROOT])]
    work = Path(tempfile.mkdtemp(prefix="lianxin-bench-case-"))
    fake = FakeTelegram(token=BENCH_TOKEN, bot_username="bench_bot")
    await fake.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_", "DATABASE_URL", "ADMIN_IDS"))}
    env.update(BOT_TOKEN=BENCH_TOKEN, BOT_API_BASE_URL=fake.base_url, BOT_API_FILE_URL=fake.base_file_url,
               LOG_LEVEL="WARNING", REMINDER_RULES="")
    results: dict[Path, list[list[float]]] = {root: [] for root in roots}
    try:
        for round_no in range(args.rounds):
            for root in roots:
                results[root].append(await one_round(fake, root, env, work, args.residents, round_no))
    finally:
        await fake.stop()

    print(f"{machine()}; {args.residents} residents press 确认提交 at once; SQLite; rate limiter on")
    print(f"{'checkout':<28}{'round':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for root, rounds in results.items():
        for number, latencies in enumerate(rounds, 1):
            ms = [1000 * x for x in latencies]
            print(f"{str(root)[-28:]:<28}{number:>6}{percentile(ms, 50):>9.0f}{percentile(ms, 95):>9.0f}{max(ms):>9.0f}")
    print("medians over the rounds:")
    for root, rounds in results.items():
        p50 = statistics.median(percentile([1000 * x for x in r], 50) for r in rounds)
        p95 = statistics.median(percentile([1000 * x for x in r], 95) for r in rounds)
        print(f"{str(root)[-28:]:<28}{'':>6}{p50:>9.0f}{p95:>9.0f}")
    print(f"(logs in {work})")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
