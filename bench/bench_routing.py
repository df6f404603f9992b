#!/usr/bin/env python3
"""Benchmark the routing decision: `propose()` over a generated roster of 200,000 members.

The roster comes from the roster file generator in bench/data.py (made-up names, 336 made-up
districts in 6 provinces, the 34 sectors) and is imported with the real `import_roster`.
Then most members are bound (telegram_id set directly), a few deactivated, and the load
columns the engine orders by are spread out (0–3 open cases, varied last-assignment times).

Each timed call is one `propose()` on an async session, as the bot makes it: a random
category of the default routing table, a random region (district 70 %, city 15 %,
province 10 %, none 5 %), 0–2 excluded members, limit 1 (the routing decision) — plus a
second series with limit 5 (the list staff and 转交 pick from). The target is p95 < 5 ms.
On PostgreSQL a last series times the server alone: the statement and parameters one
`propose()` call sent (captured from the driver), run again under EXPLAIN ANALYZE.

    .venv/bin/python -m bench.bench_routing                                # 200,000 members, SQLite in a temp dir
    .venv/bin/python -m bench.bench_routing --members 20000 --calls 500
    .venv/bin/python -m bench.bench_routing --database-url postgresql+psycopg://u:p@host/db   # in a throwaway schema
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, text
from sqlmodel import select

from bench.common import fresh_database, machine, percentile
from bench.data import prepare_routed_roster
from bot.db import Database
from bot.services.routing import load_routing_table, propose
from models import Member, Region

TARGET_MS = 5.0


# this process's CPU time per call (both threads: asyncio and aiosqlite's), by series: on a
# shared machine the wall time includes waiting for a core, the CPU time does not
cpu_times: dict[str, list[float]] = {}


async def captured_propose(db: Database, session, **kwargs) -> tuple[str, object]:
    """One `propose(session, **kwargs)` call; the SQL statement and parameters it handed the driver
    (as the driver got them: the dialect's placeholders, expanded lists)."""
    sent: list[tuple[str, object]] = []

    def capture(connection, cursor, statement, parameters, context, executemany) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", capture)
    try:
        await propose(session, **kwargs)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", capture)
    return sent[-1]  # propose() executes one statement


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
            if session.bind.dialect.name == "postgresql":
                # what the server spends (planning + execution), without client, driver and scheduling:
                # the statement propose() sent, with its parameters, under EXPLAIN ANALYZE
                timings = []
                connection = await session.connection()
                for _ in range(min(calls, 500)):
                    category = rng.choice(table.categories)
                    sql, params = await captured_propose(db, session, category=category, region_id=pick_region(),
                                                         limit=1)
                    plan = (await connection.exec_driver_sql(
                        "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, params)).one()[0]
                    timings.append(plan[0]["Planning Time"] + plan[0]["Execution Time"])
                results.append(("server: plan+run, limit 1", timings))
        return results
    finally:
        await db.dispose()


def report(dialect: str, results: list[tuple[str, list[float]]]) -> None:
    print()
    print(f"{dialect}: propose() latency in ms")
    print(f"{'series':32} {'calls':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'CPU p95':>8}  "
          f"target p95 < {TARGET_MS:g} ms")
    for label, timings in results:
        p95 = percentile(timings, 95)
        cpu = f"{percentile(cpu_times[label], 95):>8.2f}" if label in cpu_times else f"{'-':>8}"
        print(f"{label:32} {len(timings):>6} {statistics.median(timings):>7.2f} {p95:>7.2f} {percentile(timings, 99):>7.2f} "
              f"{max(timings):>7.2f} {cpu}  {'PASS' if p95 < TARGET_MS else 'FAIL'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=2000, help="timed calls per series (default %(default)s)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--database-url", help="PostgreSQL URL: the bench runs in a throwaway schema it drops")
    args = parser.parse_args(argv)
    print(machine(), flush=True)
    dialect = "PostgreSQL" if args.database_url else "SQLite"
    with tempfile.TemporaryDirectory(prefix="lianxin-routing-") as tmp:
        workdir = Path(tmp)
        url, drop = fresh_database(args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}")
        try:
            prepare_routed_roster(url, args.members, args.seed, workdir)
            results = asyncio.run(measure(url, args.calls, args.seed))
        finally:
            drop()
    report(dialect, results)
    return 0 if all(percentile(t, 95) < TARGET_MS for label, t in results if not label.startswith("baseline")) else 1


if __name__ == "__main__":
    sys.exit(main())
