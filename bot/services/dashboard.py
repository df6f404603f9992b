"""The dashboard's own queries (the Telegram Mini App, handlers/webapp/): what /stats does not already count.

Telegram-free, scoped exactly as /stats (`stats.within`, `outreach.in_scope`): the case flow of a period
(accepted, median hours to accept and to resolve), a member's year (duty record per quarter, the year's
activities and cases, and its duty report under the same scope rule) and the stations' board
(`stations.station_stats`, the rows /stats' 🏠 工作站 shows, with its totals). Every other figure the
dashboard shows is `stats.stats_summary`, `stats.breakdown`, `outreach.laggard_page` and
`queue.case_queue`, the same calls the chat makes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, extract, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_of
from bot.services.access import MemberProfile, member_profile
from bot.services.activities import standing
from bot.services.cases import mask_phone
from bot.services.duty_report import DutyFigures, duty_figures
from bot.services.outreach import OutOfScope, in_scope
from bot.services.reminders import DutyPolicy
from bot.services.rules import Period, Quarter
from bot.services.scopes import Scope
from bot.services.stations import StationStat, station_stats
from bot.services.stats import within
from models import Activity, Case, CaseStatus, Member

MEMBER_ACTIVITIES = 100  # a member's page lists at most this many activities of the year (newest first)
MEMBER_CASES = 100
CHART_BARS = 25  # the stations' chart: at most this many bars, the rest summed in the last (as the report's charts)


def hours_between(session: AsyncSession, start: ColumnElement, end: ColumnElement) -> ColumnElement[float]:
    """Hours from `start` to `end` in SQL (as /ranking's medians count them)."""
    if dialect_of(session) == "postgresql":
        return extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


@dataclass(frozen=True)
class CaseFlow:
    """Cases received in the period with their handler in scope (as `stats.case_figures`): how fast they moved."""

    accepted: int
    median_hours_to_accept: float | None
    median_hours_to_resolve: float | None


async def case_flow(session: AsyncSession, *, period: Period, tz: ZoneInfo,
                    scopes: Sequence[Scope] | None = None) -> CaseFlow:
    """Accepted count and the medians (window functions, one statement each) over the scope's cases."""
    received = and_(Case.created_at >= period.start(tz), Case.created_at < period.end(tz))

    def cases_of(*columns: ColumnElement) -> object:
        return within(sa_select(*columns).select_from(Case).outerjoin(Member, Member.id == Case.member_id)
                      .where(received), scopes, None)

    accepted = (await session.exec(cases_of(func.count(Case.accepted_at)))).one()[0]

    async def median(stamp: ColumnElement) -> float | None:
        hours = cases_of(hours_between(session, Case.created_at, stamp).label("h")) \
            .where(stamp.is_not(None)).subquery("hours")
        ranked = sa_select(hours.c.h, func.row_number().over(order_by=hours.c.h).label("rn"),
                           func.count().over().label("n")).subquery("ranked")
        middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
        value = (await session.exec(sa_select(func.avg(ranked.c.h)).where(middle))).one()[0]
        return float(value) if value is not None else None

    return CaseFlow(int(accepted), await median(Case.accepted_at), await median(Case.resolved_at))


@dataclass(frozen=True)
class QuarterRecord:
    quarter: int
    activities: int
    people: int
    points: float
    verified: int = 0  # of `people`, checked in at the door of a reception day (扫码核实)


@dataclass(frozen=True)
class ActivityItem:
    day: date
    kind: str
    people: int


@dataclass(frozen=True)
class CaseItem:
    id: int
    number: str
    category: str
    status: CaseStatus
    created_at: datetime


@dataclass(frozen=True)
class MemberYear:
    profile: MemberProfile
    phone: str | None  # masked for coordinators, as the exports do
    bound: bool
    year: int
    quarters: list[QuarterRecord]
    year_activities: int
    year_people: int
    year_points: float
    year_verified: int
    expected_people: int
    year_target: int
    rank: int | None
    peers: int
    activities: list[ActivityItem]
    cases: list[CaseItem]


async def member_year(session: AsyncSession, *, member_id: int, scopes: Sequence[Scope] | None, year: int,
                      today: date, policy: DutyPolicy) -> MemberYear:
    """A member's duty record of `year` and the cases they handle(d) that year; `OutOfScope` for a member
    the scopes do not cover (or no such active member)."""
    member = await in_scope(session, member_id=member_id, scopes=scopes)
    if member is None:
        raise OutOfScope(member_id)
    profile = await member_profile(session, member_id)
    if profile is None:
        raise OutOfScope(member_id)
    # one statement: the year's standing carries every quarter's figures
    last = await standing(session, member_id=member_id, quarter=Quarter(year, 4), today=today,
                          quarter_target=policy.quarter_target, year_target=policy.year_target)
    quarters = [QuarterRecord(q, int(f["activities"]), int(f["people"]), float(f["points"]), int(f["verified"]))
                for q, f in sorted(last.quarters.items())]
    activities = (await session.exec(
        sa_select(Activity.activity_date, Activity.kind, Activity.people)
        .where(Activity.member_id == member_id, Activity.year == year, Activity.deleted_at.is_(None))
        .order_by(Activity.activity_date.desc(), Activity.id.desc()).limit(MEMBER_ACTIVITIES)
    )).all()
    tz = policy.tz
    period = Period(year)
    cases = (await session.exec(
        sa_select(Case.id, Case.number, Case.category, Case.status, Case.created_at)
        .where(Case.member_id == member_id, Case.created_at >= period.start(tz), Case.created_at < period.end(tz))
        .order_by(Case.created_at, Case.id).limit(MEMBER_CASES)
    )).all()
    phone = member.phone if scopes is None else (mask_phone(member.phone) or None)
    return MemberYear(
        profile=profile, phone=phone, bound=member.telegram_id is not None, year=year, quarters=quarters,
        year_activities=last.year_activities, year_people=last.year_people, year_points=last.year_points,
        year_verified=last.year_verified, expected_people=last.expected_people, year_target=policy.year_target,
        rank=last.rank, peers=last.peers,
        activities=[ActivityItem(d, k, int(p or 0)) for d, k, p in activities],
        cases=[CaseItem(i, n, c, CaseStatus(s), at) for i, n, c, s, at in cases],
    )


@dataclass(frozen=True)
class StationBoard:
    """The stations in scope in a period, as /stats' 🏠 工作站 counts them, with the totals its head line shows."""

    rows: list[StationStat]  # the busiest first (reception days, then check-ins), then the rest by 编号
    receptions: int
    checkins: int
    cases: int
    six_complete: int  # stations with all of the 六有
    idle: list[StationStat]  # without a reception day held in the period, by 编号
    chart: list[StationStat]  # the first rows, at most CHART_BARS (one fewer when the rest are summed)
    rest: tuple[int, int] | None  # (stations, reception days) summed in the chart's last bar; None: all shown


async def station_board(session: AsyncSession, *, period: Period, tz: ZoneInfo, now: datetime,
                        scopes: Sequence[Scope] | None) -> StationBoard:
    stats = await station_stats(session, start=period.start(tz), end=period.end(tz), now=now, scopes=scopes)
    busy = sorted((s for s in stats if s.receptions), key=lambda s: (-s.receptions, -s.checkins, s.code))
    idle = [s for s in stats if not s.receptions]
    rows = busy + idle
    shown = rows if len(rows) <= CHART_BARS else rows[:CHART_BARS - 1]
    rest = rows[len(shown):]
    return StationBoard(
        rows=rows, receptions=sum(s.receptions for s in stats), checkins=sum(s.checkins for s in stats),
        cases=sum(s.cases for s in stats), six_complete=sum(1 for s in stats if s.six_done == 6), idle=idle,
        chart=shown, rest=(len(rest), sum(s.receptions for s in rest)) if rest else None,
    )


async def member_report(session: AsyncSession, *, member_id: int, scopes: Sequence[Scope] | None, year: int,
                        today: date, now: datetime, policy: DutyPolicy) -> DutyFigures:
    """The figures of a member's duty report for the member's page, under the page's scope rule (`member_year`):
    `OutOfScope` for a member the scopes do not cover (or no such active member)."""
    if await in_scope(session, member_id=member_id, scopes=scopes) is None:
        raise OutOfScope(member_id)
    return await duty_figures(session, member_id=member_id, year=year, today=today, policy=policy, now=now)
