#!/usr/bin/env python3
"""Benchmark the takeover of a killed leader by a hot standby on one PostgreSQL.

Two real `python -m bot run` processes share a fresh schema; the fake Bot API server runs in this
process and tells them apart (`FakeTelegram.client_base_url`). Each round: the leader is killed with
SIGKILL; a resident sends /help at once; measured from the kill to (a) the standby's first getUpdates
(it polls: it leads) and (b) the answer to that /help reaching the fake (what a person waits). The
killed process is started again as the new standby, and the next round begins once it waits on the
lock. Reported: p50 and max over the kills, against FAILOVER_SECONDS (the bound the design promises).
Run by hand, not a test:

    .venv/bin/python -m bench.bench_failover --database-url postgresql+psycopg://lianxin:lianxin@127.0.0.1:5432/lianxin
    .venv/bin/python -m bench.bench_failover --kills 5 --failover 6
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import BENCH_TOKEN, ROOT, fresh_database, machine, percentile
from bot.db import upgrade
from tests.support.fake_telegram import FakeTelegram


class Process:
    def __init__(self, fake: FakeTelegram, name: str, url: str, failover: str, folder: Path) -> None:
        self.name = name
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_", "DATABASE_URL"))}
        self.env.update(PYTHONPATH=str(ROOT), BOT_TOKEN=BENCH_TOKEN, BOT_API_BASE_URL=fake.client_base_url(name),
                        BOT_API_FILE_URL=fake.base_file_url, DATABASE_URL=url, LOG_LEVEL="WARNING",
                        FAILOVER_SECONDS=failover)
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def launch(self) -> None:
        self.starts += 1
        with (self.folder / f"{self.name}{self.starts}.log").open("wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=self.folder, env=self.env,
                                            stdout=subprocess.DEVNULL, stderr=log)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def first(fake: FakeTelegram, name: str, method: str, after: float) -> float | None:
    times = [c.timestamp for c in fake.calls if c.client == name and c.method == method and c.timestamp > after]
    return min(times) if times else None


async def run(args: argparse.Namespace) -> None:
    url, drop = fresh_database(args.database_url)
    folder = Path(tempfile.mkdtemp(prefix="bench_failover_"))
    fake = FakeTelegram(token=BENCH_TOKEN)
    await fake.start()
    upgrade(url)
    processes = {name: Process(fake, name, url, str(args.failover), folder) for name in ("a", "b")}
    polled: list[float] = []
    answered: list[float] = []
    resident = fake.user(910_001, first_name="群众")
    try:
        leader, standby = processes["a"], processes["b"]
        leader.launch()
        await fake.wait_until(lambda: first(fake, "a", "getUpdates", 0), timeout=60, message="a never led")
        standby.launch()
        for kill in range(1, args.kills + 1):
            started = time.time()
            await fake.wait_until(lambda s=standby, t=started - 30: first(fake, s.name, "getMe", t), timeout=60)
            await asyncio.sleep(1.0)  # its lock session waits by now
            killed = time.time()
            leader.kill()
            await resident.send("/help")
            took_poll = await fake.wait_until(lambda s=standby, k=killed: first(fake, s.name, "getUpdates", k),
                                              timeout=60, message="no takeover")
            await resident.expect_message(timeout=60)
            answers = [c.timestamp for c in fake.calls if c.method == "sendMessage" and c.timestamp > killed
                       and c.params.get("chat_id") in (resident.id, str(resident.id))]
            took_answer = min(answers) if answers else time.time()
            polled.append(took_poll - killed)
            answered.append(took_answer - killed)
            print(f"kill {kill:2d}: leads after {polled[-1]:.2f} s, /help answered after {answered[-1]:.2f} s",
                  flush=True)
            leader.launch()  # back as the standby
            leader, standby = standby, leader
    finally:
        for process in processes.values():
            process.stop()
        await fake.stop()
        drop()
    print()
    print(f"{machine()}; FAILOVER_SECONDS={args.failover}; {len(polled)} kills")
    print(f"takeover (kill → new leader polls): p50 {percentile(polled, 50):.2f} s, max {max(polled):.2f} s")
    print(f"kill → /help answered:             p50 {percentile(answered, 50):.2f} s, max {max(answered):.2f} s")
    print(f"bound: FAILOVER_SECONDS = {args.failover} s → {'PASS' if max(answered) < args.failover else 'FAIL'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("LIANXIN_TEST_PG_URL"),
                        help="a PostgreSQL database (a schema of its own is made and dropped)")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--failover", type=float, default=10.0, help="FAILOVER_SECONDS of both processes")
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgres"):
        parser.error("needs --database-url postgresql+psycopg://… (or LIANXIN_TEST_PG_URL)")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
