#!/usr/bin/env python3
"""Benchmark the plausibility rules (存疑活动 under /queue and in the quarterly report) over generated
members and years of activities.

Members and activities are bench/data.py's (a province of 12 cities; activities over the last years, loaded
in bulk, the tally backfilled); then, with Core, about 1 in 500 activities gets 人次 above the limit, 1 in
300 a summary its member used before, every 400th member-day gets four more activities, and 1 in 50 is
made a reception day's (at 500 stations; some with many walk-ins typed, some with a check-in burst).

Timed, as the bot calls them on an async session (p50 and max wall ms, and the CPU ms of this process
and the PostgreSQL backend at the median): `find_flags` over /queue's two quarters for an admin and a
city's coordinator, and over one quarter (the report's sheet); against a reference measured in the same
run on the same data: /queue's first page (`queue.case_queue`: count + page over `--cases` cases, as
`bench_queue.py` times it), and the quarterly report's activities-and-人次-by-kind statement for the same
quarter and scope (`report.quarter_stats`'s by_kind, one covering-index range).

    .venv/bin/python -m bench.bench_plausibility       # 20,000 members, 500,000 activities, 100,000 cases, SQLite
    .venv/bin/python -m bench.bench_plausibility --members 200000 --activities 3000000
    .venv/bin/python -m bench.bench_plausibility --database-url postgresql+psycopg://u:p@host/db   # a throwaway schema
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from sqlalchemy import bindparam, func, text
from sqlalchemy import select as sa_select

from bench.common import fresh_database, timed
from bench.data import generate_members_and_activities
from bot.db import Database
from bot.services.lifecycle import Actor
from bot.services.plausibility import find_flags, queue_quarters
from bot.services.queue import case_queue
from bot.services.rules import Quarter
from bot.services.scopes import Scope, member_in_scopes
from models import Activity, Case, Member, Reception, Region, ScopeKind, Station

TODAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 10, tzinfo=UTC)


def seed_cases(engine, count: int, rng: random.Random) -> None:
    """`count` cases over every state, filed over the last 60 days, in the cities, handled by the members."""
    states = ["unassigned"] * 2 + ["routed"] * 3 + ["accepted"] * 3 + ["resolved", "reopened"] + ["confirmed"] * 4
    with engine.begin() as connection:
        members = [r[0] for r in connection.execute(sa_select(Member.id)).all()]
        regions = [r[0] for r in connection.execute(sa_select(Region.id).where(Region.depth == 2)).all()]
        rows = []
        for n in range(1, count + 1):
            status = rng.choice(states)
            created = NOW - timedelta(minutes=rng.randrange(60 * 24 * 60))
            rows.append({"number": f"2026-{n:06d}", "year": 2026, "seq": n, "category": "教育",
                         "region_id": rng.choice(regions), "place_text": "", "description": "生成的诉求件",
                         "phone_consent": False, "status": status,
                         "member_id": None if status == "unassigned" else rng.choice(members),
                         "via_member_link": False, "created_at": created, "updated_at": created, "reopen_count": 0})
            if len(rows) >= 20_000:
                connection.execute(Case.__table__.insert(), rows)
                rows = []
        if rows:
            connection.execute(Case.__table__.insert(), rows)


def plant(engine, rng: random.Random) -> None:
    """Make some activities implausible: 人次 above 300, summaries used again, busy days."""
    with engine.begin() as connection:
        connection.execute(text("UPDATE activity SET people = 400 WHERE id % 500 = 0"))
        # one member's summaries: a key of their own per activity, and every 300th the key of the one before
        connection.execute(text(
            "UPDATE activity SET summary_key = CAST(CASE WHEN id % 300 = 0 THEN id - 1 ELSE id END AS VARCHAR(16))"))
        connection.execute(text(
            "UPDATE activity SET member_id = (SELECT a.member_id FROM activity a WHERE a.id = activity.id - 1)"
            " WHERE id % 300 = 0"))
        busy = connection.execute(text(
            "SELECT member_id, activity_date, year, quarter FROM activity WHERE id % 400 = 0 ORDER BY id")).all()
        rows = [{"member_id": m, "kind": "visit", "activity_date": d, "year": y, "quarter": q, "place": "某社区",
                 "people": 5, "summary": "走访", "points": 2.0, "created_at": "2026-01-01 00:00:00",
                 "updated_at": "2026-01-01 00:00:00"} for m, d, y, q in busy for _ in range(4)]
        if rows:
            connection.execute(text(
                "INSERT INTO activity (member_id, kind, activity_date, year, quarter, place, people, summary, points,"
                " created_at, updated_at) VALUES (:member_id, :kind, :activity_date, :year, :quarter, :place,"
                " :people, :summary, :points, :created_at, :updated_at)"), rows)
    # every 50th activity came from a reception day at one of 500 stations: check-ins for half its 人次, every
    # 7th of them with many walk-ins typed, every 40th with a check-in burst
    with engine.begin() as connection:
        connection.execute(Station.__table__.insert(), [{"code": f"S{n:04d}", "name": f"工作站{n}", "kind": "workstation",
                                                         "active": True, "created_at": NOW, "updated_at": NOW}
                                                        for n in range(500)])
        stations = [r[0] for r in connection.execute(sa_select(Station.id)).all()]
        held = connection.execute(sa_select(Activity.id, Activity.member_id, Activity.activity_date, Activity.people)
                                  .where(Activity.id % 50 == 1)).all()
        receptions = []
        for activity_id, member_id, day, _ in held:
            starts = datetime.combine(day, dtime(2), tzinfo=UTC)
            receptions.append({"station_id": rng.choice(stations), "member_id": member_id, "starts_at": starts,
                               "ends_at": starts + timedelta(hours=2), "topic": "接待", "status": "held",
                               "created_by": 1, "activity_id": activity_id, "created_at": NOW, "updated_at": NOW,
                               "burst_flagged_at": starts if activity_id % 40 == 1 else None})
        for start in range(0, len(receptions), 20_000):
            connection.execute(Reception.__table__.insert(), receptions[start:start + 20_000])
        links = [{"a": a, "r": r, "v": max(people // 2, 1) if a % 7 else 1, "p": people if a % 7 else 40}
                 for r, a, people in connection.execute(
                     sa_select(Reception.id, Reception.activity_id, Activity.people)
                     .join(Activity, Activity.id == Reception.activity_id)).all()]
        table = Activity.__table__
        connection.execute(table.update().where(table.c.id == bindparam("a"))
                           .values(reception_id=bindparam("r"), verified_people=bindparam("v"), people=bindparam("p")),
                           links)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM activity"))


async def by_kind(session, quarter: Quarter, scopes):
    counted = sa_select(Member.id).where(Member.active.is_(True))
    condition = member_in_scopes(scopes)
    if condition is not None:
        counted = counted.where(condition)
    return (await session.exec(
        sa_select(Activity.kind, func.count(), func.coalesce(func.sum(Activity.people), 0))
        .where(Activity.year == quarter.year, Activity.quarter == quarter.q, Activity.deleted_at.is_(None),
               Activity.member_id.in_(counted))
        .group_by(Activity.kind).order_by(Activity.kind)
    )).all()


async def first_page(session, actor: Actor):
    items, _ = await case_queue(session, actor=actor, now=NOW, offset=0, limit=5)
    return items


async def measure(url: str, runs: int) -> None:
    db = Database(url)
    quarters = queue_quarters(TODAY)
    scopes = {"admin": None, "city coordinator": [Scope(ScopeKind.region, "省/市1")]}
    actors = {"admin": Actor.admin(1), "city coordinator": Actor.coordinator(424242, scopes["city coordinator"])}
    print(f"{'what':52} {'p50 ms':>8} {'max ms':>8} {'cpu ms':>8}  rows")

    async def run(name: str, call) -> float:
        walls, cpus, rows = [], [], 0
        for _ in range(runs):
            async with db.session() as session:
                wall, cpu, result = await timed(session, call)
            walls.append(wall * 1000)
            cpus.append(cpu * 1000)
            rows = len(result)
        p50 = statistics.median(walls)
        print(f"{name:52} {p50:8.1f} {max(walls):8.1f} {statistics.median(cpus):8.1f}  {rows}", flush=True)
        return p50

    try:
        for who, scope in scopes.items():
            queue = await run(f"reference: /queue first page, {who}",
                              lambda s, actor=actors[who]: first_page(s, actor))
            reference = await run(f"reference: report by kind, 1 quarter, {who}",
                                  lambda s, scope=scope: by_kind(s, quarters[1], scope))
            one = await run(f"find_flags, 1 quarter (report sheet), {who}",
                            lambda s, scope=scope: find_flags(s, quarters=quarters[1:], scopes=scope))
            two = await run(f"find_flags, 2 quarters (/queue), {who}",
                            lambda s, scope=scope: find_flags(s, quarters=quarters, scopes=scope, open_only=True))
            print(f"  ratio to /queue's first page, {who}: 1 quarter {one / queue:.1f}×, 2 quarters {two / queue:.1f}×")
            print(f"  ratio to the report by kind, {who}: 1 quarter {one / reference:.1f}×, 2 quarters "
                  f"{two / reference:.1f}×")
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--activities", type=int, default=500_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as folder:
        url, drop = fresh_database(args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'flags.db'}")
        try:
            start = time.perf_counter()
            engine, _, _ = generate_members_and_activities(url, members=args.members, activities=args.activities,
                                                           years=args.years, rng=rng)
            seed_cases(engine, args.cases, rng)
            plant(engine, rng)
            engine.dispose()
            print(f"seeded {args.members:,} members, {args.activities:,} activities, {args.cases:,} cases in "
                  f"{time.perf_counter() - start:.1f} s; load {os.getloadavg()[0]:.1f}", flush=True)
            asyncio.run(measure(url, args.runs))
        finally:
            drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
