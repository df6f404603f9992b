"""`python -m bot stations qr --reception ID --out FILE.png`: a reception day's A5 check-in poster.

The output is checked first; a new token is made in the session, the poster written under a temporary
name, then the token committed, then the file put in place: a failure half-way leaves the old token working.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

from bot.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_DATABASE,
    database,
    fail,
    file_reason,
    output_path,
    say,
    temp_beside,
    username_or_fail,
    writable_file,
)
from bot.cli.parsing import command
from bot.config import Settings
from bot.services.cards import checkin_poster_png
from bot.services.checkin import CheckinPolicy, checkin_payload, issue_token, reception_view
from bot.texts import cli_text
from models import ReceptionStatus, utcnow


def add_qr_parser(group) -> None:  # noqa: ANN001 - the `stations` group's actions
    qr = command(group, "qr", "checkin_qr")
    qr.add_argument("--reception", type=int, required=True, metavar=cli_text("metavar_reception"),
                    help=cli_text("help_reception"))
    qr.add_argument("--out", type=Path, required=True, metavar=cli_text("metavar_png"),
                    help=cli_text("help_poster_out"))
    qr.set_defaults(async_handler=poster, database="write")


async def poster(settings: Settings, args: argparse.Namespace) -> int:
    out = output_path(args.out, "--out", ".png", (".png",))
    if isinstance(out, int):
        return EXIT_BAD_INPUT
    problem = writable_file(out)
    if problem:
        return fail("checkin_qr_out_bad", EXIT_BAD_INPUT, path=out, error=problem)
    username = await username_or_fail(settings)
    if isinstance(username, int):
        return username
    policy = CheckinPolicy.from_settings(settings)
    db = database(settings)
    temp: Path | None = None
    try:
        async with db.session() as session:
            view = await reception_view(session, args.reception)
            if view is None:
                return fail("checkin_qr_unknown", EXIT_BAD_INPUT, id=args.reception)
            if view.reception.status != ReceptionStatus.scheduled or utcnow() >= policy.closes_at(view.reception):
                return fail("checkin_qr_over", EXIT_BAD_INPUT, id=args.reception)
            token = await issue_token(session, reception=view.reception, now=utcnow())
            png = checkin_poster_png(station=view.station.name, span=view.span(policy.tz), topic=view.reception.topic,
                                     link=f"https://t.me/{username}?start={checkin_payload(token)}")
            try:
                temp = temp_beside(out)
                temp.write_bytes(png)
            except OSError as exc:
                await session.rollback()
                return fail("checkin_qr_out_bad", EXIT_BAD_INPUT, path=out, error=file_reason(exc, settings))
            try:
                await session.commit()
            except Exception:  # noqa: BLE001 - the database refused: nothing changed, the file is dropped
                return fail("checkin_qr_commit_failed", EXIT_DATABASE)
            os.replace(temp, out)
            temp = None
    finally:
        await db.dispose()
        if temp is not None:
            with contextlib.suppress(OSError):
                temp.unlink()
    say("checkin_qr_done", path=out, station=view.station.name, span=view.span(policy.tz))
    return 0
