#!/usr/bin/env python3
"""Benchmark a rush at the door: many residents check in at one reception day within a minute while
others use the bot.

The bot (`LIANXIN_BOT`: the real Application with its inbox, rate limiter off) runs in a child process
against the fake Bot API in this one, on SQLite in a temporary folder (the sample roster, one station,
one reception day under way with its check-in token), or on PostgreSQL with `--database-url`. Two
phases in one run:

  quiet   `--typists` residents send /help, each once every `--help-interval` s, for `--quiet` s;
  burst   the same, while `--checkins` residents who never used the bot send `/start c_<token>` at
          seeded random moments within `--window` s (and `--rescans` of them scan a second time).

Reported: the check-ins the database holds for the day (must be exactly `--checkins`, one per
resident: duplicates 0), the answers (签到成功 once each, 您已签到 for each second scan), the check-in
answer's latency, and /help p50 / p95 in the burst against the quiet phase (the reference, same run)
as a ratio. Targets (the issue's): every check-in counted once; /help p95 < 1 s during the burst.
Linux only (/proc). Run by hand, not a test:

    .venv/bin/python -m bench.bench_checkin_burst                       # 500 check-ins in 60 s
    .venv/bin/python -m bench.bench_checkin_burst --checkins 100 --window 20 --quiet 10   # quicker
    .venv/bin/python -m bench.bench_checkin_burst --database-url postgresql+psycopg://u:p@host/db
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from bench.common import BENCH_TOKEN, LIANXIN_BOT, ROOT, ChildBot, fresh_database, machine, percentile
from bot.db import sync_engine, upgrade
from bot.services.checkin import checkin_payload, hash_token
from bot.services.roster import import_roster
from models import InboxUpdate, Member, Reception, ReceptionCheckin, ReceptionStatus, Resident, Station, utcnow
from tests.conftest import sample_roster
from tests.support.fake_telegram import FakeTelegram

TYPIST_IDS = 700_000  # the /help senders' Telegram ids from here
SCANNER_IDS = 710_000  # the residents at the door


def prepare(url: str) -> tuple[int, str]:
    """Migrate, import the sample roster, one station and one reception day under way; (its id, token)."""
    upgrade(url)
    engine = sync_engine(url)
    now = utcnow()
    token = secrets.token_urlsafe(16)
    with engine.begin() as connection:
        report = import_roster(connection, sample_roster())
        assert report.ok, report.errors
        member = connection.execute(select(Member.id).where(Member.active.is_(True)).order_by(Member.id)).first()[0]
        station = connection.execute(insert(Station.__table__).values(
            code="BENCH1", name="测试委员工作站", kind="workstation", active=True, created_at=now, updated_at=now,
        ).returning(Station.__table__.c.id)).scalar_one()
        reception = connection.execute(insert(Reception.__table__).values(
            station_id=station, member_id=member, starts_at=now - timedelta(minutes=10),
            ends_at=now + timedelta(hours=3), topic="接待日压力测试", status=ReceptionStatus.scheduled.value,
            created_by=1, checkin_token_hash=hash_token(token), created_at=now, updated_at=now,
        ).returning(Reception.__table__.c.id)).scalar_one()
    engine.dispose()
    return reception, token


async def typist(user, until: float, interval: float, latencies: list[float]) -> None:
    """/help, answered, once every `interval` seconds (start to start) until `until`."""
    while time.perf_counter() < until:
        started = time.perf_counter()
        await user.send("/help")
        reply = await user.expect_message(timeout=60)
        latencies.append((time.perf_counter() - started) * 1000)
        assert "/" in (reply.text or ""), reply.text
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - started)))


async def scanner(user, link: str, at: float, again_at: float | None, result: dict[str, list]) -> None:
    """Scan the link at `at` (perf_counter), wait for the answer (and the welcome a first use brings);
    with `again_at`, scan again then."""
    await asyncio.sleep(max(0.0, at - time.perf_counter()))
    result["sent"].append(time.perf_counter())
    started = time.perf_counter()
    await user.send(link)
    answer = await user.expect_message(timeout=120)
    result["latency"].append((time.perf_counter() - started) * 1000)
    result["answers"].append(answer.text or "")
    result["welcome"].append((await user.expect_message(timeout=120)).text or "")
    if again_at is not None:
        await asyncio.sleep(max(0.0, again_at - time.perf_counter()))
        result["sent"].append(time.perf_counter())
        await user.send(link)
        result["again"].append((await user.expect_message(timeout=120)).text or "")


def counted(url: str, reception_id: int) -> dict[str, object]:
    engine = sync_engine(url)
    with engine.connect() as connection:
        rows, distinct = connection.execute(
            select(func.count(), func.count(func.distinct(ReceptionCheckin.resident_id)))
            .where(ReceptionCheckin.reception_id == reception_id)).one()
        residents = connection.execute(select(func.count()).select_from(Resident)
                                       .where(Resident.telegram_id >= SCANNER_IDS)).scalar_one()
        flagged = connection.execute(select(Reception.burst_flagged_at).where(Reception.id == reception_id)).scalar()
        updates, done = connection.execute(select(func.count(), func.count(InboxUpdate.done_at))).one()
    engine.dispose()
    return {"rows": rows, "distinct": distinct, "residents": residents, "flagged": flagged is not None,
            "updates": updates, "done": done}


def line(name: str, values: list[float]) -> str:
    return (f"{name:<34}{len(values):>6}{percentile(values, 50):>9.0f}{percentile(values, 95):>9.0f}"
            f"{max(values):>9.0f}")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--checkins", type=int, default=500, help="distinct residents at the door (default 500)")
    parser.add_argument("--window", type=float, default=60.0, help="seconds they arrive within (default 60)")
    parser.add_argument("--rescans", type=int, default=50, help="of them, scanning a second time (default 50)")
    parser.add_argument("--typists", type=int, default=5, help="residents sending /help meanwhile (default 5)")
    parser.add_argument("--help-interval", type=float, default=1.0, help="seconds between a typist's /help")
    parser.add_argument("--quiet", type=float, default=30.0, help="seconds of /help alone first (the reference)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--database-url", help="PostgreSQL (a schema of its own is made and dropped); "
                                               "default: SQLite in a temporary folder")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="lianxin-burst-"))
    url, drop = fresh_database(args.database_url or f"sqlite+aiosqlite:///{work / 'lianxin.db'}")
    try:
        return await burst(args, work, url)
    finally:
        drop()


async def burst(args: argparse.Namespace, work: Path, url: str) -> int:
    reception_id, token = prepare(url)
    link = "/start " + checkin_payload(token)
    fake = FakeTelegram(token=BENCH_TOKEN, bot_username="bench_bot")
    await fake.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_", "DATABASE_URL", "ADMIN_IDS"))}
    env.update(BOT_TOKEN=BENCH_TOKEN, BOT_API_BASE_URL=fake.base_url, BOT_API_FILE_URL=fake.base_file_url,
               DATABASE_URL=url, LOG_LEVEL="ERROR", LIANXIN_ROOT=str(ROOT), REMINDER_RULES="",
               PYTHONPATH=str(ROOT))
    rng = random.Random(args.seed)
    quiet_help: list[float] = []
    burst_help: list[float] = []
    result: dict[str, list] = {"sent": [], "latency": [], "answers": [], "welcome": [], "again": []}
    bot = ChildBot("lianxin", LIANXIN_BOT, env, work / "lianxin.log")
    try:
        typists = [fake.user(TYPIST_IDS + n, first_name=f"打字{n}") for n in range(args.typists)]
        for user in typists:  # warm-up: each once (connections, first-call imports)
            await user.send("/help")
            await user.expect_message(timeout=60)
        cpu0 = bot.cpu()
        until = time.perf_counter() + args.quiet
        await asyncio.gather(*(typist(u, until, args.help_interval, quiet_help) for u in typists))
        quiet_cpu = bot.cpu() - cpu0

        scanners = [fake.user(SCANNER_IDS + n, first_name=f"居民{n}") for n in range(args.checkins)]
        start = time.perf_counter() + 0.5
        moments = sorted(start + rng.uniform(0, args.window) for _ in scanners)
        twice = set(rng.sample(range(args.checkins), min(args.rescans, args.checkins)))
        agains = {i: rng.uniform(moments[i], start + args.window) for i in twice}
        cpu0, wall0 = bot.cpu(), time.perf_counter()
        scans = asyncio.gather(*(scanner(u, link, moments[i], agains.get(i), result) for i, u in enumerate(scanners)))
        typing = asyncio.gather(*(typist(u, start + args.window, args.help_interval, burst_help) for u in typists))
        await asyncio.gather(scans, typing)
        burst_cpu, burst_wall = bot.cpu() - cpu0, time.perf_counter() - wall0
    finally:
        await bot.stop()
        await fake.stop()

    db = counted(url, reception_id)
    ok_answers = sum("签到成功" in a for a in result["answers"])
    already = sum("您已签到" in a for a in result["again"])
    spread = max(result["sent"]) - min(result["sent"])
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{machine()}; load {os.getloadavg()[0]:.1f}; {database}; rate limiter off; bot code from {ROOT}")
    print(f"{args.checkins} residents scanning within {args.window:.0f} s (sent over {spread:.1f} s), "
          f"{len(twice)} of them twice; {args.typists} typists, /help every {args.help_interval:g} s; "
          f"quiet phase {args.quiet:.0f} s")
    print(f"check-ins in the database: {db['rows']} rows, {db['distinct']} distinct residents "
          f"(duplicates {db['rows'] - db['distinct']}); residents created {db['residents']}; "
          f"day flagged as a burst: {db['flagged']}; inbox {db['updates']} updates, {db['done']} done")
    print(f"answers: 签到成功 {ok_answers}/{args.checkins}, 您已签到 {already}/{len(twice)}; "
          f"welcome for first use {sum('欢迎' in w for w in result['welcome'])}")
    print(f"{'':<34}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    print(line("/help, quiet (reference)", quiet_help))
    print(line("/help, during the check-ins", burst_help))
    print(line("check-in answered (first scan)", result["latency"]))
    q50, q95 = percentile(quiet_help, 50), percentile(quiet_help, 95)
    b50, b95 = percentile(burst_help, 50), percentile(burst_help, 95)
    print(f"/help during / quiet: p50 {b50 / q50:.2f}×, p95 {b95 / q95:.2f}×")
    print(f"bot CPU: quiet {quiet_cpu:.1f} s in {args.quiet:.0f} s; burst {burst_cpu:.1f} s in {burst_wall:.0f} s "
          f"({1000 * burst_cpu / (args.checkins + len(twice) + len(burst_help)):.1f} ms per update)")
    exact = (db["rows"] == db["distinct"] == args.checkins and ok_answers == args.checkins
             and already == len(twice))
    fast = b95 < 1000
    print(f"every check-in counted once: {'PASS' if exact else 'FAIL'}; /help p95 < 1 s during the burst: "
          f"{'PASS' if fast else 'FAIL'}")
    print(f"(logs in {work})")
    return 0 if exact and fast else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
