"""/stats: the figures of any period within the reader's scope, drill-downs and breakdowns.

Telegram-free. A scope narrows which members count (`scopes.member_in_scopes`), a drill-down
narrows it further (an intersection, so it can never widen what a coordinator sees), every
figure is one SQL aggregate. Cases count where their current handler is in scope, as in the
quarterly report (`report.case_rows`); "overdue" is `deadlines.overdue_condition`. The
ranking tables are `ranking.py`; the charts `charts.py`.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, false, func, literal, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select, Subquery
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import analytic
from bot.services.deadlines import DeadlinePolicy, overdue_condition
from bot.services.lifecycle import FINAL
from bot.services.reminders import DutyPolicy
from bot.services.rules import Period, expected_people_by, local_today, natural_key
from bot.services.scopes import GroupKey, Scope, group_key, group_order, within_scopes
from bot.texts import group_label
from models import Activity, ActivityGroup, Case, CaseStatus, Level, Member, Reachability, Region, Sector, Tally
from models.tally import tally_column

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KindRow:
    kind: str
    activities: int
    people: int


class Dimension(str, enum.Enum):
    group = "group"
    sector = "sector"
    region = "region"
    kind = "kind"


@dataclass(frozen=True)
class DrillDown:
    """One value to narrow the figures to: an activity group, sector or region id, or an activity kind code."""

    dimension: Dimension
    value: int | str


class OutOfScope(Exception):
    """The drill-down value has nothing to do with the caller's scopes (a forged or replayed button)."""

    def __init__(self, drill: DrillDown) -> None:
        super().__init__(f"{drill.dimension.value}={drill.value}")
        self.drill = drill


@dataclass(frozen=True)
class MemberFigures:
    members: int
    bound: int
    with_activity: int
    on_pace: int
    blocked: int  # bound, but blocked the bot: unreachable until they write to it again
    expected_people: int

    @property
    def unbound(self) -> int:
        """Never bound Telegram: unreachable too, for another reason (the report counts both the same way)."""
        return self.members - self.bound


@dataclass(frozen=True)
class CaseFigures:
    """Cases received in the period whose handler is in scope, and where they are now."""

    category: str | None  # None: all categories
    received: int
    open: int
    overdue: int
    resolved: int
    confirmed: int
    average_rating: float | None


@dataclass
class Summary:
    period: Period
    as_of: date
    scopes: list[Scope] | None
    drill: DrillDown | None
    drill_name: str | None  # the group's, sector's or region's name (a region: its path); a kind: its code
    members: MemberFigures
    by_kind: list[KindRow]
    cases: CaseFigures | None  # None under a kind drill-down (cases have categories, not kinds)
    case_categories: list[CaseFigures] = field(default_factory=list)


@dataclass(frozen=True)
class BreakdownRow:
    key: int | str | None  # the id (kind: the code; group: `group_drill_value`) to drill into; None: without one
    name: str | None  # a group: its label with the committee (`texts.group_label`)
    members: int  # members in scope with this value (kind: members who logged one)
    active_members: int  # of those, with ≥1 activity in the period (kind: the same)
    activities: int
    people: int


UNREACHABLE = Reachability.blocked_at.is_not(None)  # a member who blocked the bot (see `unreachable_members`)


_GROUP_DRILL = re.compile(r"([0-9]{1,18})\.([0-9])\.([0-9]{1,18})\Z")
_LEVELS = list(Level)


def group_drill_value(group_id: int, level: Level | str, region_id: int | None) -> str:
    """A drill-down into one activity group on one committee (`scopes.GroupKey`), as callback data holds it:
    `<group id>.<level>.<region id or 0>`."""
    return f"{group_id}.{_LEVELS.index(Level(level))}.{region_id or 0}"


def parse_group_drill(value: object) -> tuple[int, Level, int | None] | None:
    """(group id, level, region id or None) of `group_drill_value`'s text; None when it is not one."""
    found = _GROUP_DRILL.match(str(value))
    if found is None or int(found[2]) >= len(_LEVELS) or int(found[1]) == 0:
        return None
    return int(found[1]), _LEVELS[int(found[2])], int(found[3]) or None


