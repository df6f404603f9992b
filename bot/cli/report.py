"""`python -m bot report --quarter 2026Q3 --out FILE.xlsx [--chart FILE.png]`: the quarterly report for everything.

Inputs are checked first; the files are written only when the report is complete.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.common import EXIT_BAD_INPUT, database, fail, parse_quarter, say
from bot.cli.parsing import command
from bot.config import Settings
from bot.services.reminders import DutyPolicy
from bot.services.report import build_report, quarter_stats
from bot.services.rules import Quarter, local_today
from bot.texts import cli_text
from models import utcnow


def add_parser(subparsers) -> argparse.ArgumentParser:  # noqa: ANN001 - argparse's subparsers
    parser = command(subparsers, "report", "report")
    parser.add_argument("--quarter", required=True, metavar=cli_text("metavar_quarter"), help=cli_text("help_quarter"))
    parser.add_argument("--out", required=True, type=Path, metavar=cli_text("metavar_xlsx"),
                        help=cli_text("help_report_out"))
    parser.add_argument("--chart", type=Path, metavar=cli_text("metavar_png"), help=cli_text("help_report_chart"))
    parser.set_defaults(handler=run, database="write")
    return parser


def _writable(path: Path) -> str | None:
    """Why `path` cannot be written (its folder must exist already), or None."""
    parent = path.resolve().parent
    if not parent.is_dir():
        return cli_text("cli_report_parent_missing", parent=parent)
    if path.exists() and path.is_dir():
        return cli_text("cli_report_is_folder")
    return None


def run(settings: Settings, args: argparse.Namespace) -> int:
    quarter = parse_quarter(args.quarter)
    if quarter is None:
        return EXIT_BAD_INPUT
    for path in filter(None, (args.out, args.chart)):
        problem = _writable(path)
        if problem:
            return fail("cli_report_bad_out", EXIT_BAD_INPUT, path=path, error=problem)
    return asyncio.run(_run(settings, args, quarter))


async def _run(settings: Settings, args: argparse.Namespace, quarter: Quarter) -> int:
    policy = DutyPolicy.from_settings(settings)
    db = database(settings)
    try:
        async with db.session() as session:
            stats = await quarter_stats(session, quarter=quarter, today=local_today(utcnow(), policy.tz), policy=policy)
    finally:
        await db.dispose()
    report = await build_report(stats, kind_names={k.code: k.name for k in settings.activity_kinds})
    try:
        args.out.write_bytes(report.xlsx)
        if args.chart:
            args.chart.write_bytes(report.png)
    except OSError as error:
        return fail("cli_report_bad_out", EXIT_BAD_INPUT, path=args.out, error=error.strerror or error)
    activities = sum(row.activities for row in stats.by_kind)
    say("cli_report_done", path=args.out, members=stats.members, activities=activities)
    if args.chart:
        say("cli_report_chart", path=args.chart)
    return 0
