"""`python -m bot …`: run the bot and administer the roster, invites, roles, reminders and reports.

One module per command group; each adds its parsers and names, on each leaf command, the function
that runs it (`handler(settings, args)`, `async_handler(settings, args)` or `session_handler(session,
args)` on one async session) and whether it writes to the database (`database`: "write", "read" or
None for `run`, which opens it itself), and optionally a `precheck(args)` of its inputs that runs before
the database is opened. Every command that changes data validates its inputs and
outputs first, works in one transaction and commits last, after its output files are complete.
Every message comes from the CLI texts of `bot/texts/`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings.exceptions import SettingsError

import bot.services.tally  # noqa: F401 - every activity written keeps the member's totals in step
from bot.cli import (
    backups,
    checkin,
    documents,
    forget,
    invites,
    media,
    members,
    remind,
    report,
    roles,
    run,
    shell,
    stations,
    status,
    tally,
)
from bot.cli.common import EXIT_BAD_INPUT, EXIT_CONFIG, database, fail, log, open_database, say
from bot.cli.parsing import ChineseParser, actions, command
from bot.config import EnvFileMissing, HomeMissing, Settings, load_settings, settings_problems
from bot.logs import redact, setup_logging, short_error
from bot.texts import cli_text


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseParser(prog="python -m bot", description=cli_text("desc_main"), epilog=cli_text("epilog_main"))
    parser.add_argument("--env-file", type=Path, metavar=cli_text("metavar_env_file"), help=cli_text("help_env_file"))
    sub = parser.add_subparsers(dest="command", required=True, metavar=cli_text("metavar_command"),
                                title=cli_text("group_commands"), parser_class=ChineseParser)
    run.add_parsers(sub)
    status.add_parser(sub)
    db = actions(command(sub, "db", "db"), "db_command")
    command(db, "upgrade", "db_upgrade").set_defaults(handler=_up_to_date, database="write")
    backups.add_parsers(db)
    group = actions(command(sub, "members", "members"), "members_command")
    members.add_parsers(group)
    invites.add_parsers(group)
    members.add_revoke_parser(group)
    roles.add_parsers(sub)
    remind.add_parser(sub)
    report.add_parser(sub)
    documents.add_parsers(sub)
    tally.add_parser(sub)
    shell.add_parser(sub)
    forget.add_parser(sub)
    media.add_parser(sub)
    checkin.add_qr_parser(stations.add_parser(sub))
    roles.add_name_parsers(sub)
    return parser


def _up_to_date(settings: Settings, args: argparse.Namespace) -> int:
    """`db upgrade`: opening the database brought it up to date already."""
    say("db_up_to_date")
    return 0


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, or a wrong command line (already explained)
        return exc.code if isinstance(exc.code, int) else EXIT_CONFIG
    if settings is None:
        try:
            settings = load_settings(args.env_file)
        except EnvFileMissing as exc:
            return fail("env_file_missing", EXIT_CONFIG, path=exc)
        except HomeMissing as exc:
            return fail("home_missing", EXIT_CONFIG, path=exc)
        except (ValidationError, SettingsError) as exc:
            for line in settings_problems(exc):
                print(line, file=sys.stderr)
            return EXIT_CONFIG
    setup_logging(settings.log_level, settings.token, plain=args.command != "run")
    precheck = getattr(args, "precheck", None)  # inputs that can be checked before the database is touched
    if precheck is not None:
        problem = precheck(args)
        if problem is not None:
            return problem
    if args.database is not None:
        problem = open_database(settings, writes=args.database == "write")
        if problem is not None:
            return problem
    if hasattr(args, "session_handler"):
        return asyncio.run(_on_session(settings, args))
    if hasattr(args, "async_handler"):
        return asyncio.run(args.async_handler(settings, args))
    return args.handler(settings, args)


async def _on_session(settings: Settings, args: argparse.Namespace) -> int:
    """A command on one async session (it commits, or rolls back, itself)."""
    db = database(settings)
    try:
        async with db.session() as session:
            return await args.session_handler(session, args)
    finally:
        await db.dispose()


def entrypoint() -> None:
    logging.captureWarnings(True)
    try:
        code = main()
    except BrokenPipeError:  # `members list | head`: the reader left, nothing to report
        sys.stderr.close()
        code = 0
    except KeyboardInterrupt:
        code = fail("interrupted", 130)
    except Exception as exc:  # noqa: BLE001 - a clerk gets one line; the traceback only at DEBUG
        log.debug("unexpected error", exc_info=True)
        code = fail("unexpected_error", EXIT_BAD_INPUT, reason=redact(short_error(exc)))
    sys.exit(code)
