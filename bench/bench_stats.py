#!/usr/bin/env python3
"""Benchmark what /stats and /ranking read (`bot.services.stats`) on a generated data set.

Members and activities are generated as for `bench.bench_laggards` (bench/data.py; synthetic, seeded
random numbers, never real), plus `--cases` cases. Times, for a whole-province scope (admin) and one activity group:
`stats_summary` (the /stats message) for the quarter and the year, `breakdown` by activity group,
`duty_ranking` and `responsiveness` first pages. Run by hand; numbers go to bench/README.md.

    .venv/bin/python -m bench.bench_stats                                   # SQLite, 200,000 members, 5,000,000 activities
    .venv/bin/python -m bench.bench_stats --database-url postgresql+psycopg://lianxin:lianxin@127.0.0.1:5432/lianxin
    .venv/bin/python -m bench.bench_stats --members 20000 --activities 500000   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bench.common import fresh_database
from bench.data import CURRENT_YEAR, generate_members_and_activities, group_scope
from bot.db import Database
from bot.services.ranking import duty_ranking, responsiveness
from bot.services.reminders import DutyPolicy
from bot.services.rules import Period
from bot.services.stats import Dimension, breakdown, stats_summary

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(CURRENT_YEAR, 11, 20, 2, 0, tzinfo=UTC)


def seed_cases(engine, count: int, first_member: int, members: int, rng: random.Random) -> None:
    statuses = ["routed", "accepted", "resolved", "confirmed", "closed", "reopened", "unassigned"]
    rows = []
    for seq in range(1, count + 1):
        created = NOW - timedelta(hours=rng.randrange(1, 24 * 320))
        status = rng.choice(statuses)
        accepted = created + timedelta(hours=rng.randrange(1, 80)) if status not in ("routed", "unassigned") else None
        resolved = accepted + timedelta(hours=rng.randrange(1, 300)) if accepted and status != "accepted" else None
        rows.append({
            "number": f"{CURRENT_YEAR}-{seq:06d}", "year": CURRENT_YEAR, "seq": seq, "category": rng.choice(["教育", "医疗", "养老", "交通"]),
            "description": "synthetic", "status": status, "place_text": "",
            "member_id": None if status == "unassigned" else first_member + rng.randrange(members),
            "created_at": created, "updated_at": created, "accepted_at": accepted, "resolved_at": resolved,
            "rating": rng.choice([None, 3, 4, 5]) if status == "confirmed" else None,
        })
    with engine.begin() as connection:
        connection.execute(text(
            'INSERT INTO "case" (number, year, seq, category, description, status, place_text, member_id, created_at,'
            " updated_at, accepted_at, resolved_at, rating, phone_consent, via_member_link, reopen_count) VALUES"
            " (:number, :year, :seq, :category, :description, :status, :place_text, :member_id, :created_at,"
            " :updated_at, :accepted_at, :resolved_at, :rating, false, false, 0)"), rows)
        connection.execute(text("ANALYZE"))


async def time_all(url: str, runs: int) -> dict[str, list[float]]:
    policy = DutyPolicy(tz=TZ)
    group = await group_scope(url, "第3界别活动组")
    quarter, year = Period(CURRENT_YEAR, 4), Period(CURRENT_YEAR)
    calls = {
        "stats Q4 (admin)": lambda s: stats_summary(s, period=quarter, now=NOW, policy=policy),
        "stats year (admin)": lambda s: stats_summary(s, period=year, now=NOW, policy=policy),
        "stats Q4 (one group)": lambda s: stats_summary(s, period=quarter, now=NOW, policy=policy, scopes=group),
        "by group Q4 (admin)": lambda s: breakdown(s, period=quarter, dimension=Dimension.group),
        "by region Q4 (admin)": lambda s: breakdown(s, period=quarter, dimension=Dimension.region),
        "ranking year p1 (admin)": lambda s: duty_ranking(s, period=year),
        "responsiveness year p1 (admin)": lambda s: responsiveness(s, period=year, tz=TZ),
    }
    db = Database(url)
    times: dict[str, list[float]] = {name: [] for name in calls}
    try:
        for _ in range(runs):
            for name, call in calls.items():
                async with db.session() as session:
                    started = time.perf_counter()
                    await call(session)
                    times[name].append(time.perf_counter() - started)
    finally:
        await db.dispose()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--existing", action="store_true",
                        help="time the data already in --database-url (e.g. bench.bench_laggards --keep's file), generate nothing")
    args = parser.parse_args()
    if args.existing:
        for name, values in asyncio.run(time_all(args.database_url, args.runs)).items():
            print(f"  {name:32s} median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})"
                  f"; load average {os.getloadavg()[0]:.2f}")
        return 0

    workdir = tempfile.mkdtemp(prefix="lianxin-bench-")
    url, drop = fresh_database(args.database_url or f"sqlite:///{workdir}/bench.db")
    try:
        rng = random.Random(2026)
        started = time.perf_counter()
        engine, first, _years = generate_members_and_activities(url, members=args.members, activities=args.activities, years=args.years, rng=rng)
        seed_cases(engine, args.cases, first, args.members, rng)
        print(f"{engine.dialect.name}: {args.members:,} members, {args.activities:,} activities, {args.cases:,} cases"
              f" loaded in {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f}")
        for name, values in asyncio.run(time_all(url, args.runs)).items():
            print(f"  {name:32s} median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f})")
        engine.dispose()
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
