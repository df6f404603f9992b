"""`python -m bot status`: which bot process runs; on PostgreSQL the leader, since when, and the standbys."""

from __future__ import annotations

import argparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.cli.common import EXIT_DATABASE, database_name, database_reason, fail, log, say
from bot.cli.parsing import command
from bot.cli.run import sqlite_lock_holder, sqlite_lock_path
from bot.config import Settings
from bot.leader import holders


def add_parser(sub) -> None:  # noqa: ANN001 - argparse's subparsers
    command(sub, "status", "status").set_defaults(handler=status, database=None)


def status(settings: Settings, args: argparse.Namespace) -> int:
    lock_file = sqlite_lock_path(settings)
    if not make_url(settings.database_url).get_backend_name().startswith("postgres"):
        pid = sqlite_lock_holder(lock_file) if lock_file is not None else None
        if pid is None:
            say("status_sqlite_stopped")
        else:
            say("status_sqlite_running", pid=pid or "?")
        return 0
    try:
        found = holders(settings.database_url)
    except DBAPIError as exc:
        log.debug("database unreachable", exc_info=True)
        return fail("database_unreachable", EXIT_DATABASE, url=database_name(settings), reason=database_reason(exc))
    leader = next((h for h in found if h.granted), None)
    if leader is None:
        say("status_no_leader")
    else:
        since = leader.since.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M:%S") if leader.since else "?"
        say("status_leader", host=leader.host, pid=leader.pid or "?", since=since)
    say("status_standbys", count=sum(1 for h in found if not h.granted))
    return 0
