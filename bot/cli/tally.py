"""`python -m bot tally --check | --rebuild`: check each member's yearly totals against the activities, or rebuild.

`--check` changes nothing and exits 1 when something differs; `--rebuild` commits once.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.cli.common import database
from bot.cli.parsing import command
from bot.config import Settings
from bot.services import tally
from bot.texts import cli_text
from models.tally import MEASURES

log = logging.getLogger(__name__)
EXIT_INCONSISTENT = 1
EXIT_FAILED = 2
SHOWN = 30


def add_parser(subparsers) -> argparse.ArgumentParser:  # noqa: ANN001 - argparse's subparsers
    parser = command(subparsers, "tally", "tally")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help=cli_text("help_tally_check"))
    mode.add_argument("--rebuild", action="store_true", help=cli_text("help_tally_rebuild"))
    parser.set_defaults(handler=run, database="write")
    return parser


def run(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_run(settings, rebuild=args.rebuild))


def column_name(column: str) -> str:
    """A tally column as a clerk reads it: 第3季度人次, 全年积分, 最近活动日期."""
    measures = {name: cli_text(f"tally_measure_{name}") for name in MEASURES}
    if column == "last_activity_date":
        return cli_text("tally_measure_last_activity_date")
    if column in measures:
        return cli_text("tally_year_total") + measures[column]
    quarter, measure = column.split("_", 1)
    return cli_text("tally_quarter", q=quarter[1:]) + measures[measure]


async def _run(settings: Settings, *, rebuild: bool) -> int:
    db = database(settings)
    try:
        async with db.session() as session:
            if rebuild:
                try:
                    rows = await tally.rebuild(session)
                    await session.commit()
                except Exception as exc:  # one line for the clerk; the session rolled back
                    await session.rollback()
                    log.debug("tally rebuild failed", exc_info=True)
                    print(cli_text("tally_rebuild_failed", reason=type(exc).__name__), file=sys.stderr)
                    return EXIT_FAILED
                print(cli_text("tally_rebuilt", rows=rows))
                return 0
            rows, mismatches = await tally.check(session)
    finally:
        await db.dispose()
    if not mismatches:
        print(cli_text("tally_consistent", rows=rows))
        return 0
    print(cli_text("tally_inconsistent", count=len(mismatches), rows=rows))
    for item in mismatches[:SHOWN]:
        member = item.number or cli_text("tally_unknown_member", member_id=item.member_id)
        print(cli_text("tally_mismatch_line", year=item.year, member=member,
                       columns="、".join(column_name(c) for c in item.columns)))
    if len(mismatches) > SHOWN:
        print(cli_text("tally_more", count=len(mismatches) - SHOWN))
    print(cli_text("tally_fix_hint"))
    return EXIT_INCONSISTENT