def live_in(period: Period) -> ColumnElement[bool]:
    """Live (not deleted) activities of the period."""
    condition = and_(Activity.deleted_at.is_(None), Activity.year == period.year)
    return condition if period.q is None else and_(condition, Activity.quarter == period.q)


def _region_subtree(region_id: int) -> Select:
    """Region ids at or below `region_id` (a region includes everything below it)."""
    top = aliased(Region)
    below = aliased(Region)
    return (sa_select(below.id).select_from(below).join(top, top.id == region_id)
            .where(or_(below.id == top.id, below.path.startswith(top.path.concat("/")))))


def _drill_members(drill: DrillDown | None) -> ColumnElement[bool] | None:
    """A WHERE condition on `Member` for a drill-down; None when it does not narrow members."""
    if drill is None or drill.dimension is Dimension.kind:
        return None
    if drill.dimension is Dimension.group:  # one group on one committee, never the same name elsewhere
        parsed = parse_group_drill(drill.value)
        if parsed is None:
            return false()
        group_id, level, region_id = parsed
        return and_(Member.activity_group_id == group_id, Member.level == level,
                    Member.region_id.is_(None) if region_id is None else Member.region_id == region_id)
    if drill.dimension is Dimension.sector:
        return Member.sector_id == drill.value
    return Member.region_id.in_(_region_subtree(int(drill.value)))


def within(query: Select, scopes: Sequence[Scope] | None, drill: DrillDown | None) -> Select:
    """`query` over `Member` narrowed to the scopes and then to the drill-down (never wider than the scopes)."""
    query = within_scopes(query, scopes)
    condition = _drill_members(drill)
    return query if condition is None else query.where(condition)


async def check_drill(session: AsyncSession, *, scopes: Sequence[Scope] | None, drill: DrillDown | None) -> str | None:
    """The drill-down's name when the caller may open it, else `OutOfScope` (logged, one line).

    A group, sector or region may be opened when an active member within the caller's scopes has it
    (a region: at or below it) — exactly the values the breakdowns offer. A kind needs nothing.
    """
    if drill is None:
        return None
    if drill.dimension is Dimension.kind:
        return str(drill.value)
    if drill.dimension is Dimension.group:
        name = await _group_name(session, drill.value)
    else:
        table = {Dimension.sector: Sector, Dimension.region: Region}[drill.dimension]
        name_column = Region.path if table is Region else table.name
        name = (await session.exec(sa_select(name_column).where(table.id == drill.value))).first()
    covered = name is not None and (await session.exec(
        within(sa_select(Member.id).where(Member.active.is_(True)).limit(1), scopes, drill)
    )).first() is not None
    if not covered:
        log.warning("stats: %s=%s refused: outside the caller's scopes %s", drill.dimension.value, drill.value,
                    [f"{s.kind.value}:{s.value}" for s in scopes or []])
        raise OutOfScope(drill)
    return name[0]


async def _group_name(session: AsyncSession, value: object) -> tuple[str] | None:
    """(the label of the group on its committee,) for a group drill-down's value; None when there is no such group."""
    parsed = parse_group_drill(value)
    if parsed is None:
        return None
    group_id, level, region_id = parsed
    name = (await session.exec(sa_select(ActivityGroup.name).where(ActivityGroup.id == group_id))).first()
    region = None
    if region_id is not None:
        region = (await session.exec(sa_select(Region.path).where(Region.id == region_id))).first()
        if region is None:
            return None
    if name is None:
        return None
    return (group_label(group_key(name[0], level, region[0] if region else None)),)


async def parent_drill(session: AsyncSession, *, drill: DrillDown | None) -> DrillDown | None:
    """One level up from a drill-down: a region's parent region; anything else (or a top region): no drill-down."""
    if drill is None or drill.dimension is not Dimension.region:
        return None
    parent = (await session.exec(sa_select(Region.parent_id).where(Region.id == int(drill.value)))).first()
    return DrillDown(Dimension.region, parent[0]) if parent is not None and parent[0] is not None else None


