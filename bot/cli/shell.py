"""`python -m bot shell`: try every role from a terminal, against the in-process Bot API stand-in."""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from bot.cli.parsing import command
from bot.config import Settings
from bot.texts import cli_text


def add_parser(sub) -> None:  # noqa: ANN001 - argparse's subparsers
    shell = command(sub, "shell", "shell")
    shell.add_argument("--db", metavar=cli_text("metavar_database_url"), help=cli_text("help_shell_db"))
    shell.set_defaults(async_handler=run, database=None)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    # the bot, PTB and prompt_toolkit take ~1 s to import: only `shell` needs them here
    from bot.shell.repl import run_shell

    log_file = Path(tempfile.gettempdir()) / "lianxin-shell.log"
    _log_to(log_file, settings.log_level)
    return await run_shell(settings, database_url=args.db, log_file=log_file)


def _log_to(path: Path, level: str) -> None:
    """The bot's log goes to a file: the terminal is the conversation."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level.upper())
