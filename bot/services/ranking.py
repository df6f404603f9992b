"""/ranking: members by duty points, and the responsiveness table of case handling.

Telegram-free, within the reader's scope and drill-down exactly as /stats (`stats.within`);
places are `rules.duty_ranks`, the same as /my gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, extract, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import analytic, dialect_of
from bot.services.rules import Period, duty_ranks
from bot.services.scopes import GroupKey, Scope, group_key
from bot.services.stats import DrillDown, check_drill, live_in, within
from models import Activity, ActivityGroup, Case, CaseStatus, Member, Region


@dataclass(frozen=True)
class RankRow:
    rank: int | None  # None: no points yet (nobody is placed with nothing earned)
    member_id: int
    number: str
    name: str
    group: GroupKey | None  # the member's activity group on their committee
    points: float
    activities: int
    people: int
    verified: int = 0  # of `people`, checked in at the door of a reception day (扫码核实)


@dataclass(frozen=True)
class RankingPage:
    rows: list[RankRow]
    total: int  # members in scope
    placed: int  # of those, with points


async def duty_ranking(
    session: AsyncSession, *, period: Period, scopes: Sequence[Scope] | None = None,
    drill: DrillDown | None = None, offset: int = 0, limit: int = 20,
) -> RankingPage:
    """Active members in scope by duty points in the period, places as /my gives them (`duty_ranks`)."""
    await check_drill(session, scopes=scopes, drill=drill)
    await analytic(session)
    points = func.coalesce(func.sum(Activity.points), 0.0)
    query = within(
        sa_select(Member.id, Member.number, points)
        .select_from(Member)
        .outerjoin(Activity, and_(Activity.member_id == Member.id, live_in(period)))
        .where(Member.active.is_(True))
        .group_by(Member.id, Member.number),
        scopes, drill,
    )
    scored = (await session.exec(query)).all()
    places = duty_ranks({member_id: float(p) for member_id, _, p in scored})
    ordered = sorted(scored, key=lambda r: (places[r[0]] is None, places[r[0]] or 0, r[1]))
    page = ordered[offset: offset + limit]
    details = {}
    if page:
        details = {row[0]: row[1:] for row in (await session.exec(
            sa_select(Member.id, Member.name, ActivityGroup.name, Member.level, Region.path, func.count(Activity.id),
                      func.coalesce(func.sum(Activity.people), 0), func.coalesce(func.sum(Activity.verified_people), 0))
            .select_from(Member)
            .outerjoin(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
            .outerjoin(Region, Region.id == Member.region_id)
            .outerjoin(Activity, and_(Activity.member_id == Member.id, live_in(period)))
            .where(Member.id.in_([r[0] for r in page]))
            .group_by(Member.id, Member.name, ActivityGroup.name, Member.level, Region.path)
        )).all()}
    rows = [RankRow(places[member_id], member_id, number, name, group_key(group, level, region), float(p),
                    int(count), int(people), int(verified))
            for member_id, number, p in page
            for name, group, level, region, count, people, verified in [details[member_id]]]
    return RankingPage(rows, len(scored), sum(1 for v in places.values() if v is not None))


@dataclass(frozen=True)
class ResponseRow:
    member_id: int
    number: str
    name: str
    cases: int  # received in the period and with this member now
    resolved: int
    confirmed: int
    median_hours_to_accept: float | None
    median_hours_to_resolve: float | None
    average_rating: float | None

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.cases if self.cases else None

    @property
    def confirmation_rate(self) -> float | None:
        """Of the cases given a result, the share the resident confirmed solved."""
        return self.confirmed / self.resolved if self.resolved else None


def _hours(session: AsyncSession, start: ColumnElement, end: ColumnElement) -> ColumnElement[float]:
    if dialect_of(session) == "postgresql":
        return extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


async def responsiveness(
    session: AsyncSession, *, period: Period, tz: ZoneInfo, scopes: Sequence[Scope] | None = None,
    drill: DrillDown | None = None, offset: int = 0, limit: int = 20,
) -> tuple[list[ResponseRow], int]:
    """Per handling member in scope, over the cases received in the period that are with them now:
    medians of hours to accept and to resolve (window functions), resolution and confirmation rates,
    average rating. Best resolution rate first, then the quicker; (one page, how many members)."""
    await check_drill(session, scopes=scopes, drill=drill)
    await analytic(session)
    in_period = and_(Case.created_at >= period.start(tz), Case.created_at < period.end(tz),
                     Case.member_id.is_not(None), Member.active.is_(True))

    def cases_of(*columns: ColumnElement) -> Select:
        return within(sa_select(*columns).select_from(Case).join(Member, Member.id == Case.member_id)
                       .where(in_period), scopes, drill)

    counts = (await session.exec(
        cases_of(Member.id, Member.number, Member.name, func.count(), func.count(Case.resolved_at),
                 func.count().filter(Case.status == CaseStatus.confirmed.value), func.avg(Case.rating))
        .group_by(Member.id, Member.number, Member.name)
    )).all()

    async def medians(stamp: ColumnElement) -> dict[int, float]:
        hours = cases_of(Case.member_id.label("member_id"), _hours(session, Case.created_at, stamp).label("h")) \
            .where(stamp.is_not(None)).subquery("hours")
        ranked = sa_select(
            hours.c.member_id, hours.c.h,
            func.row_number().over(partition_by=hours.c.member_id, order_by=hours.c.h).label("rn"),
            func.count().over(partition_by=hours.c.member_id).label("n"),
        ).subquery("ranked")
        middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
        rows = await session.exec(sa_select(ranked.c.member_id, func.avg(ranked.c.h)).where(middle)
                                  .group_by(ranked.c.member_id))
        return {member_id: float(h) for member_id, h in rows.all()}

    to_accept, to_resolve = await medians(Case.accepted_at), await medians(Case.resolved_at)
    rows = [ResponseRow(member_id, number, name, n, resolved, confirmed, to_accept.get(member_id),
                        to_resolve.get(member_id), float(rating) if rating is not None else None)
            for member_id, number, name, n, resolved, confirmed, rating in counts]
    rows.sort(key=lambda r: (-(r.resolution_rate or 0), r.median_hours_to_resolve is None,
                             r.median_hours_to_resolve or 0, r.number))
    return rows[offset: offset + limit], len(rows)
