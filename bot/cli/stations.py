"""`python -m bot stations import | list | receptions`: the office's workstations and studios (委员工作站/工作室)
and their reception days (the ids `stations qr --reception` takes)."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.common import EXIT_BAD_INPUT, database, fail, note, print_import, say
from bot.cli.members import check_list_out, show_table
from bot.cli.parsing import actions, columns_help, command, share
from bot.config import Settings
from bot.services import receptions
from bot.services.access import members_numbered
from bot.services.roster import RosterFileError, check_file
from bot.services.roster_import import file_error
from bot.services.rules import local_today, parse_date
from bot.services.stations import (
    STATIONS,
    StationView,
    kind_of,
    list_stations,
    render_station_import,
    run_station_import,
)
from bot.texts import cli_text
from models import ReceptionStatus, StationKind, utcnow


def add_parser(sub):  # noqa: ANN001, ANN201 - argparse's subparsers
    """`stations import|list`; returns the group, where `stations qr` (check-in posters) joins."""
    group = actions(command(sub, "stations", "stations"), "stations_command")
    imp = command(group, "import", "stations_import")
    imp.epilog = cli_text("epilog_stations_import") + "\n\n" + columns_help(
        STATIONS, lambda key: cli_text(f"station_column_{key}"))
    imp.add_argument("file", type=Path, metavar=cli_text("metavar_stations_file"),
                     help=cli_text("help_stations_import_file"))
    imp.add_argument("--dry-run", action="store_true", help=cli_text("help_stations_dry_run"))
    imp.add_argument("--sheet", metavar=cli_text("metavar_sheet"), help=cli_text("help_sheet"))
    imp.add_argument("--deactivate-missing", action="store_true", help=cli_text("help_stations_deactivate_missing"))
    imp.add_argument("--max-deactivate-share", type=share, default=0.2, metavar=cli_text("metavar_percent"),
                     help=cli_text("help_stations_max_deactivate_share"))
    imp.add_argument("--force", action="store_true", help=cli_text("help_force"))
    imp.set_defaults(handler=import_command, database="write", precheck=check_station_file)
    lst = command(group, "list", "stations_list")
    lst.add_argument("--region", metavar=cli_text("metavar_stations_region"), help=cli_text("help_stations_region"))
    lst.add_argument("--kind", type=station_kind, metavar=cli_text("metavar_kind"), help=cli_text("help_stations_kind"))
    lst.add_argument("--member", metavar=cli_text("metavar_number"), help=cli_text("help_stations_member"))
    lst.add_argument("--inactive", action="store_true", help=cli_text("help_stations_inactive"))
    lst.add_argument("--out", type=Path, metavar=cli_text("metavar_table"), help=cli_text("help_stations_list_out"))
    lst.set_defaults(session_handler=list_command, database="read", precheck=check_list_out)
    rec = command(group, "receptions", "stations_receptions")
    rec.add_argument("--station", metavar=cli_text("metavar_number"), help=cli_text("help_receptions_station"))
    rec.add_argument("--from", dest="since", metavar=cli_text("metavar_day"), help=cli_text("help_receptions_from"))
    rec.set_defaults(async_handler=receptions_command, database="read")
    return group


def station_kind(text: str) -> StationKind:
    found = kind_of(text)
    if found is None:
        raise argparse.ArgumentTypeError(cli_text("arg_bad_station_kind", value=text))
    return found


def check_station_file(args: argparse.Namespace) -> int | None:
    """Before the database is opened: the exit code (one line said) when the file is missing or no table file."""
    try:
        check_file(args.file)
    except RosterFileError as exc:
        return fail("stations_cannot_import", EXIT_BAD_INPUT, reason=file_error(exc, STATIONS))
    return None


def import_command(settings: Settings, args: argparse.Namespace) -> int:
    try:
        report = run_station_import(
            settings.database_url, args.file, apply=not args.dry_run, deactivate_missing=args.deactivate_missing,
            sheet=args.sheet, max_deactivate_share=args.max_deactivate_share, force=args.force)
    except RosterFileError as exc:
        return fail("stations_cannot_import", EXIT_BAD_INPUT, reason=file_error(exc, STATIONS))
    text = render_station_import(report, dry_run=args.dry_run, deactivate_missing=args.deactivate_missing,
                                 max_deactivate_share=args.max_deactivate_share)
    return print_import(text)


def table_row(station: StationView) -> list[str]:
    members = "；".join(f"{m.number} {m.name}" for m in station.members)
    state = cli_text("station_state_active") if station.active else cli_text("station_state_inactive")
    return [station.code, station.name, cli_text(f"station_kind_{station.kind.value}"), station.region or "",
            station.address or "", station.phone or "", members, cli_text("stations_six", done=station.six_done),
            state]


async def list_command(session: AsyncSession, args: argparse.Namespace) -> int:
    if args.member and not (await members_numbered(session, [args.member]))[0]:
        return fail("member_not_found", EXIT_BAD_INPUT, number=args.member)
    stations = await list_stations(session, region=args.region, kind=args.kind, member=args.member,
                                   inactive=args.inactive)
    return show_table(args.out, [table_row(s) for s in stations], header="stations_list_header",
                      title=cli_text("stations_sheet_title"),
                      which=cli_text("stations_sheet_inactive") if args.inactive else "", written="stations_written",
                      counted="stations_count")


RECEPTION_STATES = {ReceptionStatus.scheduled: "reception_state_scheduled",
                    ReceptionStatus.held: "reception_state_held",
                    ReceptionStatus.cancelled: "reception_state_cancelled"}


def reception_status(row: receptions.ReceptionRow, now: datetime) -> str:
    if row.status is ReceptionStatus.scheduled and row.ends_at <= now:
        return cli_text("reception_state_over")
    return cli_text(RECEPTION_STATES[row.status])


async def receptions_command(settings: Settings, args: argparse.Namespace) -> int:
    """The reception days from a day on (today by default), of one station or all: id, station, time, member,
    status, sign-ups, check-ins."""
    tz = settings.tz
    now = utcnow()
    today = local_today(now, tz)
    # a listing looks back as well as ahead: a date without a year is this year's, last year's when that would
    # be more than a month ahead (as /log reads dates)
    day = today if args.since is None else parse_date(args.since, today)
    if day is None:
        return fail("receptions_bad_from", EXIT_BAD_INPUT, value=args.since)
    db = database(settings)
    try:
        async with db.session() as session:
            station_id = None
            if args.station is not None:
                station_id = await receptions.station_numbered(session, args.station)
                if station_id is None:
                    return fail("receptions_station_unknown", EXIT_BAD_INPUT, code=args.station.strip())
            rows = await receptions.listing(session, since=datetime.combine(day, datetime.min.time(), tzinfo=tz),
                                            station_id=station_id)
    finally:
        await db.dispose()
    say("receptions_list_header")
    for row in rows:
        start, end = row.starts_at.astimezone(tz), row.ends_at.astimezone(tz)
        print("\t".join([str(row.id), f"{row.station_code} {row.station}", f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}",
                         f"{row.member_number} {row.member}", reception_status(row, now), str(row.signups),
                         str(row.checkins)]))
    note("receptions_count", count=len(rows), day=day.isoformat())
    return 0
