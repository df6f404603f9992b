#!/usr/bin/env python3
"""Benchmark the laggard scan (`bot.services.reminders.laggards`) and the whole-province statistics
(`bot.services.report.quarter_stats`, scopes=None) on a generated data set.

200,000 members (16 activity groups × 4 levels × a few regions, made-up names) and
5,000,000 activities spread over `--years` years (the current year holds 1/years of them),
then the history grows `--grow`× (older years only) and the scan is timed again: the scan
reads only the current year, so it should barely grow. After each bulk load the tally is filled
with the backfill SQL of the migration that created it (as an upgrade of an existing database does). The data is synthetic (seeded
random numbers), never real. Run by hand; numbers go to bench/README.md.

    python bench/bench_laggards.py                                   # SQLite in a temp dir
    python bench/bench_laggards.py --database-url postgresql+psycopg://lianxin:lianxin@127.0.0.1:5432/lianxin
    python bench/bench_laggards.py --members 20000 --activities 500000 # a quick look
    python bench/bench_laggards.py --existing --database-url URL          # time data generated before
    python bench/bench_laggards.py --keep /tmp/b.db --grow 0 --runs 1     # generate a SQLite file to reuse
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

CURRENT_YEAR = 2026
KINDS = [("visit", 2.0), ("inspection", 3.0), ("consultation", 3.0), ("other", 1.0)]


def prepare(url: str) -> tuple[str, callable]:
    """A fresh database: a SQLite file, or a PostgreSQL schema of its own (dropped afterwards)."""
    if url.startswith("sqlite"):
        return url, lambda: None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(url).set(drivername="postgresql+psycopg").update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return scoped.render_as_string(hide_password=False), drop


def seed_members(engine, members: int, rng: random.Random) -> int:
    with engine.begin() as connection:
        sector_ids = [r[0] for r in connection.execute(text("SELECT id FROM sector ORDER BY id"))]
        connection.execute(text("INSERT INTO activitygroup (name) VALUES " + ",".join(f"('第{i}界别活动组')" for i in range(1, 17))))
        group_ids = [r[0] for r in connection.execute(text("SELECT id FROM activitygroup ORDER BY id"))]
        connection.execute(text("INSERT INTO region (path, name, depth) VALUES ('省', '省', 1)"))
        root = connection.execute(text("SELECT id FROM region WHERE path = '省'")).scalar_one()
        connection.execute(text("INSERT INTO region (path, name, depth, parent_id) VALUES "
                                + ",".join(f"('省/市{i}', '市{i}', 2, {root})" for i in range(12))))
        region_ids = [r[0] for r in connection.execute(text("SELECT id FROM region WHERE depth = 2 ORDER BY id"))]
        rows = []
        for i in range(members):
            level = rng.choice(["province", "city", "city", "county"])
            rows.append({
                "number": f"B{i:07d}", "name": f"委员{i}", "level": level, "phone": None,
                "sector_id": rng.choice(sector_ids),
                "activity_group_id": rng.choice(group_ids) if rng.random() < 0.9 else None,
                "region_id": root if level == "province" else rng.choice(region_ids),
                "telegram_id": 10_000_000 + i if rng.random() < 0.8 else None,
                "active": rng.random() < 0.98, "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
            })
        connection.execute(text(
            "INSERT INTO member (number, name, level, phone, sector_id, activity_group_id, region_id, telegram_id,"
            " active, created_at, updated_at) VALUES (:number, :name, :level, :phone, :sector_id, :activity_group_id,"
            " :region_id, :telegram_id, :active, :created_at, :updated_at)"), rows)
        return connection.execute(text("SELECT min(id) FROM member")).scalar_one()


def activity_rows(count: int, years: list[int], first_member: int, members: int, rng: random.Random):
    for _ in range(count):
        year = rng.choice(years)
        day = date(year, 1, 1) + timedelta(days=rng.randrange(0 if year < CURRENT_YEAR else 0, 365 if year < CURRENT_YEAR else 318))
        kind, points = rng.choice(KINDS)
        yield (first_member + rng.randrange(members), kind, day.isoformat(), year, (day.month - 1) // 3 + 1,
               "某社区", rng.randint(1, 30), "走访", points, "2026-01-01 00:00:00", "2026-01-01 00:00:00",
               "2026-06-01 00:00:00" if rng.random() < 0.02 else None)


COLUMNS = ("member_id, kind, activity_date, year, quarter, place, people, summary, points, created_at, updated_at,"
           " deleted_at")


def backfill_sql() -> str:
    """The tally's backfill, exactly as its migration runs it."""
    import importlib.util

    (path,) = sorted((ROOT / "alembic" / "versions").glob("*_tally.py"))
    spec = importlib.util.spec_from_file_location("tally_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BACKFILL_SQL


def load_activities(engine, rows, batch: int = 200_000) -> None:
    dialect = engine.dialect.name
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if dialect == "postgresql":
            with cursor.copy(f"COPY activity ({COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            chunk = []
            sql = f"INSERT INTO activity ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
            for row in rows:
                chunk.append(row)
                if len(chunk) >= batch:
                    cursor.executemany(sql, chunk)
                    chunk = []
            if chunk:
                cursor.executemany(sql, chunk)
        raw.commit()
    finally:
        raw.close()
    started = time.perf_counter()
    with engine.begin() as connection:  # the bulk load went around the service layer: tally it as 0007 does
        connection.execute(text("DELETE FROM tally"))
        connection.execute(text(backfill_sql()))
    print(f"  tally backfilled in {time.perf_counter() - started:.0f} s", flush=True)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    if dialect == "postgresql":  # index-only scans need the visibility map: what autovacuum does in production
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM activity"))
            connection.execute(text("VACUUM tally"))


def _backend_cpu(pid: int | None) -> float:
    """CPU seconds a local PostgreSQL backend has used (from /proc); 0 when it cannot be read."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def group_scope(url: str, name: str) -> list:
    """A group coordinator's scope: group `name` on its committee with the most members (grants name one)."""
    from bot.db import Database
    from bot.services.access import group_committee_counts
    from bot.services.scopes import Scope
    from models import ScopeKind

    db = Database(url)
    try:
        async with db.session() as session:
            committees = (await group_committee_counts(session))[name]
    finally:
        await db.dispose()
    committee, _ = max(committees, key=lambda pair: pair[1])
    return [Scope(ScopeKind.group, name, committee)]


async def _timed(session, call) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process and of its PostgreSQL backend, the result).

    On a shared machine under load the wall time mostly measures the queue for a core; the CPU
    time is what the work costs, about what the wall time is on a quiet machine."""
    pid = None
    if session.bind.dialect.name == "postgresql":
        pid = (await session.exec(text("SELECT pg_backend_pid()"))).scalar_one()
    cpu, server = time.process_time(), _backend_cpu(pid)
    started = time.perf_counter()
    result = await call(session)
    wall = time.perf_counter() - started
    return wall, time.process_time() - cpu + _backend_cpu(pid) - server, result


async def time_scan(url: str, runs: int) -> dict[str, object]:
    """`runs` timings of the laggard scan and of the whole-province statistics, each in its own session."""
    from bot.db import Database
    from bot.services.outreach import laggard_page
    from bot.services.reminders import DutyPolicy, laggards
    from bot.services.report import quarter_stats
    from bot.services.rules import Quarter

    policy = DutyPolicy(tz=ZoneInfo("Asia/Shanghai"))
    quarter, as_of = Quarter(CURRENT_YEAR, 4), date(CURRENT_YEAR, 11, 14)
    db = Database(url)
    out: dict[str, object] = {"scan": [], "scan_cpu": [], "stats": [], "stats_cpu": [], "page": [], "page_cpu": [],
                              "found": 0, "members": 0}
    try:
        for _ in range(runs):
            async with db.session() as session:
                wall, cpu, result = await _timed(session, lambda s: laggards(s, quarter=quarter, as_of=as_of,
                                                                              policy=policy))
                out["scan"].append(wall), out["scan_cpu"].append(cpu)
                out["found"] = len(result)
            async with db.session() as session:
                wall, cpu, result = await _timed(session, lambda s: quarter_stats(s, quarter=quarter, today=as_of,
                                                                                   policy=policy, scopes=None))
                out["stats"].append(wall), out["stats_cpu"].append(cpu)
                out["members"] = result.members
            async with db.session() as session:  # /laggards' first page, whole province
                wall, cpu, result = await _timed(session, lambda s: laggard_page(s, today=as_of, policy=policy,
                                                                                  scopes=None, offset=0, limit=10))
                out["page"].append(wall), out["page_cpu"].append(cpu)
    finally:
        await db.dispose()
    return out


def generate(url: str, *, members: int, activities: int, years: int, rng: random.Random):
    """Upgrade the schema at `url`, then generate the members and this many activities over the last
    `years` years: (engine, first member id, the years). bench_stats.py generates the same way."""
    from bot.db import sync_engine, upgrade

    upgrade(url)
    engine = sync_engine(url)
    first = seed_members(engine, members, rng)
    span = list(range(CURRENT_YEAR - years + 1, CURRENT_YEAR + 1))
    load_activities(engine, activity_rows(activities, span, first, members, rng))
    return engine, first, span


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
    url, drop = prepare(args.database_url or f"sqlite:///{args.keep or workdir + '/bench.db'}")
    try:
        rng = random.Random(2026)
        started = time.perf_counter()
        engine, first, years = generate(url, members=args.members, activities=args.activities, years=args.years, rng=rng)
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
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
