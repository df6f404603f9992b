#!/usr/bin/env python3
"""Benchmark the dashboard (handlers/webapp/): its JSON for a 200,000-member scope, and the page in a browser.

1. JSON: members, activities and cases generated as for `bench.bench_stats` (bench/data.py; synthetic,
   seeded random numbers, never real); the dashboard's aiohttp app (`handlers.webapp.server.make_app`) on
   the bot's Application, asked over HTTP with signed initData for an admin (the whole 200,000 members).
   Reference in the same run: `stats.stats_summary` called directly, what /stats in chat reads.
2. Page load (`--page`): the tests' seeded world (tests/stats_world.py, 60 members) on SQLite, Debian's
   chromium via Playwright at 360×740: from navigation to the overview's figures shown and its chart
   drawn. Reference in the same run: the same browser loading a plain static file from the same server.

    .venv/bin/python -m bench.bench_webapp --database-url postgresql+psycopg://lianxin:lianxin@127.0.0.1:5432/lianxin
    .venv/bin/python -m bench.bench_webapp --page            # the page load only (SQLite, chromium)
    .venv/bin/python -m bench.bench_webapp --members 20000 --activities 200000   # a quick look
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
from datetime import UTC, datetime
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bench.bench_stats import seed_cases
from bench.common import fresh_database
from bench.data import CURRENT_YEAR, generate_members_and_activities
from bot.app import build_application
from bot.config import Settings
from bot.db import Database, upgrade
from bot.services.reminders import DutyPolicy
from bot.services.rules import Period
from bot.services.stats import stats_summary
from handlers.webapp.server import make_app
from tests.conftest import ADMIN_ID, TOKEN
from tests.webapp_support import WEBAPP_URL, auth, free_port, init_data

ENDPOINTS = ("/api/overview?period={q}", "/api/overview?period={y}", "/api/drill?by=group&period={q}",
             "/api/drill?by=region&period={q}", "/api/laggards", "/api/queue")


async def serve(url: str) -> tuple[web.AppRunner, int, object]:
    """The dashboard's app on the bot's Application (not started: no Bot API needed), on a free port."""
    settings = Settings(_env_file=None, bot_token=TOKEN, database_url=url, admin_ids=[ADMIN_ID],  # type: ignore[call-arg]
                        webapp_url=WEBAPP_URL)
    application = build_application(settings, rate_limit=False)
    runner = web.AppRunner(make_app(application), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port, application


async def time_json(url: str, runs: int) -> None:
    runner, port, application = await serve(url)
    quarter = f"{CURRENT_YEAR}Q4"
    db = Database(url)
    try:
        async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as http:
            times: dict[str, list[float]] = {}
            reference: list[float] = []
            for _ in range(runs):
                async with db.session() as session:  # the reference: what /stats reads for the same quarter
                    started = time.perf_counter()
                    await stats_summary(session, period=Period(CURRENT_YEAR, 4), now=datetime.now(UTC),
                                        policy=DutyPolicy(tz=application.settings.tz))
                    reference.append(time.perf_counter() - started)
                for path in ENDPOINTS:
                    path = path.format(q=quarter, y=CURRENT_YEAR)
                    started = time.perf_counter()
                    async with http.get(path, headers=auth(init_data(ADMIN_ID))) as response:
                        body = await response.read()
                        assert response.status == 200, (path, response.status, body[:200])
                    times.setdefault(path, []).append(time.perf_counter() - started)
        base = statistics.median(reference)
        print(f"  {'stats_summary Q4, direct (reference)':44s} median {base:.3f} s (min {min(reference):.3f})")
        for path, values in times.items():
            median = statistics.median(values)
            print(f"  GET {path:40s} median {median:.3f} s (min {min(values):.3f}, max {max(values):.3f})"
                  f" = {median / base:.2f}× the reference")
        print(f"  load average {os.getloadavg()[0]:.2f}")
    finally:
        await db.dispose()
        await runner.cleanup()
        await application.db.dispose()


async def time_page(runs: int, chromium: str) -> None:
    from playwright.async_api import async_playwright  # the page benchmark only

    from tests.stats_world import seed_world

    workdir = tempfile.mkdtemp(prefix="lianxin-bench-page-")
    url = f"sqlite+aiosqlite:///{workdir}/page.db"
    upgrade(url)
    db = Database(url)
    await seed_world(db, now=datetime.now(UTC))
    await db.dispose()
    runner, port, application = await serve(url)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            loads, plain = [], []
            for _ in range(runs + 1):  # the first warms the browser's own start-up, and is left out
                page = await browser.new_page(viewport={"width": 360, "height": 740})
                started = time.perf_counter()
                await page.goto(f"http://127.0.0.1:{port}/static/app.css")
                plain.append(time.perf_counter() - started)
                await page.close()
                page = await browser.new_page(viewport={"width": 360, "height": 740})
                fragment = f"tgWebAppData={quote(init_data(ADMIN_ID))}&tgWebAppVersion=8.0"
                started = time.perf_counter()
                await page.goto(f"http://127.0.0.1:{port}/?view=overview#{fragment}")
                await page.wait_for_selector("#f-members")
                await page.wait_for_selector("[data-chart][data-rendered='1'] canvas")
                loads.append(time.perf_counter() - started)
                await page.close()
            await browser.close()
        loads, plain = loads[1:], plain[1:]
        print(f"  page load to figures and chart, 360×740: median {statistics.median(loads):.3f} s "
              f"(min {min(loads):.3f}, max {max(loads):.3f}); a static file: median {statistics.median(plain):.3f} s; "
              f"ratio {statistics.median(loads) / statistics.median(plain):.1f}×; load average {os.getloadavg()[0]:.2f}")
    finally:
        await runner.cleanup()
        await application.db.dispose()
        shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--activities", type=int, default=5_000_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--page", action="store_true", help="the page load in chromium only")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()
    if args.page:
        asyncio.run(time_page(args.runs, args.chromium))
        return 0
    workdir = tempfile.mkdtemp(prefix="lianxin-bench-")
    url, drop = fresh_database(args.database_url or f"sqlite:///{workdir}/bench.db")
    try:
        rng = random.Random(2026)
        started = time.perf_counter()
        engine, first, _years = generate_members_and_activities(url, members=args.members, activities=args.activities,
                                                                years=args.years, rng=rng)
        seed_cases(engine, args.cases, first, args.members, rng)
        engine.dispose()
        print(f"{engine.dialect.name}: {args.members:,} members, {args.activities:,} activities, {args.cases:,} cases"
              f" loaded in {time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f}")
        async_url = url.replace("sqlite://", "sqlite+aiosqlite://", 1) if url.startswith("sqlite://") else url
        asyncio.run(time_json(async_url, args.runs))
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
