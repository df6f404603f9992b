#!/usr/bin/env python3
"""Benchmark the staff's case queue (/queue) and `cases_for_staff` over a generated roster and case table.

The roster is bench_routing's (bench/data.py: the roster file generator's made-up names and districts,
imported with the real `import_roster`, most members bound). Cases are inserted with Core: spread over
every state, filed over the last 60 days, with regions from the roster's districts and handlers from the
roster; unassigned ones get their `escalate` row (a few name the timed coordinator).

Timed, as the bot calls them on an async session: the queue's first page (count + page) for an admin,
a group coordinator and a region coordinator; and `cases_for_staff` (unassigned, limit 50) for the
region coordinator, in one query now, against the per-case visibility loop it replaced.

    .venv/bin/python -m bench.bench_queue                          # 20,000 members, 100,000 cases, SQLite in a temp dir
    .venv/bin/python -m bench.bench_queue --members 200000 --cases 1000000
    .venv/bin/python -m bench.bench_queue --database-url postgresql+psycopg://u:p@host/db   # in a throwaway schema
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text
from sqlmodel import col, select

from bench.common import fresh_database
from bench.data import group_scope, prepare_routed_roster
from bot.db import Database, sync_engine
from bot.services.cases import cases_for_staff, visible_to
from bot.services.lifecycle import Actor
from bot.services.queue import case_queue
from bot.services.scopes import Scope
from models import ActivityGroup, Case, CaseEvent, CaseStatus, Member, Region, ScopeKind, utcnow

COORDINATOR = 424242
STATES = ["unassigned"] * 2 + ["routed"] * 3 + ["accepted"] * 3 + ["resolved", "reopened"] + ["confirmed"] * 4 + [
    "closed"] * 2


def seed_cases(url: str, count: int, seed: int) -> tuple[str, str]:
    """Insert `count` cases (and the escalate rows of unassigned ones); returns a group name and a city path."""
    rng = random.Random(seed)
    engine = sync_engine(url)
    now = utcnow()
    with engine.begin() as connection:
        members = [r[0] for r in connection.execute(select(Member.id).where(Member.active.is_(True))).all()]
        regions = [r[0] for r in connection.execute(select(Region.id).where(Region.depth == 3)).all()]
        group = connection.execute(select(ActivityGroup.name).order_by(ActivityGroup.id)).first()[0]
        city = connection.execute(select(Region.path).where(Region.depth == 2).order_by(Region.id)).first()[0]
        cases, events = [], []
        for n in range(1, count + 1):
            status = rng.choice(STATES)
            created = now - timedelta(minutes=rng.randrange(60 * 24 * 60))
            handler = None if status == "unassigned" else rng.choice(members)
            cases.append({"id": n, "number": f"2026-{n:06d}", "year": 2026, "seq": n, "category": "教育",
                          "region_id": rng.choice(regions) if rng.random() < 0.9 else None, "place_text": "",
                          "description": "生成的诉求件", "phone_consent": False, "status": status,
                          "member_id": handler, "via_member_link": False, "created_at": created,
                          "updated_at": created, "reopen_count": 0})
            if status == "unassigned":
                to = [COORDINATOR] if rng.random() < 0.1 else [COORDINATOR + 1]
                events.append({"case_id": n, "at": created, "actor_kind": "system", "action": "escalate",
                               "from_status": "new", "to_status": "unassigned",
                               "detail": {"fallback": "coordinators", "to": to}})
            if len(cases) >= 20_000:
                connection.execute(Case.__table__.insert(), cases)
                cases = []
        if cases:
            connection.execute(Case.__table__.insert(), cases)
        for start in range(0, len(events), 20_000):
            connection.execute(CaseEvent.__table__.insert(), events[start:start + 20_000])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text('VACUUM (ANALYZE) "case"'))
            connection.execute(text("ANALYZE caseevent"))
    engine.dispose()
    return group, city


async def old_cases_for_staff(session, actor: Actor, limit: int = 50) -> list[int]:
    """What cases_for_staff did before: every unassigned case loaded, visibility checked one by one."""
    found = []
    for case in (await session.exec(select(Case).where(col(Case.status).in_([CaseStatus.unassigned]))
                                    .order_by(Case.created_at, Case.id))).all():
        if await visible_to(session, case=case, actor=actor):
            found.append(case.id)
            if len(found) >= limit:
                break
    return found


async def measure(url: str, group: str, city: str, runs: int) -> None:
    scoped = await group_scope(url, group)
    db = Database(url)
    actors = {
        "admin": Actor.admin(1),
        "group coordinator": Actor.coordinator(COORDINATOR, scoped),
        "region coordinator": Actor.coordinator(COORDINATOR, [Scope(ScopeKind.region, city)]),
    }
    now = utcnow()
    print(f"{'what':44} {'p50 ms':>8} {'max ms':>8}  rows")
    try:
        for name, actor in actors.items():
            times, total = [], 0
            for _ in range(runs):
                async with db.session() as session:
                    start = time.perf_counter()
                    _, total = await case_queue(session, actor=actor, now=now, offset=0, limit=5)
                    times.append((time.perf_counter() - start) * 1000)
            print(f"{'/queue first page, ' + name:44} {statistics.median(times):8.1f} {max(times):8.1f}  {total}")
        actor = actors["region coordinator"]
        for label, call in (("cases_for_staff (one query)", lambda s: cases_for_staff(s, actor=actor)),
                            ("per-case loop it replaced", lambda s: old_cases_for_staff(s, actor))):
            times, rows = [], 0
            for _ in range(max(runs // 4, 3)):
                async with db.session() as session:
                    start = time.perf_counter()
                    rows = len(await call(session))
                    times.append((time.perf_counter() - start) * 1000)
            print(f"{label + ', region coordinator':44} {statistics.median(times):8.1f} {max(times):8.1f}  {rows}")
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url")
    parser.add_argument("--index", action="store_true", help="add an index on case (status, created_at) first")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        url, drop = fresh_database(args.database_url or f"sqlite+aiosqlite:///{workdir / 'queue.db'}")
        try:
            prepare_routed_roster(url, args.members, args.seed, workdir)
            start = time.perf_counter()
            group, city = seed_cases(url, args.cases, args.seed)
            if args.index:
                engine = sync_engine(url)
                with engine.begin() as connection:
                    connection.execute(text('CREATE INDEX ix_bench_case_status_created ON "case" (status, created_at)'))
                engine.dispose()
            print(f"seeded {args.cases:,} cases in {time.perf_counter() - start:.1f} s; load {os.getloadavg()[0]:.1f}")
            asyncio.run(measure(url, group, city, args.runs))
        finally:
            drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
