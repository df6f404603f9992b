"""`python -m bot report --quarter 2026Q3 --out FILE.xlsx [--chart FILE.png|.jpg]`: the quarterly report for everything.

Inputs are checked first; the files are written only when the report is complete.
"""

from __future__ import annotations

import argparse
import asyncio
import io
from pathlib import Path

from bot.cli.common import EXIT_BAD_INPUT, database, fail, file_reason, output_path, parse_quarter, say, writable_file
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


# what --chart may be: the chart is drawn as PNG, and Pillow turns it into a JPEG
CHART_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def run(settings: Settings, args: argparse.Namespace) -> int:
    quarter = parse_quarter(args.quarter)
    if quarter is None:
        return EXIT_BAD_INPUT
    out = output_path(args.out, "--out", ".xlsx", (".xlsx",))
    chart = output_path(args.chart, "--chart", ".png", tuple(CHART_FORMATS)) if args.chart else None
    if isinstance(out, int) or isinstance(chart, int):
        return EXIT_BAD_INPUT
    args.out, args.chart = out, chart
    for path in filter(None, (args.out, args.chart)):
        problem = writable_file(path)
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
    chart = chart_bytes(report.png, CHART_FORMATS[args.chart.suffix.lower()]) if args.chart else b""
    try:
        args.out.write_bytes(report.xlsx)
        if args.chart:
            args.chart.write_bytes(chart)
    except OSError as error:
        return fail("cli_report_bad_out", EXIT_BAD_INPUT, path=args.out, error=file_reason(error, settings))
    activities = sum(row.activities for row in stats.by_kind)
    say("cli_report_done", path=args.out, members=stats.members, activities=activities)
    if args.chart:
        say("cli_report_chart", path=args.chart)
    return 0


def chart_bytes(png: bytes, image_format: str) -> bytes:
    """The chart in `image_format`: the PNG as drawn, or a JPEG of it on white (JPEG has no transparency)."""
    if image_format == "PNG":
        return png
    from PIL import Image  # Pillow only when a JPEG is asked for

    with Image.open(io.BytesIO(png)) as image:
        flat = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        buffer = io.BytesIO()
        flat.save(buffer, format="JPEG", quality=92, dpi=image.info.get("dpi", (150, 150)))
    return buffer.getvalue()
