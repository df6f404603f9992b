"""A member's duty archive (履职档案): every live activity, as a workbook with quarter subtotals."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.rules import Quarter
from bot.texts import ARCHIVE, ARCHIVE_COLUMNS
from models import Activity, ActivityPhoto

if TYPE_CHECKING:  # openpyxl is imported when an archive is written, not with the bot
    from openpyxl.worksheet.worksheet import Worksheet


async def archive_activities(session: AsyncSession, member_id: int) -> list[Activity]:
    rows = await session.exec(
        select(Activity)
        .where(Activity.member_id == member_id, Activity.deleted_at.is_(None))
        .order_by(Activity.activity_date, Activity.id)
    )
    return list(rows.all())


def archive_xlsx(
    *, member_name: str, member_number: str, sector: str, group: str | None,
    activities: Sequence[Activity], kind_names: Mapping[str, str], photo_counts: Mapping[int, int],
) -> bytes:
    """The duty archive (履职档案) as a workbook: every activity by quarter, quarter subtotals, a total (blocking)."""
    # openpyxl costs ~0.2 s to import; only the archive and the exports need it
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = ARCHIVE["sheet"]
    bold = Font(bold=True)
    sheet.append([ARCHIVE["title"].format(name=member_name, number=member_number)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([ARCHIVE["sector"].format(sector=sector), ARCHIVE["group"].format(group=group or "—")])
    sheet.append([])
    sheet.append(ARCHIVE_COLUMNS)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    total_n = total_people = 0
    total_points = 0.0
    by_quarter: dict[Quarter, list[Activity]] = {}
    for activity in activities:
        by_quarter.setdefault(Quarter(activity.year, activity.quarter), []).append(activity)
    for quarter in sorted(by_quarter):
        items = by_quarter[quarter]
        for a in items:
            sheet.append(_clean_row([quarter.label, a.id, a.activity_date, kind_names.get(a.kind, a.kind), a.place,
                                     a.people, a.points, photo_counts.get(a.id, 0), a.summary]))
            sheet.cell(sheet.max_row, 3).number_format = "yyyy-mm-dd"
            sheet.cell(sheet.max_row, 9).alignment = Alignment(wrap_text=True, vertical="top")
        people = sum(a.people for a in items)
        points = sum(a.points for a in items)
        sheet.append([ARCHIVE["subtotal"].format(quarter=quarter.label), ARCHIVE["count"].format(count=len(items)),
                      None, None, None, people, points])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        total_n += len(items)
        total_people += people
        total_points += points
    sheet.append([ARCHIVE["total"], ARCHIVE["count"].format(count=total_n), None, None, None, total_people,
                  total_points])
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for column, width in zip("ABCDEFGHI", (12, 8, 12, 12, 24, 8, 8, 8, 60), strict=True):
        sheet.column_dimensions[column].width = width
    _as_text(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _clean_row(values: list) -> list:
    """Drop characters an XLSX cell cannot hold (control characters) from user text."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # see archive_xlsx

    return [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]


def _as_text(sheet: Worksheet) -> None:
    """User text is data: a summary starting with "=" must not become a live formula."""
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"


async def photo_counts(session: AsyncSession, activity_ids: Sequence[int]) -> dict[int, int]:
    if not activity_ids:
        return {}
    rows = await session.exec(
        select(ActivityPhoto.activity_id, func.count())
        .where(ActivityPhoto.activity_id.in_(list(activity_ids)))
        .group_by(ActivityPhoto.activity_id)
    )
    return dict(rows.all())  # type: ignore[arg-type] - (activity id, count) rows
