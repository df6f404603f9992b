#!/usr/bin/env python3
"""Benchmark the laggard scan (`bot.services.reminders.laggards`) and the whole-province statistics
(`bot.services.report.quarter_stats`, scopes=None) on a generated data set.

200,000 members (16 activity groups × 4 levels × a few regions, made-up names) and
5,000,000 activities spread over `--years` years (the current year holds 1/years of them),
then the history grows `--grow`× (older years only) and the scan is timed again: the scan
reads only the current year, so it should barely grow. After each bulk load the tally is filled
with the backfill SQL of the migration that created it (as an upgrade of an existing database does). The data is synthetic (seeded
random numbers), never real. Run by hand; numbers go to bench/README.md.

    .venv/bin/python -m bench.bench_laggards                                   # SQLite in a temp dir
    .venv/bin/python -m bench.bench_laggards --database-url postgresql+psycopg://lianxin:lianxin@127.0.0.1:5432/lianxin
    .venv/bin/python -m bench.bench_laggards --members 20000 --activities 500000 # a quick look
    .venv/bin/python -m bench.bench_laggards --existing --database-url URL          # time data generated before
    .venv/bin/python -m bench.bench_laggards --keep /tmp/b.db --grow 0 --runs 1     # generate a SQLite file to reuse
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
from datetime import date
from zoneinfo import ZoneInfo

from bench.common import fresh_database, timed
from bench.data import CURRENT_YEAR, activity_rows, generate_members_and_activities, load_activities
from bot.db import Database
from bot.services.outreach import laggard_page
from bot.services.reminders import DutyPolicy, laggards
from bot.services.report import quarter_stats
from bot.services.rules import Quarter


async def time_scan(url: str, runs: int) -> dict[str, object]:
    """`runs` timings of the laggard scan and of the whole-province statistics, each in its own session."""
    policy = DutyPolicy(tz=ZoneInfo("Asia/Shanghai"))
    quarter, as_of = Quarter(CURRENT_YEAR, 4), date(CURRENT_YEAR, 11, 14)
    db = Database(url)
    out: dict[str, object] = {"scan": [], "scan_cpu": [], "stats": [], "stats_cpu": [], "page": [], "page_cpu": [],
                              "found": 0, "members": 0}
    try:
        for _ in range(runs):
            async with db.session() as session:
                wall, cpu, result = await timed(session, lambda s: laggards(s, quarter=quarter, as_of=as_of,
                                                                              policy=policy))
                out["scan"].append(wall), out["scan_cpu"].append(cpu)
                out["found"] = len(result)
            async with db.session() as session:
                wall, cpu, result = await timed(session, lambda s: quarter_stats(s, quarter=quarter, today=as_of,
                                                                                   policy=policy, scopes=None))
                out["stats"].append(wall), out["stats_cpu"].append(cpu)
                out["members"] = result.members
            async with db.session() as session:  # /laggards' first page, whole province
                wall, cpu, result = await timed(session, lambda s: laggard_page(s, today=as_of, policy=policy,
                                                                                  scopes=None, offset=0, limit=10))
                out["page"].append(wall), out["page_cpu"].append(cpu)
    finally:
        await db.dispose()
    return out


def report(label: str, times: list[float], cpu: list[float]) -> str:
    return (f"{label}: wall median {statistics.median(times):.3f} s, min {min(times):.3f}, max {max(times):.3f}"
            f" over {len(times)} runs; CPU median {statistics.median(cpu):.3f} s, min {min(cpu):.3f};"
            f" load average {os.getloadavg()[0]:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--years", type=int, default=4, help="years the activities are spread over, the last being 2026")
    parser.add_argument("--grow", type=int, default=4, help="then grow the history this many times (0: skip)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--existing", action="store_true",
                        help="time the data already in --database-url (generated before), generate nothing")
    parser.add_argument("--keep", metavar="FILE",
                        help="SQLite: generate into FILE and leave it there, to time it again with --existing")
    args = parser.parse_args()
    if args.existing:
        got = asyncio.run(time_scan(args.database_url, args.runs))
        print(report("laggard scan", got["scan"], got["scan_cpu"]) + f"; {got['found']:,} laggards")
        print(report("quarter_stats (whole province)", got["stats"], got["stats_cpu"]))
        print(report("/laggards first page (whole province)", got["page"], got["page_cpu"]))
        return 0

    workdir = tempfile.mkdtemp(prefix="lianxin-bench-")
    url, drop = fresh_database(args.database_url or f"sqlite:///{args.keep or workdir + '/bench.db'}")
    try:
        rng = random.Random(2026)
        started = time.perf_counter()
        engine, first, years = generate_members_and_activities(url, members=args.members, activities=args.activities, years=args.years, rng=rng)
        print(f"{engine.dialect.name}: {args.members:,} members, {args.activities:,} activities over {years[0]}–{years[-1]}"
              f" loaded in {time.perf_counter() - started:.0f} s")
        async_url = url
        got = asyncio.run(time_scan(async_url, args.runs))
        base, found = statistics.median(got["scan_cpu"]), got["found"]
        print("  " + report("laggard scan", got["scan"], got["scan_cpu"]) + f"; {found:,} laggards", flush=True)
        print("  " + report("quarter_stats (whole province)", got["stats"], got["stats_cpu"])
              + f"; {got['members']:,} active members", flush=True)
        if args.grow > 1:
            older = args.activities * (args.grow - 1)
            old_years = list(range(years[0] - args.years * (args.grow - 1), years[0]))
            started = time.perf_counter()
            load_activities(engine, activity_rows(older, old_years, first, args.members, rng))
            print(f"  history grown {args.grow}×: +{older:,} activities over {old_years[0]}–{old_years[-1]}"
                  f" in {time.perf_counter() - started:.0f} s")
            got = asyncio.run(time_scan(async_url, args.runs))
            grown, found_after = statistics.median(got["scan_cpu"]), got["found"]
            print("  " + report("laggard scan", got["scan"], got["scan_cpu"])
                  + f"; {found_after:,} laggards; growth (CPU medians) {grown / base:.2f}×", flush=True)
            print("  " + report("quarter_stats (whole province)", got["stats"], got["stats_cpu"]), flush=True)
            assert found_after == found, "older years must not change who lags this year"
        engine.dispose()
    finally:
        drop()
        if os.path.isdir(workdir):
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
