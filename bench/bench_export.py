#!/usr/bin/env python3
"""Benchmark /export's file building (`bot.services.exports.write_export`) on a generated data set.

Members (the laggard bench's generator: 16 groups, made-up names) and activities in 2026, then the
admin's 委员名单 and 联系活动 (this year) exports and one activity group's, each in a child process
so its peak RSS is its own. The data is synthetic (seeded random numbers), never real. Run by hand;
numbers go to bench/README.md.

    .venv/bin/python -m bench.bench_export                                   # SQLite in a temp dir
    .venv/bin/python -m bench.bench_export --database-url postgresql+psycopg://lianxin:lianxin@127.0.0.1:5432/lianxin
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bench.common import ROOT, fresh_database, memory_mb
from bench.data import generate_members_and_activities, group_scope
from bot.services.exports import ExportPeriod, ExportRequest, ExportSection, resolve_period, write_export
from bot.texts import CASE_STATUS_NAMES, EXPORT, LEVEL_NAMES


def child(url: str, section: str, scope: str | None) -> None:
    """One export, timed; prints JSON (seconds, rows, bytes, peak RSS MB)."""
    names = {**EXPORT, "levels": LEVEL_NAMES, "bound": (EXPORT["bound"], EXPORT["unbound"]), "statuses": CASE_STATUS_NAMES}
    period = resolve_period(ExportPeriod.this_year, date(2026, 11, 28))
    scopes = None if scope is None else asyncio.run(group_scope(url, scope))
    request = ExportRequest(ExportSection[section], period, scopes, full_phones=scopes is None)
    started = time.perf_counter()
    path, rows = write_export(url, request, names=names, tz=ZoneInfo("Asia/Shanghai"), kind_names={})
    seconds = time.perf_counter() - started
    size = path.stat().st_size
    path.unlink()
    # VmHWM, not ru_maxrss: Linux carries the parent's peak over an exec into the child's ru_maxrss
    print(json.dumps({"seconds": seconds, "rows": rows, "bytes": size, "rss_mb": memory_mb("VmHWM")}))


def seed(url: str, members: int, activities: int) -> None:
    """Members and `activities` activities in 2026 (the laggard bench's generator, its own seed)."""
    started = time.perf_counter()
    engine, _first, _years = generate_members_and_activities(url, members=members, activities=activities, years=1,
                                                            rng=random.Random(11))
    with engine.connect() as connection:
        live = connection.execute(text("SELECT count(*) FROM activity WHERE deleted_at IS NULL")).scalar_one()
    engine.dispose()
    print(f"seeded {members:,} members, {activities:,} activities ({live:,} live) "
          f"in {time.perf_counter() - started:.0f} s; load {os.getloadavg()[0]:.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    parser.add_argument("--existing", action="store_true", help="time the exports on --database-url as it is")
    parser.add_argument("--child", nargs=3, metavar=("URL", "SECTION", "SCOPE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, section, scope = args.child
        child(url, section, None if scope == "-" else scope)
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    if args.existing:
        url, drop = args.database_url, (lambda: None)
    else:
        url, drop = fresh_database(args.database_url or f"sqlite:///{workdir / 'bench.db'}")
    try:
        if not args.existing:
            seed(url, args.members, args.activities)
        for section, scope in (("members", "-"), ("activities", "-"), ("activities", "第1界别活动组")):
            out = subprocess.run([sys.executable, "-m", "bench.bench_export", "--child", url, section, scope],
                                 check=True, capture_output=True, text=True, cwd=ROOT).stdout
            result = json.loads(out.strip().splitlines()[-1])
            print(f"{section:<10} {'all' if scope == '-' else scope:<8} {result['rows']:>9,} rows "
                  f"{result['seconds']:6.1f} s  {result['bytes'] / 1e6:6.1f} MB file  peak RSS {result['rss_mb']:.0f} MB"
                  f"  (load {os.getloadavg()[0]:.1f})")
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
