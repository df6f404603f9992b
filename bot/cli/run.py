"""`python -m bot run`: start the bot (polling, or a webhook when WEBHOOK_URL is set).

On PostgreSQL several `run` processes may share the database: one leads, the others wait as hot
standbys (bot/leader.py). On SQLite a second process is refused (a lock file beside the database).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import sys
import time
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_BUSY,
    EXIT_CONFIG,
    EXIT_DATABASE,
    database_name,
    database_reason,
    fail,
    get_me,
    log,
    note,
    open_database,
    telegram_failure,
)
from bot.cli.parsing import command
from bot.config import Settings
from bot.leader import Leadership, Timing
from bot.logs import redact, short_error

RECONNECT = 5  # seconds between two attempts of a standby to open its lost lock session again


def add_parsers(sub) -> None:  # noqa: ANN001 - argparse's subparsers
    command(sub, "run", "run").set_defaults(handler=run, database=None)


def sqlite_lock_path(settings: Settings) -> Path | None:
    """The lock file beside a SQLite database file (None for PostgreSQL or an in-memory database)."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database + ".lock")


def sqlite_lock_holder(path: Path) -> int | None:
    """The pid of the process holding the lock file, or None when nobody does (`status`)."""
    if not path.exists():
        return None
    with path.open("r+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            content = handle.read().strip()
            return int(content) if content.isdigit() else 0
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


def _take_sqlite_lock(path: Path) -> int | None:
    """Lock the file while the bot runs (the kernel drops it however the process ends); its descriptor,
    or None when another process holds it; -1 when the file cannot be made (a folder missing or not
    writable: opening the database says why, in its own words)."""
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        log.debug("no lock file beside the database", exc_info=True)
        return -1
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    os.ftruncate(descriptor, 0)
    os.write(descriptor, str(os.getpid()).encode())
    return descriptor


def _standby(settings: Settings) -> Leadership | int:
    """PostgreSQL: wait as a standby until this process leads; the exit code when the database cannot be
    reached at start. A lock session lost while waiting is opened again (every `RECONNECT` seconds)."""
    leadership = Leadership(settings.database_url, timing=Timing(settings.failover_seconds))
    try:
        leadership.connect()
    except DBAPIError as exc:
        log.debug("lock session failed", exc_info=True)
        leadership.close()
        return fail("database_unreachable", EXIT_DATABASE, url=database_name(settings), reason=database_reason(exc))
    note("run_standby", seconds=f"{settings.failover_seconds:g}")
    while True:
        try:
            leadership.wait()
            break
        except DBAPIError as exc:
            log.debug("lock session failed", exc_info=True)
            note("run_standby_reconnect", reason=database_reason(exc), seconds=RECONNECT)
            leadership.close()
            time.sleep(RECONNECT)
            leadership = Leadership(settings.database_url, timing=Timing(settings.failover_seconds))
            with contextlib.suppress(DBAPIError):
                leadership.connect()
    note("run_leading")
    return leadership


def _lost() -> None:
    """The leader's lease lapsed (bot/leader.py): stop at once, like a kill -9, and start again as a
    standby (the same command line); outside `python -m bot` the process just ends."""
    with contextlib.suppress(Exception):
        note("run_leader_lost")
        sys.stderr.flush()
    argv = sys.orig_argv
    if "-m" in argv and argv[argv.index("-m") + 1:argv.index("-m") + 2] == ["bot"]:
        os.execv(sys.executable, argv)
    os._exit(EXIT_DATABASE)


def run(settings: Settings, args: argparse.Namespace | None = None) -> int:
    """Start the bot; polling unless WEBHOOK_URL is set. Returns only when it stops."""
    if not settings.bot_token:
        return fail("no_token", EXIT_CONFIG)
    # one getMe before anything else: an unreachable or refusing Telegram is one line, not a traceback
    try:
        asyncio.run(get_me(settings))
    except TelegramError as exc:
        return telegram_failure(settings, exc)
    lock_file = sqlite_lock_path(settings)
    held = _take_sqlite_lock(lock_file) if lock_file is not None else None
    if lock_file is not None and held is None:
        return fail("run_sqlite_busy", EXIT_BUSY, path=lock_file.with_suffix(""))
    try:
        return _lead_and_run(settings)
    finally:
        if held is not None and held >= 0:
            os.close(held)  # the lock goes with it


def _lead_and_run(settings: Settings) -> int:
    leadership: Leadership | None = None
    if make_url(settings.database_url).get_backend_name().startswith("postgres"):
        waited = _standby(settings)
        if isinstance(waited, int):
            return waited
        leadership = waited
    try:
        return _run_bot(settings, leadership)
    finally:
        if leadership is not None:
            leadership.close()


def _run_bot(settings: Settings, leadership: Leadership | None) -> int:
    problem = open_database(settings, writes=True)
    if problem is not None:
        return problem
    # the bot itself (handlers, PTB's Application) takes ~0.5 s to import: only `run` needs it
    from bot.app import allowed_updates, build_application, webhook_options

    application = build_application(settings, fence=leadership.valid if leadership is not None else None)
    if leadership is not None:
        leadership.watch(_lost)
    try:
        if settings.webhook_url:
            application.run_webhook(**webhook_options(settings))
        else:
            # after a good start python-telegram-bot's polling retries lost connections with back-off
            application.run_polling(allowed_updates=allowed_updates())
    except InvalidToken:
        return fail("bad_token", EXIT_CONFIG)
    except NetworkError as exc:
        return telegram_failure(settings, exc)
    except Exception as exc:  # noqa: BLE001 - one line; the traceback (redacted) only at DEBUG
        log.debug("the bot stopped", exc_info=True)
        return fail("bot_stopped", EXIT_BAD_INPUT, reason=redact(short_error(exc), settings.token))
    return 0
