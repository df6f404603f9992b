"""`python -m bot members import | list | revoke`: the roster (codes and cards: `invites.py`)."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession
from tqdm import tqdm

from bot.cli.common import (
    EXIT_BAD_INPUT,
    fail,
    file_reason,
    note,
    output_path,
    print_import,
    say,
    temp_beside,
    writable_file,
)
from bot.cli.parsing import columns_help, command, share
from bot.config import Settings
from bot.services.access import MemberRow, NotFound, list_members, revoke_member
from bot.services.roster import ROSTER, RosterFileError, check_file
from bot.services.roster_import import file_error, render_import, run_import
from bot.services.sheets import Sheet, write_xlsx
from bot.texts import LEVEL_NAMES, cli_text, sheet_caption


def add_parsers(members) -> None:  # noqa: ANN001 - the `members` group's subparsers
    imp = command(members, "import", "import")
    imp.epilog = cli_text("epilog_import") + "\n\n" + columns_help(ROSTER, lambda key: cli_text(f"import_column_{key}"))
    imp.add_argument("file", type=Path, metavar=cli_text("metavar_roster"), help=cli_text("help_import_file"))
    imp.add_argument("--dry-run", action="store_true", help=cli_text("help_dry_run"))
    imp.add_argument("--sheet", metavar=cli_text("metavar_sheet"), help=cli_text("help_sheet"))
    imp.add_argument("--deactivate-missing", action="store_true", help=cli_text("help_deactivate_missing"))
    imp.add_argument("--max-deactivate-share", type=share, default=0.2, metavar=cli_text("metavar_percent"),
                     help=cli_text("help_max_deactivate_share"))
    imp.add_argument("--force", action="store_true", help=cli_text("help_force"))
    # a dry run may create the database, so that a first try on a fresh install works; not for a file that
    # cannot be a roster (a typo in its name would leave an empty database behind)
    imp.set_defaults(handler=import_members, database="write", precheck=check_roster_file)
    lst = command(members, "list", "members_list")
    lst.add_argument("--unbound", action="store_true", help=cli_text("help_unbound"))
    lst.add_argument("--out", type=Path, metavar=cli_text("metavar_table"), help=cli_text("help_members_list_out"))
    lst.set_defaults(session_handler=list_command, database="read", precheck=check_list_out)


def add_revoke_parser(members) -> None:  # noqa: ANN001 - listed after invites and cards in the help
    rev = command(members, "revoke", "revoke")
    rev.add_argument("number", metavar=cli_text("metavar_number"))
    rev.set_defaults(session_handler=revoke_command, database="write")


def check_roster_file(args: argparse.Namespace) -> int | None:
    """Before the database is opened: the exit code (one line said) when the file is missing or no roster file."""
    try:
        check_file(args.file)
    except RosterFileError as exc:
        return fail("roster_cannot_import", EXIT_BAD_INPUT, reason=file_error(exc))
    return None


def import_members(settings: Settings, args: argparse.Namespace) -> int:
    bar = tqdm(desc=cli_text("progress_import"), unit=cli_text("progress_unit"), disable=None, file=sys.stderr)
    try:
        report = run_import(
            settings.database_url, args.file, apply=not args.dry_run, deactivate_missing=args.deactivate_missing,
            sheet=args.sheet, max_deactivate_share=args.max_deactivate_share, force=args.force, progress=bar.update,
        ).report
    except RosterFileError as exc:
        return fail("roster_cannot_import", EXIT_BAD_INPUT, reason=file_error(exc))
    finally:
        bar.close()

    text = render_import(report, dry_run=args.dry_run, deactivate_missing=args.deactivate_missing,
                         max_deactivate_share=args.max_deactivate_share)
    return print_import(text)


def check_list_out(args: argparse.Namespace) -> int | None:
    """--out: a .csv or .xlsx file (.xlsx added to a name without extension) in a folder that exists."""
    if args.out is None:
        return None
    out = output_path(args.out, "--out", ".xlsx", (".csv", ".xlsx"))
    if isinstance(out, int):
        return out
    problem = writable_file(out)
    if problem:
        return fail("out_write_failed", EXIT_BAD_INPUT, path=out, error=problem)
    args.out = out
    return None


async def list_command(session: AsyncSession, args: argparse.Namespace) -> int:
    rows = await list_members(session, unbound_only=args.unbound)
    table = [[r.number, r.name, r.sector, r.group or "", LEVEL_NAMES[r.level], r.region or "", _state(r)]
             for r in rows]
    return show_table(args.out, table, header="members_list_header", title=cli_text("members_sheet_title"),
                      which=cli_text("members_sheet_unbound") if args.unbound else "", written="members_written",
                      counted="members_count")


def _state(row: MemberRow) -> str:
    if row.bound:
        return cli_text("state_bound")
    return cli_text("state_inactive") if not row.active else cli_text("state_unbound")


def show_table(out: Path | None, rows: list[list[str]], *, header: str, title: str, which: str, written: str,
               counted: str) -> int:
    """A list command's rows: tab-separated on the terminal under the `header` text, or in the `--out` file
    (`write_table`, titled `title`, `which` in its caption); one Chinese line when the file can't be written."""
    if out is not None:
        try:
            write_table(out, cli_text(header).split("\t"), rows, title=title,
                        caption=sheet_caption(title, which, at=datetime.now().astimezone()))
        except OSError as exc:
            return fail("out_write_failed", EXIT_BAD_INPUT, path=out, error=file_reason(exc))
        say(written, path=out, count=len(rows))
        return 0
    say(header)
    for line in rows:
        print("\t".join(value or "-" for value in line))
    note(counted, count=len(rows))
    return 0


def write_table(path: Path, headers: list[str], rows: list[list[str]], *, caption: str, title: str | None = None
                ) -> None:
    """A header and rows as .csv (UTF-8 with the BOM Windows Excel needs to show Chinese; a table for programs,
    so no title line) or as a print-ready .xlsx under `caption` (its sheet named `title`, else 委员名单), written to
    a temporary name beside `path` and then put in place: a failure leaves no half file."""
    temp = temp_beside(path)
    try:
        if path.suffix.lower() == ".csv":
            with temp.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(headers)
                writer.writerows(rows)
        else:
            write_xlsx(temp, [Sheet(title or cli_text("members_sheet_title"), headers, rows, caption=caption)])
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)


async def revoke_command(session: AsyncSession, args: argparse.Namespace) -> int:
    """Unbind a member's account and revoke their open codes, in one commit."""
    try:
        result = await revoke_member(session, args.number)
    except NotFound:
        return fail("member_not_found", EXIT_BAD_INPUT, number=args.number)
    number, name = result.member.number, result.member.name
    if not result.changed:
        await session.rollback()
        return fail("revoke_nothing", EXIT_BAD_INPUT, number=number, name=name)
    await session.commit()
    if result.unbound_telegram_id is not None:
        say("revoke_unbound", number=number, name=name, telegram_id=result.unbound_telegram_id,
            codes=result.codes_revoked)
    else:
        say("revoke_codes_only", number=number, name=name, codes=result.codes_revoked)
    return 0