async def member_figures(
    session: AsyncSession, *, period: Period, as_of: date, year_target: int,
    scopes: Sequence[Scope] | None = None, drill: DrillDown | None = None,
) -> MemberFigures:
    """Active members in scope: bound, with ≥1 activity in the period, on pace for the yearly 人次, blocked the bot.

    Under a kind drill-down "with activity" counts activities of that kind; the pace is always all kinds.
    """
    expected = expected_people_by(as_of, year_target)
    if drill is not None and drill.dimension is Dimension.kind:
        # the tally does not keep kinds: that one kind's activities are counted from the activities
        per_member = (
            sa_select(
                Activity.member_id.label("member_id"),
                func.count().filter(and_(Activity.quarter == period.q if period.q is not None else literal(True),
                                         Activity.kind == drill.value)).label("n"),
                func.sum(Activity.people).label("people"),
            )
            .where(Activity.year == period.year, Activity.deleted_at.is_(None))
            .group_by(Activity.member_id)
            .subquery("per_member")
        )
    else:
        # one tally row per member and year (kept on write, bot/services/tally.py)
        year = Tally.__table__
        per_member = (
            sa_select(
                year.c.member_id.label("member_id"),
                year.c[tally_column("activities", period.q)].label("n"),
                year.c.people.label("people"),
            )
            .where(year.c.year == period.year)
            .subquery("per_member")
        )
    query = within(
        sa_select(
            func.count(), func.count(Member.telegram_id),
            func.count().filter(per_member.c.n > 0),
            func.count().filter(func.coalesce(per_member.c.people, 0) >= expected),
            func.count(Reachability.telegram_id),
        )
        .select_from(Member)
        .outerjoin(per_member, per_member.c.member_id == Member.id)
        .outerjoin(Reachability, and_(Reachability.telegram_id == Member.telegram_id, UNREACHABLE))
        .where(Member.active.is_(True)),
        scopes, drill,
    )
    members, bound, active, on_pace, blocked = (await session.exec(query)).one()
    return MemberFigures(members, bound, active, on_pace, blocked, expected)


async def kind_figures(
    session: AsyncSession, *, period: Period, scopes: Sequence[Scope] | None = None, drill: DrillDown | None = None,
) -> list[KindRow]:
    """Activities and 人次 in the period by kind, of active members in scope.

    Grouped by quarter and kind, then added up here: SQLite reads the groups in order straight off
    the index `ix_activity_quarter_kind` (year, quarter, kind, …), while grouping a year by kind
    alone made it sort a year of activities (200,000 members: 0.7 s against 4–6 s)."""
    query = (
        sa_select(Activity.kind, func.count(Activity.id), func.coalesce(func.sum(Activity.people), 0))
        .select_from(Activity)
        .join(Member, Member.id == Activity.member_id)
        .where(live_in(period), Member.active.is_(True))
        .group_by(Activity.quarter, Activity.kind)
        .order_by(Activity.quarter, Activity.kind)
    )
    if drill is not None and drill.dimension is Dimension.kind:
        query = query.where(Activity.kind == drill.value)
    totals: dict[str, tuple[int, int]] = {}
    for kind, n, people in (await session.exec(within(query, scopes, drill))).all():
        seen, seen_people = totals.get(kind, (0, 0))
        totals[kind] = (seen + n, seen_people + int(people))
    return [KindRow(kind, n, people) for kind, (n, people) in sorted(totals.items())]


