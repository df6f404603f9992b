#!/usr/bin/env python3
"""Benchmark the hot path side by side with a bare python-telegram-bot echo bot.

One fake Bot API server (tests/support/fake_telegram.py) runs in this process; each bot runs in a
child process of its own, polling it (one at a time: Telegram allows one poller per
token). 50 simulated users each send 20 messages, waiting for each answer, so at most
50 updates are in flight. Measured per phase:

  updates/s    1000 answered messages / wall time
  CPU ms/upd   the bot process's user+system CPU time (from /proc/<pid>/stat) / 1000

Phases: the echo bot answering text; this bot answering /help and /my from 50 bound
members (SQLite in a temp dir, the sample roster imported, 3 activities each, rate
limiter off: build_application(settings, rate_limit=False)). Targets: /help ≥ 0.5× and
/my ≥ 0.3× the echo bot's updates/s. Linux only (/proc). Run by hand, not a test:

    .venv/bin/python -m bench.bench_hot_path                 # all three phases
    .venv/bin/python -m bench.bench_hot_path --messages 10   # quicker
    .venv/bin/python -m bench.bench_hot_path --profile out.prof   # cProfile the bot process (slower)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import textwrap
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bench.common import BENCH_TOKEN, LIANXIN_BOT, ROOT, ChildBot
from bot.db import sync_engine, upgrade
from bot.services.roster import import_roster
from bot.services.rules import Quarter, local_today
from models import Activity, Member, utcnow
from tests.conftest import sample_roster
from tests.support.fake_telegram import FakeTelegram

USERS = 50

ECHO_BOT = textwrap.dedent(
    """
    import os, sys
    from telegram import Update
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    async def echo(update, context):
        await update.message.reply_text(update.message.text)

    app = (ApplicationBuilder().token(os.environ["BOT_TOKEN"]).base_url(os.environ["BOT_API_BASE_URL"])
           .base_file_url(os.environ["BOT_API_FILE_URL"]).build())
    app.add_handler(MessageHandler(filters.TEXT, echo))
    print("ready", flush=True)
    app.run_polling(poll_interval=0, timeout=10, allowed_updates=[Update.MESSAGE])
    """
)

def prepare_database(url: str) -> list[int]:
    """Migrate, import the sample roster, bind 50 members to Telegram ids, give each 3 activities."""
    upgrade(url)
    engine = sync_engine(url)
    ids = []
    with engine.begin() as connection:
        report = import_roster(connection, sample_roster())
        assert report.ok, report.errors
        members = connection.execute(select(Member.id).where(Member.active.is_(True)).order_by(Member.id).limit(USERS)).scalars().all()
        now = utcnow()
        today = local_today(now, ZoneInfo("Asia/Shanghai"))
        rows = []
        for n, member_id in enumerate(members):
            telegram_id = 810_000 + n
            ids.append(telegram_id)
            connection.execute(update(Member).where(Member.id == member_id).values(telegram_id=telegram_id, bound_at=now))
            for k in range(3):
                day = today - timedelta(days=k)
                quarter = Quarter.of(day)
                rows.append(dict(member_id=member_id, kind="visit", activity_date=day, year=quarter.year,
                                 quarter=quarter.q, place="社区", people=5 + k, summary="走访社区老人，了解需求",
                                 points=1.0, created_at=now, updated_at=now))
        connection.execute(Activity.__table__.insert(), rows)
    engine.dispose()
    return ids


async def phase(fake: FakeTelegram, bot: ChildBot, users: list, text: str, messages: int, expect: str) -> dict[str, float]:
    async def one(user) -> None:
        for n in range(messages):
            await user.send(text if text != "echo" else f"你好 {n}")
            reply = await user.expect_message(timeout=60)
            if expect and expect not in (reply.text or ""):
                raise AssertionError(f"{bot.name}: unexpected answer to {text}: {reply.text!r}")

    # warm-up: every user once (connections, caches, first-call imports)
    await asyncio.gather(*(one_warm(user, text) for user in users))
    cpu0, wall0 = bot.cpu(), time.perf_counter()
    await asyncio.gather(*(one(user) for user in users))
    wall, cpu = time.perf_counter() - wall0, bot.cpu() - cpu0
    total = messages * len(users)
    return {"updates_per_s": total / wall, "cpu_ms": 1000 * cpu / total, "wall_s": wall}


async def one_warm(user, text: str) -> None:
    await user.send(text if text != "echo" else "warm-up")
    await user.expect_message(timeout=60)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20, help="messages per user and phase (default 20)")
    parser.add_argument("--profile", help="write a cProfile of this bot's process to this file")
    parser.add_argument("--bot-root", type=Path, default=ROOT,
                        help="run the bot from another checkout (e.g. `git archive` of an older commit) for before/after")
    parser.add_argument("--rounds", type=int, default=1, help="repeat all phases; medians are reported")
    parser.add_argument("--only", choices=["/help", "/my"],
                        help="run the echo bot and this one phase (e.g. to profile one command)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lianxin-bench-"))
    url = f"sqlite+aiosqlite:///{work / 'lianxin.db'}"
    telegram_ids = prepare_database(url)
    fake = FakeTelegram(token=BENCH_TOKEN, bot_username="bench_bot")
    await fake.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_", "DATABASE_URL", "ADMIN_IDS"))}
    env.update(BOT_TOKEN=BENCH_TOKEN, BOT_API_BASE_URL=fake.base_url, BOT_API_FILE_URL=fake.base_file_url,
               DATABASE_URL=url, LOG_LEVEL="WARNING", LIANXIN_ROOT=str(args.bot_root.resolve()),
               # no quarterly reminders to the 50 members in the middle of a phase (they would be
               # taken for answers); older checkouts without reminders ignore it
               REMINDER_RULES="",
               PYTHONPATH=str(args.bot_root.resolve()))
    rounds: list[dict[str, dict[str, float]]] = []
    try:
        echo_users = [fake.user(900_000 + n, first_name=f"用户{n}") for n in range(USERS)]
        members = [fake.user(telegram_id, first_name=f"委员{n}") for n, telegram_id in enumerate(telegram_ids)]
        if args.profile:
            env["BENCH_PROFILE"] = str(Path(args.profile).resolve())
        for _ in range(args.rounds):
            result: dict[str, dict[str, float]] = {}
            echo = ChildBot("echo", ECHO_BOT, env, work / "echo.log")
            result["echo"] = await phase(fake, echo, echo_users, "echo", args.messages, "")
            await echo.stop()
            ours = ChildBot("lianxin", LIANXIN_BOT, env, work / "lianxin.log")
            if args.only in (None, "/help"):
                result["/help"] = await phase(fake, ours, members, "/help", args.messages, "使用说明")
            if args.only in (None, "/my"):
                result["/my"] = await phase(fake, ours, members, "/my", args.messages, "季度")
            await ours.stop()
            rounds.append(result)
    finally:
        await fake.stop()

    print(f"{USERS} users × {args.messages} messages each, waiting for every answer; rate limiter off; SQLite;"
          f" bot code from {args.bot_root}")
    print(f"{'round':<7}{'phase':<8}{'updates/s':>11}{'CPU ms/update':>15}{'× echo':>9}")
    for number, result in enumerate(rounds, 1):
        for name, values in result.items():
            ratio = values["updates_per_s"] / result["echo"]["updates_per_s"]
            print(f"{number:<7}{name:<8}{values['updates_per_s']:>11.0f}{values['cpu_ms']:>15.1f}{ratio:>9.2f}")
    targets = {"/help": 0.5, "/my": 0.3}
    failed = False
    print(f"median of {len(rounds)} round(s), ratio taken within each round (the echo bot ran just before):")
    for name in [name for name in ("echo", "/help", "/my") if name in rounds[0]]:
        rate = statistics.median(r[name]["updates_per_s"] for r in rounds)
        cpu = statistics.median(r[name]["cpu_ms"] for r in rounds)
        ratio = statistics.median(r[name]["updates_per_s"] / r["echo"]["updates_per_s"] for r in rounds)
        target = targets.get(name)
        verdict = "" if target is None else (f"target ≥ {target}×  " + ("PASS" if ratio >= target else "FAIL"))
        failed |= target is not None and ratio < target
        print(f"{'':<7}{name:<8}{rate:>11.0f}{cpu:>15.1f}{ratio:>9.2f}  {verdict}")
    print(f"(logs in {work})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
