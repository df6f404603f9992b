"""`python -m bot db backup --out FILE [--media]` and `python -m bot db restore FILE [--force]` (bot/backup.py).

Neither touches the schema first: a backup is what an office takes before an upgrade, and a restore
checks the backup's schema version itself (and brings an older one up to date afterwards).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from bot import backup as backups
from bot.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_DATABASE,
    database_name,
    database_reason,
    fail,
    file_reason,
    note,
    output_path,
    say,
)
from bot.cli.parsing import command
from bot.config import Settings
from bot.texts import cli_text

log = logging.getLogger(__name__)


def add_parsers(db) -> None:  # noqa: ANN001 - argparse's subparsers of `db`
    take = command(db, "backup", "db_backup")
    take.add_argument("--out", type=Path, required=True, metavar=cli_text("metavar_backup"),
                      help=cli_text("help_backup_out"))
    take.add_argument("--media", action="store_true", help=cli_text("help_backup_media"))
    take.set_defaults(handler=backup_command, database=None, precheck=check_archive_name)
    back = command(db, "restore", "db_restore")
    back.add_argument("file", type=Path, metavar=cli_text("metavar_backup"), help=cli_text("help_restore_file"))
    back.add_argument("--force", action="store_true", help=cli_text("help_restore_force"))
    back.set_defaults(handler=restore_command, database=None)


def check_archive_name(args: argparse.Namespace) -> int | None:
    """With --media the backup is a tar archive: its name says so (.tar added when it has no extension)."""
    if not args.media:
        return None
    named = output_path(args.out, "--out", ".tar", (".tar",))
    if isinstance(named, int):
        return named
    args.out = named
    return None


def problem_text(problem: backups.BackupProblem) -> str:
    return cli_text(f"backup_{problem.code}", **problem.values)


def backup_command(settings: Settings, args: argparse.Namespace) -> int:
    _say_database(settings)
    media = Path(settings.media_dir) if args.media else None
    try:
        made = backups.backup(settings.database_url, args.out, media_dir=media)
    except backups.BackupProblem as problem:
        return fail("backup_failed", EXIT_BAD_INPUT, reason=problem_text(problem))
    except DBAPIError as exc:
        log.debug("backup failed", exc_info=True)
        return fail("backup_failed", EXIT_DATABASE, reason=database_reason(exc))
    except OSError as exc:  # the file or its folder
        log.debug("backup failed", exc_info=True)
        return fail("backup_failed", EXIT_BAD_INPUT, reason=file_reason(exc, settings))
    say("backup_made", path=made.path, size=_size(made.size), revision=made.revision or "?")
    if made.media_files is not None:
        say("backup_media_count", count=made.media_files, folder=media)
    return 0


def restore_command(settings: Settings, args: argparse.Namespace) -> int:
    _say_database(settings)
    try:
        done = backups.restore(settings.database_url, args.file, force=args.force, media_dir=Path(settings.media_dir))
    except backups.BackupProblem as problem:
        return fail("restore_refused", EXIT_BAD_INPUT, reason=problem_text(problem))
    except DBAPIError as exc:
        log.debug("restore failed", exc_info=True)
        return fail("restore_refused", EXIT_DATABASE, reason=database_reason(exc))
    except OSError as exc:
        log.debug("restore failed", exc_info=True)
        return fail("restore_refused", EXIT_BAD_INPUT, reason=file_reason(exc, settings))
    say("restore_done", path=args.file, revision=done.revision or "?")
    if done.upgraded:
        say("restore_upgraded")
    if done.media_files is not None:
        say("restore_media", count=done.media_files, folder=settings.media_dir)
    return 0


def _say_database(settings: Settings) -> None:
    env_file = settings.env_file_used
    note("database_in_use", url=database_name(settings),
         source=cli_text("settings_from", path=env_file) if env_file else cli_text("settings_no_env"))


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"
