"""/export: members, activities, cases or the summary of a period, as one XLSX, within the reader's scope.

Telegram-free. The rows are read on a blocking connection with a streamed (server-side on
PostgreSQL) result, `CHUNK` rows at a time, and written by openpyxl in write-only mode to a
temporary file, so a province's export never sits in memory: run `write_export` in a thread
(`asyncio.to_thread`). Scope is applied here, in every query: members and activities by
`scopes.member_in_scopes`, cases by `scopes.case_in_scopes` (the rule of who may see a case).
Phones: members' phones in full for admins only; residents' phones on cases are masked for
everyone (`cases.mask_phone`), as everywhere else outside the case's own handler.
"""

from __future__ import annotations

import enum
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, Select, and_, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import sync_engine
from bot.services.cases import mask_phone
from bot.services.media import clock
from bot.services.reminders import DutyPolicy
from bot.services.report import quarter_stats, report_sections
from bot.services.rules import Period, Quarter
from bot.services.scopes import Scope, case_in_scopes, group_key, narrow, within_scopes
from bot.services.sheets import COUNT, POINTS, Sheet, write_xlsx
from bot.services.stats import live_in
from bot.texts import group_label, plain, scope_text, sheet_caption
from models import Activity, ActivityGroup, Case, Member, Reachability, Region, Sector, VoiceNote

CHUNK = 2000  # rows fetched (and buffered) at a time


class ExportSection(str, enum.Enum):
    members = "m"
    activities = "a"
    cases = "c"
    summary = "s"


class ExportPeriod(str, enum.Enum):
    this_quarter = "tq"
    last_quarter = "lq"
    this_year = "ty"
    last_year = "ly"


def begun_quarters(period: Period, today: date) -> list[Quarter]:
    """The quarters of the period that have begun by `today`."""
    if period.quarter:
        return [period.quarter]
    return [Quarter(period.year, q) for q in range(1, 5) if Quarter(period.year, q).first_day <= today]


def resolve_period(choice: ExportPeriod, today: date) -> Period:
    """The period a button names, seen from `today` (in the bot's time zone)."""
    if choice in (ExportPeriod.this_quarter, ExportPeriod.last_quarter):
        quarter = Quarter.of(today)
        if choice is ExportPeriod.last_quarter:
            quarter = quarter.prev()
        return Period(quarter.year, quarter.q)
    return Period(today.year - (1 if choice is ExportPeriod.last_year else 0))


def _stream(connection: Connection, query: Select) -> Iterator[Row]:
    """Rows of `query` from a server-side cursor (where the driver has one), CHUNK at a time."""
    result = connection.execution_options(stream_results=True, yield_per=CHUNK).execute(query)
    try:
        yield from result
    finally:
        result.close()


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return "" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


class _GroupLabels(dict):
    """(group name, level, region path) -> `texts.group_label`, made once per group and committee, not per row."""

    def __missing__(self, key: tuple) -> str:
        label = self[key] = group_label(group_key(*key))
        return label


