"""A member's duty archive (履职档案): every live activity, as a workbook with quarter subtotals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.rules import Quarter
from bot.services.sheets import COUNT, POINTS, Emphasis, Sheet, xlsx_bytes
from bot.texts import ARCHIVE, ARCHIVE_COLUMNS, sheet_caption
from models import Activity, ActivityPhoto


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
    generated_at: datetime,
) -> bytes:
    """The duty archive (履职档案) as a workbook: every activity by quarter, quarter subtotals, a total (blocking);
    each with its 人次 and, of them, those checked in at the door of a reception day (其中扫码核实).

    Written by the one spreadsheet writer (`sheets.write_xlsx`): title line, print setup and number formats
    as every other sheet; the subtotals and the total are bold rows of its own."""
    rows: list[Sequence[object]] = []
    by_quarter: dict[Quarter, list[Activity]] = {}
    for activity in activities:
        by_quarter.setdefault(Quarter(activity.year, activity.quarter), []).append(activity)

    def sums(label: str, items: Sequence[Activity]) -> Emphasis:
        """A bold row: the count, 人次, of them checked in at the door, and points of `items`."""
        return Emphasis([label, ARCHIVE["count"].format(count=len(items)), None, None, None,
                         sum(a.people for a in items), sum(a.verified_people or 0 for a in items),
                         sum(a.points for a in items), None, None])

    for quarter in sorted(by_quarter):
        items = by_quarter[quarter]
        rows += [[quarter.label, a.id, a.activity_date, kind_names.get(a.kind, a.kind), a.place, a.people,
                  a.verified_people or 0, a.points, photo_counts.get(a.id, 0), a.summary] for a in items]
        rows.append(sums(ARCHIVE["subtotal"].format(quarter=quarter.label), items))
    rows.append(sums(ARCHIVE["total"], activities))
    quarters = sorted(by_quarter)
    span = (ARCHIVE["span"].format(first=quarters[0].cn_label, last=quarters[-1].cn_label) if quarters else "")
    caption = sheet_caption(ARCHIVE["title"].format(name=member_name, number=member_number),
                            ARCHIVE["sector"].format(sector=sector), ARCHIVE["group"].format(group=group or "—"),
                            span, at=generated_at)
    return xlsx_bytes([Sheet(ARCHIVE["sheet"], ARCHIVE_COLUMNS, rows, caption=caption,
                             numbers={5: COUNT, 6: COUNT, 7: POINTS, 8: COUNT})])


async def photo_counts(session: AsyncSession, activity_ids: Sequence[int]) -> dict[int, int]:
    if not activity_ids:
        return {}
    rows = await session.exec(
        select(ActivityPhoto.activity_id, func.count())
        .where(ActivityPhoto.activity_id.in_(list(activity_ids)))
        .group_by(ActivityPhoto.activity_id)
    )
    return dict(rows.all())  # type: ignore[arg-type] - (activity id, count) rows
