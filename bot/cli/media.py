"""`python -m bot media check | export`: the photos and voice notes kept on disk (MEDIA_DIR).

`check` lists the files that are not on disk (not fetched yet, given up on, or deleted since), puts
them back in the queue and fetches them now; it exits 1 when some are still missing. `export --case
2026-000123 --out DIR` copies a case's files into DIR for filing, and names those not on disk.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from bot.cli.common import bare_bot, database, fail, say
from bot.cli.parsing import actions, command
from bot.config import Settings
from bot.services import media
from bot.texts import cli_text
from models import MediaFile
from scheduler.media import fetch_due

EXIT_MISSING = 1
SHOWN = 50


def add_parser(subparsers) -> None:  # noqa: ANN001 - argparse's subparsers
    group = actions(command(subparsers, "media", "media"), "media_command")
    command(group, "check", "media_check").set_defaults(async_handler=check, database="write")
    export = command(group, "export", "media_export")
    export.add_argument("--case", required=True, metavar="2026-000123", help=cli_text("help_media_case"))
    export.add_argument("--out", required=True, type=Path, metavar=cli_text("metavar_folder"),
                        help=cli_text("help_media_out"))
    export.set_defaults(async_handler=export_case, database="read")


def status_name(row: MediaFile) -> str:
    status = row.status.value if hasattr(row.status, "value") else str(row.status)
    keys = {"pending": "media_status_pending", "fetching": "media_status_fetching", "failed": "media_status_failed",
            "done": "media_status_gone"}  # done: fetched once, and no longer on disk
    return cli_text(keys.get(status, "media_status_pending"))


async def check(settings: Settings, args: argparse.Namespace) -> int:
    media_dir = Path(settings.media_dir)
    db = database(settings)
    try:
        async with db.session() as session:
            missing = await media.missing(session, media_dir=media_dir)
            await media.fetch_again(session, ids=[row.id for row in missing])
            await session.commit()
        if not missing:
            say("media_all_kept", path=media_dir)
            return 0
        say("media_missing", count=len(missing))
        for row in missing[:SHOWN]:
            say("media_missing_line", owner=row.owner_label, seq=row.seq, kind=row.kind,
                status=status_name(row), error=row.last_error or "")
        async with bare_bot(settings) as bot:
            while (await fetch_due(bot, db, media_dir, limit=20)).done:
                pass  # until a run fetches nothing more
        async with db.session() as session:
            still = await media.missing(session, media_dir=media_dir)
    finally:
        await db.dispose()
    say("media_fetched", count=len(missing) - len(still), left=len(still))
    return EXIT_MISSING if still else 0


async def export_case(settings: Settings, args: argparse.Namespace) -> int:
    media_dir = Path(settings.media_dir)
    db = database(settings)
    try:
        async with db.session() as session:
            case, rows = await media.files_of_case(session, number=args.case.strip())
    finally:
        await db.dispose()
    if case is None:
        return fail("media_case_unknown", EXIT_MISSING, number=args.case)
    args.out.mkdir(parents=True, exist_ok=True)
    copied, absent = 0, []
    for row in rows:
        source = media_dir / row.path if row.path else None
        if source is None or not source.is_file():
            absent.append(row)
            continue
        shutil.copy2(source, args.out / f"{case.number}-{source.name}")
        copied += 1
    say("media_exported", number=case.number, count=copied, path=args.out)
    for row in absent:
        say("media_missing_line", owner=row.owner_label, seq=row.seq, kind=row.kind,
            status=status_name(row), error=row.last_error or "")
    return EXIT_MISSING if absent else 0
