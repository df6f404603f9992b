"""`python -m bot report --quarter 2026Q3 --out FILE.xlsx [--chart FILE.png]`: the quarterly report for everything.

Exposes `add_parser(subparsers)` and `run(settings, args) -> int`; `bot/cli.py` wires it.
Inputs are checked first; the files are written only when the report is complete.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.config import Settings
from bot.texts import cli_text, t

EXIT_BAD_INPUT = 1


def add_parser(subparsers) -> argparse.ArgumentParser:  # noqa: ANN001
    parser = subparsers.add_parser("report", help=cli_text("help_report"), description=cli_text("help_report"),
                                   epilog=cli_text("epilog_report"))
    parser.add_argument("--quarter", required=True, metavar=cli_text("metavar_quarter"), help=cli_text("help_quarter"))
    parser.add_argument("--out", required=True, type=Path, metavar=cli_text("metavar_xlsx"),
                        help=cli_text("help_report_out"))
    parser.add_argument("--chart", type=Path, metavar=cli_text("metavar_png"), help=cli_text("help_report_chart"))
    return parser


def _writable(path: Path) -> str | None:
    parent = path.resolve().parent
    if not parent.is_dir():
        return f"{parent} 不存在"
    if path.exists() and path.is_dir():
        return "这是一个文件夹"
    return None


def run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.rules import Quarter

    try:
        quarter = Quarter.parse(args.quarter)
    except ValueError:
        print(t("cli_remind_bad_quarter", value=args.quarter), file=sys.stderr)
        return EXIT_BAD_INPUT
    for path in filter(None, (args.out, args.chart)):
        problem = _writable(path)
        if problem:
            print(t("cli_report_bad_out", path=path, error=problem), file=sys.stderr)
            return EXIT_BAD_INPUT
    return asyncio.run(_run(settings, args, quarter))


async def _run(settings: Settings, args: argparse.Namespace, quarter) -> int:  # noqa: ANN001
    from bot.db import Database
    from bot.services.reminders import ReminderPolicy
    from bot.services.rules import local_today
    from bot.services.stats import build_report, quarter_stats
    from models import utcnow

    policy = ReminderPolicy.from_settings(settings)
    db = Database(settings.database_url, fast_driver=settings.sqlite_fast_driver)
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
        print(t("cli_report_bad_out", path=args.out, error=error.strerror or error), file=sys.stderr)
        return EXIT_BAD_INPUT
    print(t("cli_report_done", path=args.out, members=stats.members,
            activities=sum(row.activities for row in stats.by_kind)))
    if args.chart:
        print(t("cli_report_chart", path=args.chart))
    return 0