async def case_figures(
    session: AsyncSession, *, period: Period, now: datetime, tz: ZoneInfo, deadlines: DeadlinePolicy,
    scopes: Sequence[Scope] | None = None, drill: DrillDown | None = None,
) -> list[CaseFigures]:
    """Cases received in the period (local days) with their handler in scope: all first, then per category."""
    overdue = overdue_condition(now, deadlines)
    figures = (
        func.count(),
        func.count().filter(Case.status.not_in([s.value for s in FINAL])),
        func.count().filter(overdue),
        func.count(Case.resolved_at),
        func.count().filter(Case.status == CaseStatus.confirmed.value),
        func.avg(Case.rating),
    )
    base = (
        sa_select(Case.category, *figures)
        .select_from(Case)
        .outerjoin(Member, Member.id == Case.member_id)
        .where(Case.created_at >= period.start(tz), Case.created_at < period.end(tz))
        .group_by(Case.category)
        .order_by(Case.category)
    )
    rows = (await session.exec(within(base, scopes, drill))).all()
    per_category = [CaseFigures(c, n, o, d, r, k, float(a) if a is not None else None) for c, n, o, d, r, k, a in rows]
    total_query = within(
        sa_select(*figures).select_from(Case).outerjoin(Member, Member.id == Case.member_id)
        .where(Case.created_at >= period.start(tz), Case.created_at < period.end(tz)),
        scopes, drill,
    )
    n, o, d, r, k, a = (await session.exec(total_query)).one()
    return [CaseFigures(None, n, o, d, r, k, float(a) if a is not None else None), *per_category]


async def stats_summary(
    session: AsyncSession, *, period: Period, now: datetime, policy: DutyPolicy,
    scopes: Sequence[Scope] | None = None, drill: DrillDown | None = None,
    deadlines: DeadlinePolicy = DeadlinePolicy(),
) -> Summary:
    """Everything /stats shows for one period, scope and drill-down (checked: `OutOfScope`)."""
    name = await check_drill(session, scopes=scopes, drill=drill)
    await analytic(session)
    as_of = min(local_today(now, policy.tz), period.last_day)
    members = await member_figures(session, period=period, as_of=as_of, year_target=policy.year_target,
                                   scopes=scopes, drill=drill)
    by_kind = await kind_figures(session, period=period, scopes=scopes, drill=drill)
    cases: list[CaseFigures] = []
    if drill is None or drill.dimension is not Dimension.kind:
        cases = await case_figures(session, period=period, now=now, tz=policy.tz, deadlines=deadlines,
                                   scopes=scopes, drill=drill)
    return Summary(
        period=period, as_of=as_of, scopes=list(scopes) if scopes is not None else None, drill=drill,
        drill_name=name, members=members, by_kind=by_kind, cases=cases[0] if cases else None,
        case_categories=cases[1:],
    )


@dataclass(frozen=True)
class Breakdown:
    dimension: Dimension
    parent: int | None  # regions: the region whose children these are (None: the top of the tree)
    parent_name: str | None
    rows: list[BreakdownRow]
    drill_name: str | None = None  # as `Summary.drill_name`


def _region_children(parent: int | None) -> Subquery:
    """region id -> the child of `parent` (None: a top region) it lies in; regions outside drop out."""
    region, child = aliased(Region), aliased(Region)
    return (
        sa_select(region.id.label("region_id"), child.id.label("child_id"), child.name.label("child_name"))
        .select_from(region)
        .join(child, or_(region.id == child.id, region.path.startswith(child.path.concat("/"))))
        .where(child.parent_id == parent if parent is not None else child.parent_id.is_(None))
        .subquery("children")
    )


async def _member_breakdown(session: AsyncSession, *, period: Period, dimension: Dimension, parent: int | None,
                            scopes: Sequence[Scope] | None, drill: DrillDown | None) -> list[BreakdownRow]:
    per_member = (
        sa_select(Activity.member_id.label("member_id"), func.count().label("n"),
                  func.sum(Activity.people).label("people"))
        .where(live_in(period))
        .group_by(Activity.member_id)
        .subquery("per_member")
    )
    query = sa_select().select_from(Member).outerjoin(per_member, per_member.c.member_id == Member.id)
    figures = (func.count(), func.count(per_member.c.member_id), func.coalesce(func.sum(per_member.c.n), 0),
               func.coalesce(func.sum(per_member.c.people), 0))
    if dimension is Dimension.group:
        return await _group_breakdown(session, query, figures, scopes=scopes, drill=drill)
    if dimension is Dimension.sector:
        key, name = Member.sector_id, Sector.name
        query = query.join(Sector, Sector.id == Member.sector_id)
    else:
        children = _region_children(parent)
        key, name = children.c.child_id, children.c.child_name
        query = query.outerjoin(children, children.c.region_id == Member.region_id)
    query = within(
        query.add_columns(key, name, *figures).where(Member.active.is_(True)).group_by(key, name),
        scopes, drill,
    )
    rows = [BreakdownRow(k, n, members, active, int(acts), int(people))
            for k, n, members, active, acts, people in (await session.exec(query)).all()]
    return sorted(rows, key=lambda r: (r.key is None, natural_key(r.name)))


