#!/usr/bin/env python3
"""Benchmark "nearest reception days" (`bot.services.receptions.nearest`, what a shared location shows).

Generates seeded synthetic stations (every tenth without coordinates) spread over a province-sized box
and coming reception days at random stations, then asks for the ten nearest days at random points.
Reported: p50 and p95 wall and CPU time (this process's, and a PostgreSQL backend's) of `nearest`, and of a
reference measured in the same run on the same
data and points: every coming day with coordinates read and measured in Python (what `nearest` did
before it narrowed by a box), with the ratio. Both must list the same days. Every point is asked of
`nearest` first, then of the reference; `--interleave` asks both at each point in turn (then `nearest`
runs right after the reference has handed ~90,000 rows through aiosqlite's thread, and on SQLite its
statements' hand-offs cost several ms more: see bench/README.md). Run by hand, not a test:

    .venv/bin/python -m bench.bench_nearest                                   # SQLite in a temp folder
    .venv/bin/python -m bench.bench_nearest --database-url postgresql+psycopg://u:p@host/db
    .venv/bin/python -m bench.bench_nearest --stations 2000 --days 10000 --queries 100
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import select

from bench.common import fresh_database, machine, percentile, timed
from bot.db import Database, sync_engine, upgrade
from bot.services import receptions as svc
from models import Member, Reception, ReceptionStatus, Sector, Station

BOX = (32.0, 42.0, 95.0, 110.0)  # lat, lat, lon, lon: about Gansu's extent


def seed(url: str, *, stations: int, days: int, seed_value: int) -> None:
    upgrade(url)
    rng = random.Random(seed_value)
    now = datetime.now(UTC)
    engine = sync_engine(url)
    with engine.begin() as connection:
        sector = connection.execute(insert(Sector.__table__).values(name="测试界", short_name="测试")
                                    .returning(Sector.__table__.c.id)).scalar_one()
        member = connection.execute(insert(Member.__table__).values(
            number="B0001", name="测试委员", sector_id=sector, level="county", active=True, created_at=now,
            updated_at=now).returning(Member.__table__.c.id)).scalar_one()
        lat0, lat1, lon0, lon1 = BOX
        connection.execute(insert(Station.__table__), [
            {"code": f"S{i:05d}", "name": f"测试工作站{i}", "kind": "workstation",
             "latitude": rng.uniform(lat0, lat1) if i % 10 else None,
             "longitude": rng.uniform(lon0, lon1) if i % 10 else None,
             "active": True, "created_at": now, "updated_at": now} for i in range(stations)])
        first = connection.execute(select(Station.id).order_by(Station.id).limit(1)).scalar_one()
        for start in range(0, days, 50_000):
            rows = []
            for _ in range(start, min(days, start + 50_000)):
                begins = now + timedelta(hours=rng.randint(2, 24 * 90))
                rows.append({"station_id": first + rng.randrange(stations), "member_id": member,
                             "starts_at": begins, "ends_at": begins + timedelta(hours=2), "topic": "接待",
                             "status": ReceptionStatus.scheduled.value, "created_by": 1, "created_at": now,
                             "updated_at": now})
            connection.execute(insert(Reception.__table__), rows)
        connection.execute(text("ANALYZE"))
    engine.dispose()


async def reference(session, *, latitude: float, longitude: float, now: datetime, limit: int = svc.LIST_LIMIT):
    """Every coming day with coordinates read and measured in Python; the ten nearest (ids)."""
    rows = (await session.exec(
        select(Reception.id, Reception.starts_at, Station.latitude, Station.longitude)
        .join(Station, Station.id == Reception.station_id)
        .where(Reception.status == ReceptionStatus.scheduled, Reception.ends_at > now, Station.active.is_(True),
               Station.latitude.is_not(None), Station.longitude.is_not(None))
    )).all()
    measured = sorted((svc.haversine_km(latitude, longitude, lat, lon), starts, rid) for rid, starts, lat, lon in rows)
    return [rid for _, _, rid in measured[:limit]]


async def run(url: str, queries: int, seed_value: int, interleave: bool) -> None:
    db = Database(url)
    rng = random.Random(seed_value + 1)
    lat0, lat1, lon0, lon1 = BOX
    points = [(rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)) for _ in range(queries)]
    now = datetime.now(UTC)
    ours: dict[str, list[float]] = {"wall": [], "cpu": []}
    theirs: dict[str, list[float]] = {"wall": [], "cpu": []}
    listed: list[list[int]] = []
    expected: list[list[int]] = []

    async def one(call, into: dict[str, list[float]], out: list) -> None:
        async with db.session() as session:
            wall, cpu, result = await timed(session, call)
        into["wall"].append(wall * 1000)
        into["cpu"].append(cpu * 1000)
        out.append([v.id for v in result] if result and hasattr(result[0], "id") else result)

    calls = [(lambda s, lat=lat, lon=lon: svc.nearest(s, latitude=lat, longitude=lon, now=now),
              lambda s, lat=lat, lon=lon: reference(s, latitude=lat, longitude=lon, now=now)) for lat, lon in points]
    if interleave:  # each point: ours, then the reference (which hands ~90,000 rows to Python just before)
        for mine, ref in calls:
            await one(mine, ours, listed)
            await one(ref, theirs, expected)
    else:  # every point ours, then every point the reference
        for mine, _ in calls:
            await one(mine, ours, listed)
        for _, ref in calls:
            await one(ref, theirs, expected)
    for point, mine, ref in zip(points, listed, expected, strict=True):
        assert mine == ref, point
    await db.dispose()
    for kind in ("wall", "cpu"):
        p50, p95 = percentile(ours[kind], 50), percentile(ours[kind], 95)
        r50, r95 = percentile(theirs[kind], 50), percentile(theirs[kind], 95)
        print(f"{kind:4} nearest:   p50 {p50:7.2f} ms  p95 {p95:7.2f} ms   (target p95 < 5 ms)")
        print(f"{kind:4} reference: p50 {r50:7.2f} ms  p95 {r95:7.2f} ms   (every day read and measured)")
        print(f"{kind:4} ratio reference / nearest: p50 {r50 / p50:.1f}×  p95 {r95 / p95:.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", help="PostgreSQL (a schema of its own is made and dropped); "
                                               "default: SQLite in a temporary folder")
    parser.add_argument("--stations", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--interleave", action="store_true",
                        help="call the reference right after ours at each point (default: all ours, then all its)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url, drop = fresh_database(args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            started = time.perf_counter()
            seed(url, stations=args.stations, days=args.days, seed_value=args.seed)
            print(f"{machine()}; {args.stations:,} stations, {args.days:,} coming days, {args.queries} points"
                  f"{', interleaved' if args.interleave else ''}; "
                  f"seeded in {time.perf_counter() - started:.0f} s")
            asyncio.run(run(url, args.queries, args.seed, args.interleave))
        finally:
            drop()


if __name__ == "__main__":
    main()
