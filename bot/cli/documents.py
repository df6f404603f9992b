"""`python -m bot duty-report …` and `python -m bot digest …`: the Word documents offices file.

    duty-report --year 2026 --member GS0001 --out FILE.docx
    duty-report --year 2026 --all --out-dir DIR [--sector 界别 | --region 地区]
    digest --quarter 2026Q4 --out FILE.docx [--sector 界别 | --region 地区]

Inputs are checked before the database is opened; a file is written only when its document is complete
(through a temporary file beside it, renamed into place). They only read the database.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from tqdm import tqdm

from bot.cli.common import (
    EXIT_BAD_INPUT,
    database,
    fail,
    file_reason,
    output_path,
    parse_quarter,
    say,
    temp_beside,
    writable_file,
    writable_folder,
)
from bot.cli.parsing import command
from bot.config import Settings
from bot.services.digest import build_digest, digest_cases, render_digest
from bot.services.duty_report import (
    MemberNotFound,
    build_duty_report,
    duty_figures,
    filename,
    member_id_of,
    members_in_scope,
)
from bot.services.reminders import DutyPolicy
from bot.services.rules import Quarter, check_year, local_today
from bot.services.scopes import Scope
from bot.texts import cli_text
from models import ScopeKind, utcnow


def add_parsers(subparsers) -> None:  # noqa: ANN001 - argparse's subparsers
    duty = command(subparsers, "duty-report", "duty_report")
    duty.add_argument("--year", required=True, metavar=cli_text("metavar_year"), help=cli_text("help_duty_year"))
    which = duty.add_mutually_exclusive_group(required=True)
    which.add_argument("--member", metavar=cli_text("metavar_member"), help=cli_text("help_duty_member"))
    which.add_argument("--all", action="store_true", help=cli_text("help_duty_all"))
    duty.add_argument("--out", type=Path, metavar=cli_text("metavar_docx"), help=cli_text("help_duty_out"))
    duty.add_argument("--out-dir", type=Path, metavar=cli_text("metavar_folder"), help=cli_text("help_duty_out_dir"))
    _scope_options(duty)
    duty.set_defaults(async_handler=run_duty_report, precheck=check_duty_report, database="read")

    digest = command(subparsers, "digest", "digest")
    digest.add_argument("--quarter", required=True, metavar=cli_text("metavar_quarter"), help=cli_text("help_quarter"))
    digest.add_argument("--out", required=True, type=Path, metavar=cli_text("metavar_docx"),
                        help=cli_text("help_digest_out"))
    _scope_options(digest)
    digest.set_defaults(async_handler=run_digest, precheck=check_digest, database="read")


def _scope_options(parser: argparse.ArgumentParser) -> None:
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--sector", metavar=cli_text("metavar_sector"), help=cli_text("help_scope_sector"))
    scope.add_argument("--region", metavar=cli_text("metavar_region"), help=cli_text("help_scope_region"))


def _scopes(args: argparse.Namespace) -> list[Scope] | None:
    if args.sector:
        return [Scope(ScopeKind.sector, args.sector.strip())]
    if args.region:
        return [Scope(ScopeKind.region, args.region.strip().strip("/"))]
    return None


def _docx(path: Path, option: str) -> Path | int:
    out = output_path(path, option, ".docx", (".docx",))
    if isinstance(out, int):
        return out
    problem = writable_file(out)
    return fail("cli_duty_bad_out", EXIT_BAD_INPUT, path=out, error=problem) if problem else out


def check_duty_report(args: argparse.Namespace) -> int | None:
    """The year, and --member with --out or --all with --out-dir, before the database is opened."""
    text = str(args.year).strip()
    if not (text.isascii() and text.isdigit() and check_year(int(text))):
        return fail("cli_duty_bad_year", value=args.year)
    args.year = int(text)
    if args.all:
        if args.out_dir is None or args.out is not None:
            return fail("cli_duty_need_target")
        problem = writable_folder(args.out_dir)
        if problem:
            return fail("cli_duty_bad_out", EXIT_BAD_INPUT, path=args.out_dir, error=cli_text(problem))
        return None
    if args.out is None or args.out_dir is not None:
        return fail("cli_duty_need_target")
    out = _docx(args.out, "--out")
    if isinstance(out, int):
        return out
    args.out = out
    return None


def check_digest(args: argparse.Namespace) -> int | None:
    quarter = parse_quarter(args.quarter)
    if quarter is None:
        return EXIT_BAD_INPUT
    args.quarter = quarter
    out = _docx(args.out, "--out")
    if isinstance(out, int):
        return out
    args.out = out
    return None


def _write(path: Path, content: bytes, settings: Settings) -> int | None:
    """`content` into `path` through a temporary file beside it; the exit code when it cannot be written."""
    try:
        temp = temp_beside(path)
        try:
            temp.write_bytes(content)
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    except OSError as error:
        return fail("cli_duty_bad_out", EXIT_BAD_INPUT, path=path, error=file_reason(error, settings))
    return None


async def run_duty_report(settings: Settings, args: argparse.Namespace) -> int:
    policy = DutyPolicy.from_settings(settings)
    kind_names = {k.code: k.name for k in settings.activity_kinds}
    now = utcnow()
    today = local_today(now, policy.tz)
    db = database(settings)
    try:
        async with db.session() as session:
            if not args.all:
                try:
                    member_id = await member_id_of(session, args.member)
                except MemberNotFound:
                    return fail("cli_duty_no_member", number=args.member)
                figures = await duty_figures(session, member_id=member_id, year=args.year, today=today, policy=policy,
                                             now=now)
                content = await build_duty_report(figures, kind_names=kind_names,
                                                  generated_at=now.astimezone(policy.tz))
                problem = _write(args.out, content, settings)
                if problem is not None:
                    return problem
                say("cli_duty_done", path=args.out, name=figures.name, number=figures.number,
                    activities=figures.activities, people=figures.people)
                return 0
            members = await members_in_scope(session, scopes=_scopes(args))
            if not members:
                return fail("cli_duty_none")
            args.out_dir.mkdir(parents=True, exist_ok=True)
            bar = tqdm(total=len(members), desc=cli_text("progress_duty"), unit=cli_text("progress_duty_unit"),
                       disable=None, file=sys.stderr)
            with bar:
                for member_id, _, _ in members:
                    figures = await duty_figures(session, member_id=member_id, year=args.year, today=today,
                                                 policy=policy, now=now)
                    content = await build_duty_report(figures, kind_names=kind_names,
                                                      generated_at=now.astimezone(policy.tz))
                    problem = _write(args.out_dir / filename(figures), content, settings)
                    if problem is not None:
                        return problem
                    bar.update(1)
            say("cli_duty_all_done", count=len(members), path=args.out_dir)
            return 0
    finally:
        await db.dispose()


async def run_digest(settings: Settings, args: argparse.Namespace) -> int:
    quarter: Quarter = args.quarter
    now = utcnow()
    scopes = _scopes(args)
    db = database(settings)
    try:
        async with db.session() as session:
            cases = await digest_cases(session, quarter=quarter, tz=settings.tz, scopes=scopes)
    finally:
        await db.dispose()
    digest = await build_digest(cases, quarter=quarter, scopes=scopes, generated_at=now.astimezone(settings.tz))
    problem = _write(args.out, render_digest(digest), settings)
    if problem is not None:
        return problem
    say("cli_digest_done", path=args.out, total=digest.total, themes=len(digest.themes),
        themed=digest.total - digest.single)
    return 0