async def _group_breakdown(session: AsyncSession, query: Select, figures: tuple, *, scopes: Sequence[Scope] | None,
                           drill: DrillDown | None) -> list[BreakdownRow]:
    """Per activity group on its committee (`scopes.GroupKey`, natural order); members without a group last,
    in one row whatever their committee."""
    query = within(
        query.add_columns(Member.activity_group_id, Member.level, Member.region_id, ActivityGroup.name, Region.path,
                          *figures)
        .outerjoin(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
        .outerjoin(Region, Region.id == Member.region_id)
        .where(Member.active.is_(True))
        .group_by(Member.activity_group_id, Member.level, Member.region_id, ActivityGroup.name, Region.path),
        scopes, drill,
    )
    found: dict[str | None, tuple[GroupKey | None, list[int]]] = {}
    for group_id, level, region_id, name, region, *counts in (await session.exec(query)).all():
        value = None if group_id is None else group_drill_value(group_id, level, region_id)
        _, sums = found.setdefault(value, (group_key(name, level, region), [0, 0, 0, 0]))
        for index, count in enumerate(counts):
            sums[index] += int(count)
    ordered = sorted(found.items(), key=lambda item: group_order(item[1][0]))
    return [BreakdownRow(value, group_label(key) or None, *sums) for value, (key, sums) in ordered]


async def breakdown(
    session: AsyncSession, *, period: Period, dimension: Dimension,
    scopes: Sequence[Scope] | None = None, drill: DrillDown | None = None,
) -> Breakdown:
    """The figures split by activity group, sector, region (the next level down) or kind, within scope
    and the drill-down (checked: `OutOfScope`). Rows in natural order (`rules.natural_key`; groups per committee,
    `scopes.GroupKey`); "without one" last."""
    drill_name = await check_drill(session, scopes=scopes, drill=drill)
    await analytic(session)
    parent: int | None = None
    parent_name: str | None = None
    if dimension is Dimension.kind:
        query = (
            sa_select(Activity.kind, func.count(func.distinct(Activity.member_id)), func.count(Activity.id),
                      func.coalesce(func.sum(Activity.people), 0))
            .select_from(Activity)
            .join(Member, Member.id == Activity.member_id)
            .where(live_in(period), Member.active.is_(True))
            .group_by(Activity.kind)
        )
        if drill is not None and drill.dimension is Dimension.kind:
            query = query.where(Activity.kind == drill.value)
        rows = sorted((BreakdownRow(k, k, n, n, acts, int(people))
                       for k, n, acts, people in (await session.exec(within(query, scopes, drill))).all()),
                      key=lambda r: natural_key(r.name))
    else:
        if dimension is Dimension.region and drill is not None and drill.dimension is Dimension.region:
            parent = int(drill.value)
        rows = await _member_breakdown(session, period=period, dimension=dimension, parent=parent,
                                       scopes=scopes, drill=drill)
        # a scope inside one region: start where the members actually split
        for _ in range(8):
            if not (dimension is Dimension.region and len(rows) == 1 and rows[0].key is not None):
                break
            deeper = await _member_breakdown(session, period=period, dimension=dimension, parent=int(rows[0].key),
                                             scopes=scopes, drill=drill)
            if not deeper or deeper == [BreakdownRow(None, None, *(rows[0].members, rows[0].active_members,
                                                                   rows[0].activities, rows[0].people))]:
                break
            parent, rows = int(rows[0].key), deeper
        if parent is not None:
            parent_name = (await session.exec(sa_select(Region.path).where(Region.id == parent))).first()
            parent_name = parent_name[0] if parent_name else None
    return Breakdown(dimension, parent, parent_name, rows, drill_name)
