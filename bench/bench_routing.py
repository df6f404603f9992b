#!/usr/bin/env python3
"""Benchmark the routing decision: `propose()` over a generated roster of 200,000 members.

The roster comes from bench_roster_import.py's generator (made-up names, 336 made-up
districts in 6 provinces, the 34 sectors) and is imported with the real `import_roster`.
Then most members are bound (telegram_id set directly), a few deactivated, and the load
columns the engine orders by are spread out (0–3 open cases, varied last-assignment times).

Each timed call is one `propose()` on an async session, as the bot makes it: a random
category of the default routing table, a random region (district 70 %, city 15 %,
province 10 %, none 5 %), 0–2 excluded members, limit 1 (the routing decision) — plus a
second series with limit 5 (the list staff and 转交 pick from). The target is p95 < 5 ms.

    python bench/bench_routing.py                                # 200,000 members, SQLite in a temp dir
    python bench/bench_routing.py --members 20000 --calls 500
    python bench/bench_routing.py --database-url postgresql+psycopg://u:p@host/db   # in a throwaway schema
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_roster_import import write_csv  # noqa: E402
from sqlalchemy import BigInteger, case, cast, create_engine, text, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import select  # noqa: E402

from bot.db import Database, sync_engine, upgrade  # noqa: E402
from bot.services.roster import import_roster  # noqa: E402
from bot.services.routing import _propose_sql, _statement, load_routing_table, propose  # noqa: E402
from models import Member, Region  # noqa: E402

TARGET_MS = 5.0


def prepare(url: str, members: int, seed: int, workdir: Path) -> None:
    start = time.perf_counter()
    roster = workdir / f"roster_{members}.csv"
    write_csv(roster, members, seed)
    upgrade(url)
    engine = sync_engine(url)
    with engine.begin() as connection:
        report = import_roster(connection, roster)
    if not report.ok:
        raise SystemExit(f"import failed: {report.errors[:3]}")
    with engine.begin() as connection:
        # one UPDATE: 85 % bound, 2 % inactive, load spread deterministically
        connection.execute(
            update(Member).values(
                telegram_id=case((Member.id % 20 > 2, Member.id + 10_000_000), else_=None),
                active=Member.id % 50 != 7,
                open_cases=Member.id % 4,
                case_assigned_us=cast((Member.id * 7919) % 1_000_003, BigInteger) * 1_000_000,
            )
        )
    if engine.dialect.name == "postgresql":
        # what autovacuum does soon after a big import: statistics, and the visibility map that
        # lets index-only scans skip the table (without it every lookup visits the heap)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE) member"))
            connection.execute(text("ANALYZE region"))
    engine.dispose()
    print(f"prepared {members:,} members in {time.perf_counter() - start:.1f} s", flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# this process's CPU time per call (both threads: asyncio and aiosqlite's), by series: on a
# shared machine the wall time includes waiting for a core, the CPU time does not
cpu_times: dict[str, list[float]] = {}


async def measure(url: str, calls: int, seed: int) -> list[tuple[str, list[float]]]:
    rng = random.Random(seed)
    db = Database(url)
    try:
        async with db.session() as session:
            table = await load_routing_table(session)
            regions = (await session.exec(select(Region.id, Region.depth))).all()
            max_id = (await session.exec(select(Member.id).order_by(Member.id.desc()).limit(1))).one()
        by_depth = {d: [rid for rid, depth in regions if depth == d] for d in (1, 2, 3)}

        def pick_region() -> int | None:
            roll = rng.random()
            if roll < 0.05:
                return None
            depth = 3 if roll < 0.75 else 2 if roll < 0.90 else 1
            return rng.choice(by_depth[depth])

        results: list[tuple[str, list[float]]] = []
        # the noise floor: a trivial statement through the same session (the machine is shared)
        timings = []
        async with db.session() as session:
            cpu: list[float] = []
            for i in range(calls):
                start, start_cpu = time.perf_counter(), time.process_time()
                (await session.exec(text(f"SELECT {i}"))).all()
                timings.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
        results.append(("baseline: SELECT <n> round trip", timings))
        cpu_times["baseline: SELECT <n> round trip"] = cpu
        for label, limit, categories in (
            ("limit 1, all categories", 1, table.categories),
            ("limit 5, all categories", 5, table.categories),
            ("limit 1, 其他 (any sector)", 1, [table.get("其他")]),
        ):
            timings = []
            cpu = []
            async with db.session() as session:
                for _warm in range(20):  # connection, statement cache
                    await propose(session, category=categories[0], region_id=pick_region(), limit=limit)
                for _ in range(calls):
                    category = rng.choice(categories)
                    region_id = pick_region()
                    exclude = [rng.randint(1, max_id) for _ in range(rng.choice((0, 0, 1, 2)))]
                    start, start_cpu = time.perf_counter(), time.process_time()
                    found = await propose(session, category=category, region_id=region_id,
                                          exclude_member_ids=exclude, limit=limit)
                    timings.append((time.perf_counter() - start) * 1000)
                    cpu.append((time.process_time() - start_cpu) * 1000)
                    if not found:
                        raise SystemExit(f"no candidate for {category.name} / region {region_id}")
            results.append((label, timings))
            cpu_times[label] = cpu
        async with db.session() as session:
            dialect = session.bind.dialect.name
            if dialect == "postgresql":
                # what the server spends (planning + execution), without client, driver and scheduling
                timings = []
                for _ in range(min(calls, 500)):
                    category = rng.choice(table.categories)
                    params = {"limit": 1, **{f"sector{i}": sid for i, sid in enumerate(category.sector_ids)}}
                    region_id = pick_region()
                    if region_id is not None:
                        params["region"] = region_id
                    sql = _propose_sql(dialect, len(category.sector_ids), region_id is not None, False)
                    statement = _statement(sql, params, inline=True)
                    plan = (await session.exec(text("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + str(statement)))).one()[0]
                    timings.append(plan[0]["Planning Time"] + plan[0]["Execution Time"])
                results.append(("server: plan+run, limit 1 (inlined)", timings))
        return results
    finally:
        await db.dispose()


def report(dialect: str, results: list[tuple[str, list[float]]]) -> None:
    print()
    print(f"{dialect}: propose() latency in ms")
    print(f"{'series':32} {'calls':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'CPU p95':>8}  "
          f"target p95 < {TARGET_MS:g} ms")
    for label, timings in results:
        p95 = pct(timings, 95)
        cpu = f"{pct(cpu_times[label], 95):>8.2f}" if label in cpu_times else f"{'-':>8}"
        print(f"{label:32} {len(timings):>6} {statistics.median(timings):>7.2f} {p95:>7.2f} {pct(timings, 99):>7.2f} "
              f"{max(timings):>7.2f} {cpu}  {'PASS' if p95 < TARGET_MS else 'FAIL'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per series (default %(default)s)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--database-url", help="PostgreSQL URL: the bench runs in a throwaway schema it drops")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory(prefix="lianxin-routing-") as tmp:
        workdir = Path(tmp)
        schema = None
        admin = None
        if args.database_url:
            schema = f"bench_{uuid.uuid4().hex[:12]}"
            base = make_url(args.database_url).set(drivername="postgresql+psycopg")
            admin = create_engine(base)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
            dialect = "PostgreSQL"
        else:
            url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
            dialect = "SQLite"
        try:
            prepare(url, args.members, args.seed, workdir)
            results = asyncio.run(measure(url, args.calls, args.seed))
        finally:
            if admin is not None:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    report(dialect, results)
    return 0 if all(pct(t, 95) < TARGET_MS for label, t in results if not label.startswith("baseline")) else 1


if __name__ == "__main__":
    sys.exit(main())