def member_rows(connection: Connection, *, period: Period, scopes: Sequence[Scope] | None, full_phones: bool,
                level_names: Mapping, bound_names: tuple[str, str], blocked_name: str) -> Iterator[list[object]]:
    """Active members in scope with their activities, 人次, points and last activity in the period, and whether
    the bot can reach them (bound, never bound, or bound but blocked the bot: the report's two figures)."""
    per_member = (
        select(Activity.member_id, func.count(Activity.id).label("n"), func.sum(Activity.people).label("people"),
               func.sum(Activity.points).label("points"), func.max(Activity.activity_date).label("last"),
               func.sum(Activity.verified_people).label("verified"))
        .where(live_in(period))
        .group_by(Activity.member_id)
        .subquery()
    )
    query = (
        select(Member.number, Member.name, Sector.name, ActivityGroup.name, Member.level, Region.path, Member.phone,
               Member.telegram_id, Reachability.telegram_id, per_member.c.n, per_member.c.people, per_member.c.points,
               per_member.c.last, per_member.c.verified)
        .select_from(Member)
        .join(Sector, Sector.id == Member.sector_id)
        .outerjoin(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
        .outerjoin(Region, Region.id == Member.region_id)
        .outerjoin(Reachability, and_(Reachability.telegram_id == Member.telegram_id,
                                      Reachability.blocked_at.is_not(None)))
        .outerjoin(per_member, per_member.c.member_id == Member.id)
        .where(Member.active.is_(True))
        .order_by(Member.number)
    )
    labels = _GroupLabels()
    for (number, name, sector, group, level, region, phone, telegram_id, blocked, n, people, points, last,
         verified) in _stream(connection, within_scopes(query, scopes)):
        yield [number, name, sector, labels[group, level, region], level_names.get(level, str(level)), region or "",
               (phone or "") if full_phones else mask_phone(phone),
               blocked_name if blocked is not None else bound_names[telegram_id is None],
               n or 0, int(people or 0), round(float(points or 0), 2), last.isoformat() if last else "",
               int(verified or 0)]


def activity_rows(connection: Connection, *, period: Period, scopes: Sequence[Scope] | None,
                  kind_names: Mapping[str, str], tz: ZoneInfo) -> Iterator[list[object]]:
    """Every live activity of the period by an active member in scope, by date; its voice notes counted."""
    voices = select(func.count()).where(VoiceNote.activity_id == Activity.id).correlate(Activity).scalar_subquery()
    query = (
        select(Activity.id, Activity.activity_date, Activity.year, Activity.quarter, Member.number, Member.name,
               Sector.name, ActivityGroup.name, Member.level, Region.path, Activity.kind, Activity.place,
               Activity.people, Activity.points, Activity.summary, Activity.created_at, voices,
               Activity.verified_people)
        .select_from(Activity)
        .join(Member, Member.id == Activity.member_id)
        .join(Sector, Sector.id == Member.sector_id)
        .outerjoin(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
        .outerjoin(Region, Region.id == Member.region_id)
        .where(live_in(period), Member.active.is_(True))
        .order_by(Activity.activity_date, Activity.id)
    )
    labels = _GroupLabels()
    for (activity_id, day, year, quarter, number, name, sector, group, level, region, kind, place, people, points,
         summary, created, voice_count, verified) in _stream(connection, within_scopes(query, scopes)):
        yield [activity_id, day.isoformat(), f"{year}Q{quarter}", number, name, sector, labels[group, level, region],
               kind_names.get(kind, kind), place, people, round(float(points), 2), summary, _local(created, tz),
               int(voice_count or 0), verified or 0]


def case_rows(connection: Connection, *, period: Period, scopes: Sequence[Scope] | None,
              status_names: Mapping[str, str], tz: ZoneInfo) -> Iterator[list[object]]:
    """Cases received in the period (days in `tz`) that the reader's scope covers; residents' phones masked;
    the voice notes (intake and relays) counted, with their total length."""
    voices = select(func.count()).where(VoiceNote.case_id == Case.id).correlate(Case).scalar_subquery()
    seconds = (select(func.coalesce(func.sum(VoiceNote.duration), 0)).where(VoiceNote.case_id == Case.id)
               .correlate(Case).scalar_subquery())
    query = (
        select(Case.number, Case.created_at, Case.category, Case.status, Region.path, Case.place_text, Member.number,
               Member.name, Sector.name, Case.requester_name, Case.phone, Case.requester_phone, Case.accepted_at,
               Case.resolved_at, Case.closed_at, Case.rating, Case.reopen_count, voices, seconds, Case.description,
               Case.forgotten_at)
        .select_from(Case)
        .outerjoin(Member, Member.id == Case.member_id)
        .outerjoin(Sector, Sector.id == Member.sector_id)
        .outerjoin(Region, Region.id == Case.region_id)
        .where(Case.created_at >= period.start(tz), Case.created_at < period.end(tz))
        .order_by(Case.created_at, Case.id)
    )
    for (number, created, category, status, region, place, m_number, m_name, sector, requester, phone,
         requester_phone, accepted, resolved, closed, rating, reopened, voice_count, voice_seconds,
         description, forgotten) in _stream(
        connection, narrow(query, case_in_scopes(scopes))
    ):
        state = getattr(status, "value", status)
        yield [number, _local(created, tz), category, status_names.get(state, state), region or "", place or "",
               m_number or "", m_name or "", sector or "",
               plain("forget_placeholder") if forgotten else requester or "", mask_phone(phone or requester_phone),
               _local(accepted, tz), _local(resolved, tz), _local(closed, tz), rating if rating is not None else "",
               reopened, int(voice_count or 0), clock(int(voice_seconds or 0)) if voice_count else "", description]


async def summary_sheets(session: AsyncSession, *, period: Period, today: date, policy: DutyPolicy,
                         scopes: Sequence[Scope] | None, kind_names: Mapping[str, str],
                         now: datetime | None = None) -> list[Sheet]:
    """The quarterly report's sections (`report.report_sections`) for each begun quarter of the period.

    A year gives each of its quarters' sections, titled with the quarter (`2026Q1 委员概况`).
    """
    sheets: list[Sheet] = []
    for quarter in begun_quarters(period, today):
        stats = await quarter_stats(session, quarter=quarter, today=today, policy=policy, scopes=scopes, now=now)
        prefix = "" if period.q else f"{quarter.label} "
        sheets += [replace(s, title=prefix + s.title) for s in report_sections(stats, kind_names=kind_names)]
    return sheets


@dataclass(frozen=True)
class ExportRequest:
    section: ExportSection
    period: Period
    scopes: list[Scope] | None  # None: everything (admins)
    full_phones: bool  # admins see members' phones in full
    at: datetime | None = None  # when it was asked for (the title line's 生成于); None: the clock


# per section: the columns holding numbers (their format), the columns that add up, the totals row's label key
LAYOUT: dict[ExportSection, tuple[dict[int, str], list[int], str]] = {
    ExportSection.members: ({8: COUNT, 9: COUNT, 10: POINTS, 12: COUNT}, [8, 9, 10, 12], "total_members"),
    ExportSection.activities: ({9: COUNT, 10: POINTS, 13: COUNT, 14: COUNT}, [9, 10, 13, 14], "total_activities"),
    ExportSection.cases: ({14: COUNT, 15: COUNT, 16: COUNT}, [15, 16], "total_cases"),
}


def write_export(database_url: str, request: ExportRequest, *, names: Mapping[str, object], tz: ZoneInfo,
                 kind_names: Mapping[str, str], summary_sheets: Sequence[Sheet] = ()) -> tuple[Path, int]:
    """Build the export into a new temporary file (blocking: run in a thread); the caller removes the file.

    `names` holds the sheet titles, headers and value names (from the text catalogue); the
    summary's sheets are built by the caller from `report.report_sections` (already small).
    """
    handle = tempfile.NamedTemporaryFile(prefix="lianxin-export-", suffix=".xlsx", delete=False)
    handle.close()
    path = Path(handle.name)
    try:
        if request.section is ExportSection.summary:
            return path, write_xlsx(path, summary_sheets)
        engine = sync_engine(database_url)
        try:
            with engine.connect() as connection:
                sheet = _section_sheet(connection, request, names=names, tz=tz, kind_names=kind_names)
                return path, write_xlsx(path, [sheet])
        finally:
            engine.dispose()
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _section_sheet(connection: Connection, request: ExportRequest, *, names: Mapping[str, object], tz: ZoneInfo,
                   kind_names: Mapping[str, str]) -> Sheet:
    section, period, scopes = request.section, request.period, request.scopes
    if section is ExportSection.members:
        rows = member_rows(connection, period=period, scopes=scopes, full_phones=request.full_phones,
                           level_names=names["levels"], bound_names=names["bound"],  # type: ignore[arg-type] - the catalogue's mixed dict
                           blocked_name=str(names["blocked"]))
    elif section is ExportSection.activities:
        rows = activity_rows(connection, period=period, scopes=scopes, kind_names=kind_names, tz=tz)
    else:
        rows = case_rows(connection, period=period, scopes=scopes, status_names=names["statuses"], tz=tz)  # type: ignore[arg-type] - the catalogue's mixed dict
    title = str(names[f"sheet_{section.name}"])
    numbers, totals, total_label = LAYOUT[section]
    at = (request.at or datetime.now(tz)).astimezone(tz)
    caption = sheet_caption(title, period.cn_label, scope_text(scopes), at=at)
    return Sheet(title, names[f"cols_{section.name}"], rows, caption=caption, numbers=numbers, totals=totals,  # type: ignore[arg-type] - the catalogue's mixed dict
                 total_label=str(names[total_label]))

