"""`python -m bot members invites | cards`: one-time invite codes and 找我反映 cards, as files.

Both check their outputs before anything is made, write every file under a temporary name,
commit, and only then put the files in place: a failure half-way leaves the old codes and
links working and no new ones.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import os
import sys
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from bot.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_DATABASE,
    database,
    fail,
    file_reason,
    log,
    make_dirs,
    note,
    refused_numbers,
    say,
    temp_beside,
    username_or_fail,
    writable_folder,
)
from bot.cli.parsing import command
from bot.config import Settings
from bot.logs import short_error
from bot.services.access import CodesOutstanding, NumbersRefused, issue_invites
from bot.services.cards import card_file_name, invite_file_name, invite_slip_png, member_card_png, member_links
from bot.services.cases import link_payload
from bot.texts import cli_text


def add_parsers(members) -> None:  # noqa: ANN001 - the `members` group's subparsers
    inv = command(members, "invites", "invites")
    inv.add_argument("--out", type=Path, metavar=cli_text("metavar_csv"), help=cli_text("help_out"))
    inv.add_argument("--qr-dir", type=Path, metavar=cli_text("metavar_folder"), help=cli_text("help_qr_dir"))
    inv.add_argument("--member", action="append", metavar=cli_text("metavar_number"), help=cli_text("help_member"))
    inv.add_argument("--replace", action="store_true", help=cli_text("help_replace"))
    inv.set_defaults(async_handler=invites, database="write")
    cards = command(members, "cards", "cards")
    cards.add_argument("--out-dir", type=Path, required=True, metavar=cli_text("metavar_folder"),
                       help=cli_text("help_cards_out_dir"))
    cards.add_argument("--member", action="append", metavar=cli_text("metavar_number"), help=cli_text("help_member"))
    cards.add_argument("--rotate", action="store_true", help=cli_text("help_cards_rotate"))
    cards.set_defaults(async_handler=member_cards, database="write")


def check_outputs(out: Path | None, qr_dir: Path | None) -> tuple[str, dict] | None:
    """Every output path checked before a single code is made: (text key, values) of the first problem."""
    if out is not None:
        if out.is_dir():
            return "out_is_folder", {"path": out}
        if out.exists():
            return "out_exists", {"path": out}
        if out.suffix.lower() != ".csv":
            return "out_not_csv", {"path": out}
        problem = writable_folder(out.parent)
        if problem:
            return problem, {"path": out.parent, "option": "--out"}
    if qr_dir is not None:
        if qr_dir.exists() and not qr_dir.is_dir():
            return "qr_not_folder", {"path": qr_dir}
        problem = writable_folder(qr_dir)
        if problem:
            return problem, {"path": qr_dir, "option": "--qr-dir"}
    return None


def _discard(temps: list[Path], made: list[Path]) -> None:
    """Remove every file and folder a run started (nothing was stored)."""
    for temp in temps:
        with contextlib.suppress(OSError):
            temp.unlink()
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            folder.rmdir()


async def invites(settings: Settings, args: argparse.Namespace) -> int:
    """Issue codes: outputs checked, codes made in the session, files written, then commit, then files in place."""
    problem = check_outputs(args.out, args.qr_dir)
    if problem is not None:
        return fail(problem[0], EXIT_BAD_INPUT, **problem[1])
    username = await username_or_fail(settings)
    if isinstance(username, int):
        return username

    db = database(settings)
    temps: list[Path] = []
    made_dirs: list[Path] = []
    committed = False
    try:
        async with db.session() as session:
            try:
                batch = await issue_invites(session, ttl_days=settings.invite_ttl_days, numbers=args.member,
                                            replace=args.replace)
            except NumbersRefused as exc:
                return fail("invites_unknown_members", EXIT_BAD_INPUT, numbers=refused_numbers(exc))
            except CodesOutstanding as exc:
                return fail("invites_need_replace", EXIT_BAD_INPUT, numbers="、".join(exc.numbers), codes=exc.codes)
            if not batch.issued:
                await session.rollback()
                if batch.skipped:
                    note("invites_skipped", count=len(batch.skipped))
                say("invites_none")
                return 0
            if batch.replaced:
                note("invites_will_replace", codes=batch.replaced, members=batch.replaced_members)
            rows = [
                (i.number, i.name, i.code, f"https://t.me/{username}?start={i.code}",
                 i.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"))
                for i in batch.issued
            ]
            header = tuple(cli_text("invites_header").split(","))
            try:
                moves = _write_invite_files(args, rows, header, temps, made_dirs)
            except OSError as exc:
                await session.rollback()
                return fail("invites_write_failed", EXIT_BAD_INPUT, reason=file_reason(exc, settings))
            try:
                await session.commit()
            except DBAPIError as exc:
                log.debug("commit failed", exc_info=True)
                return fail("invites_commit_failed", EXIT_DATABASE, reason=short_error(exc))
            committed = True
    finally:
        await db.dispose()
        if not committed:
            _discard(temps, made_dirs)

    for temp, target in moves:
        try:
            os.replace(temp, target)
        except OSError as exc:  # the codes are committed: say where the file is rather than lose it
            return fail("invites_move_failed", EXIT_BAD_INPUT, temp=temp, target=target,
                        reason=file_reason(exc, settings))
    note("invites_done", count=len(rows), days=settings.invite_ttl_days, until=rows[0][4])
    if batch.replaced:
        note("invites_replaced", codes=batch.replaced, members=batch.replaced_members)
    if batch.skipped:
        note("invites_skipped", count=len(batch.skipped))
    if args.out:
        note("invites_written", path=args.out)
    if args.qr_dir:
        note("invites_qr_written", path=args.qr_dir, count=len(rows))
    return 0


def _write_invite_files(args: argparse.Namespace, rows: list[tuple], header: tuple, temps: list[Path],
                        made_dirs: list[Path]) -> list[tuple[Path, Path]]:
    """Write the CSV (or stdout) and the QR codes to temporary names; [(temp, final)] to move after commit."""
    moves: list[tuple[Path, Path]] = []
    if args.out:
        make_dirs(args.out.parent, made_dirs)
        temp = temp_beside(args.out)
        temps.append(temp)
        with temp.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
            handle.flush()
            os.fsync(handle.fileno())
        moves.append((temp, args.out))
    if args.qr_dir:
        make_dirs(args.qr_dir, made_dirs)
        for number, name, _code, link, expires in rows:
            target = args.qr_dir / invite_file_name(number=number, name=name)
            if target.is_dir():
                raise IsADirectoryError(str(target))
            temp = temp_beside(target)
            temps.append(temp)
            with temp.open("wb") as handle:
                handle.write(invite_slip_png(name=name, number=number, until=expires, link=link))
            moves.append((temp, target))
    if not args.out:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        sys.stdout.write(buffer.getvalue())
        sys.stdout.flush()
    return moves


async def member_cards(settings: Settings, args: argparse.Namespace) -> int:
    """找我反映 cards: the folder checked first, links made in the session, files written, commit, files in place."""
    out: Path = args.out_dir
    if out.exists() and not out.is_dir():
        return fail("qr_not_folder", path=out)
    problem = writable_folder(out)
    if problem:
        return fail(problem, path=out, option="--out-dir")
    index = out / "links.csv"
    # cards for some members: the other members' rows of links.csv stay as they are
    kept = _link_rows(index) if args.member else {}
    if kept is None:
        return fail("cards_links_unreadable", EXIT_BAD_INPUT, path=index)
    username = await username_or_fail(settings)
    if isinstance(username, int):
        return username
    db = database(settings)
    temps: list[Path] = []
    made: list[Path] = []
    try:
        async with db.session() as session:
            try:
                links = await member_links(session, numbers=args.member, rotate=args.rotate)
            except NumbersRefused as exc:
                return fail("cards_unknown_members", EXIT_BAD_INPUT, numbers=refused_numbers(exc))
            moves: list[tuple[Path, Path]] = []
            make_dirs(out, made)
            rows = {**kept, **{number: [number, name, f"https://t.me/{username}?start={link_payload(token)}"]
                               for number, name, _sector, token in links}}
            temp = temp_beside(index)
            temps.append(temp)
            with temp.open("w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(cli_text("cards_header").split(","))
                writer.writerows(rows[number] for number in sorted(rows))
            moves.append((temp, index))
            for number, name, sector, token in links:
                target = out / card_file_name(number=number, name=name)
                temp = temp_beside(target)
                temps.append(temp)
                temp.write_bytes(member_card_png(
                    name=name, sector=sector, link=f"https://t.me/{username}?start={link_payload(token)}"))
                moves.append((temp, target))
            await session.commit()
    except BaseException:
        _discard(temps, made)
        raise
    finally:
        await db.dispose()
    for temp, target in moves:
        temp.replace(target)
    say("cards_done", count=len(links), path=out)
    if args.rotate:
        note("cards_rotated")
    return 0


def _link_rows(index: Path) -> dict[str, list[str]] | None:
    """The rows of an existing links.csv by 编号 ({} when there is none); None when it is not one this
    command wrote (another header, or not text), so that nothing of it is lost by a rewrite."""
    if not index.exists():
        return {}
    try:
        with index.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError):
        return None
    if not rows or rows[0] != cli_text("cards_header").split(","):
        return None
    return {row[0]: row for row in rows[1:] if row and row[0]}
