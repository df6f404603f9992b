"""What the benchmarks share besides their data: a fresh database per run, percentiles, CPU and
memory readings from /proc, and the machine line a report starts with."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
# the token the benchmarks' bots use against the fake Bot API (never a real one)
BENCH_TOKEN = "123456:BENCH-TOKEN-abcdefghijklmnop"

# this bot in a child process, from the checkout LIANXIN_ROOT names, settings from the environment
LIANXIN_BOT = textwrap.dedent(
    """
    import os, sys
    # the bot under test may be another checkout (--bot-root), compared side by side with this one
    sys.path.insert(0, os.environ["LIANXIN_ROOT"])
    from bot.app import allowed_updates, build_application
    from bot.config import Settings
    from bot.logs import setup_logging

    settings = Settings(_env_file=None)
    setup_logging(settings.log_level, settings.token)
    app = build_application(settings, rate_limit=False)
    profile = os.environ.get("BENCH_PROFILE")
    print("ready", flush=True)
    if profile:
        import cProfile, signal
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            app.run_polling(poll_interval=0, timeout=10, allowed_updates=allowed_updates())
        finally:
            profiler.disable()
            profiler.dump_stats(profile)
    else:
        app.run_polling(poll_interval=0, timeout=10, allowed_updates=allowed_updates())
    """
)


class ChildBot:
    """A bot script in a child process of its own, ready once it printed `ready`; its stderr in `log`."""

    def __init__(self, name: str, script: str, env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log.open("wb")
        self.process = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE,
                                        stderr=self.log, cwd=log.parent)
        assert self.process.stdout.readline().strip() == b"ready", f"{name} did not start; see {log}"

    def cpu(self) -> float:
        return proc_cpu_seconds(self.process.pid)

    async def stop(self) -> None:
        self.process.terminate()
        await asyncio.to_thread(self.process.wait, 30)
        self.log.close()


def fresh_database(url: str) -> tuple[str, Callable[[], None]]:
    """A fresh database for one run: (its URL, a function that drops it).

    A SQLite URL is used as it is (a new file; nothing to drop); on PostgreSQL the run gets a
    schema of its own in the database `url` names, dropped afterwards."""
    if url.startswith("sqlite"):
        return url, lambda: None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    base = make_url(url).set(drivername="postgresql+psycopg")
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return scoped.render_as_string(hide_password=False), drop


def percentile(values: list[float], p: float) -> float:
    """The `p`th percentile (0–100) of `values`: the nearest rank, no interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process `pid` has used (from /proc; Linux only)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def backend_cpu(pid: int | None) -> float:
    """CPU seconds a local PostgreSQL backend has used; 0 when there is none or it cannot be read."""
    if pid is None:
        return 0.0
    try:
        return proc_cpu_seconds(pid)
    except OSError:
        return 0.0


async def timed(session, call) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process and of its PostgreSQL backend, the result) of
    `await call(session)`.

    On a shared machine under load the wall time mostly measures the queue for a core; the CPU
    time is what the work costs, about what the wall time is on a quiet machine."""
    pid = None
    if session.bind.dialect.name == "postgresql":
        pid = (await session.exec(text("SELECT pg_backend_pid()"))).scalar_one()
    cpu, server = time.process_time(), backend_cpu(pid)
    started = time.perf_counter()
    result = await call(session)
    wall = time.perf_counter() - started
    return wall, time.process_time() - cpu + backend_cpu(pid) - server, result


def memory_mb(field: str = "VmRSS") -> float:
    """This process's `VmRSS` (resident now) or `VmHWM` (its peak) in MB, from /proc/self/status;
    0 when it cannot be read."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def machine() -> str:
    """`python 3.11.7, 2 CPUs`: what a report's figures were measured with."""
    return f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
