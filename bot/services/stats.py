"""Statistics for coordinators and the quarterly report — Telegram-free, SQL aggregates, scope-aware.

Every figure of the report comes from `quarter_stats`; coordinator commands reuse it.
A scope narrows which members are counted (the rule of `access.overview`, see
`bot/services/scopes.py`); peers for ranking are always the whole activity group.
The report is a list of sections (title, headers, rows), so more sections (cases) can be
appended by whoever builds them; `render_xlsx` and `render_chart` are blocking and meant
to run off the event loop (`build_report` does that).
"""

from __future__ import annotations

import asyncio
import enum
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import and_, func, literal, or_, select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import analytic, dialect_of
from bot.services.scopes import Scope
from bot.services.reminders import Laggard, ReminderPolicy, laggards
from bot.services.rules import Quarter, check_year, duty_ranks, expected_people_by, local_today
from bot.services.scopes import member_in_scopes
from models import Activity, ActivityGroup, Case, CaseStatus, Member, Reachability, Region, Sector, Tally
from models.tally import tally_column


@dataclass(frozen=True)
class Unreachable:
    number: str
    name: str
    group: str | None


@dataclass(frozen=True)
class KindRow:
    kind: str
    activities: int
    people: int


@dataclass(frozen=True)
class GroupRow:
    group: str | None  # None: members without an activity group
    members: int
    active_members: int
    activities: int
    people: int


@dataclass(frozen=True)
class CaseRow:
    """Cases received in the quarter, per category (or all together when `category` is None)."""

    category: str | None
    received: int
    accepted: int
    resolved: int
    confirmed: int
    reopened: int
    median_hours_to_accept: float | None
    median_hours_to_resolve: float | None
    average_rating: float | None


@dataclass
class QuarterStats:
    quarter: Quarter
    as_of: date
    scopes: list[Scope] | None
    members: int
    bound: int
    with_activity: int
    on_pace: int
    expected_people: int
    lagging: list[Laggard] = field(default_factory=list)
    unreachable: list[Unreachable] = field(default_factory=list)
    by_kind: list[KindRow] = field(default_factory=list)
    by_group: list[GroupRow] = field(default_factory=list)
    cases: list[CaseRow] = field(default_factory=list)  # the total first, then per category


def _scoped(query, scopes: Sequence[Scope] | None):  # noqa: ANN001, ANN202
    condition = member_in_scopes(scopes)
    return query if condition is None else query.where(condition)


async def quarter_stats(
    session: AsyncSession, *, quarter: Quarter, today: date, policy: ReminderPolicy, scopes: Sequence[Scope] | None = None
) -> QuarterStats:
    """Members, activities and 人次 of `quarter` within `scopes` (None: everything), judged at min(today, quarter end)."""
    as_of = min(today, quarter.last_day)
    expected = expected_people_by(as_of, policy.year_target)
    # one tally row per member and year (kept on write, bot/services/tally.py): no aggregate over activities
    year = Tally.__table__
    per_member = (
        sa_select(
            Member.id.label("member_id"),
            Member.telegram_id.label("telegram_id"),
            Member.activity_group_id.label("group_id"),
            func.coalesce(year.c.people, 0).label("y_people"),
            func.coalesce(year.c[tally_column("activities", quarter.q)], 0).label("q_n"),
            func.coalesce(year.c[tally_column("people", quarter.q)], 0).label("q_people"),
        )
        .select_from(Member)
        .outerjoin(year, and_(year.c.member_id == Member.id, year.c.year == quarter.year))
        .where(Member.active.is_(True))
    )
    per_member = _scoped(per_member, scopes).subquery("per_member")
    # one pass over the members, per activity group; the totals are the groups' sums
    group_rows = (await session.exec(
        sa_select(
            ActivityGroup.name, func.count(), func.count().filter(per_member.c.q_n > 0),
            func.sum(per_member.c.q_n), func.sum(per_member.c.q_people),
            func.count(per_member.c.telegram_id), func.count().filter(per_member.c.y_people >= expected),
        )
        .select_from(per_member)
        .outerjoin(ActivityGroup, ActivityGroup.id == per_member.c.group_id)
        .group_by(ActivityGroup.name)
    )).all()
    members, with_activity, bound, on_pace = (sum(row[i] for row in group_rows) for i in (1, 2, 5, 6))
    by_group = sorted(
        (GroupRow(name, n, active, int(activities), int(people))
         for name, n, active, activities, people, _, _ in group_rows),
        key=lambda row: (row.group is None, row.group or ""),
    )
    # the quarter's live activities of the members counted, read from the covering index in kind order
    counted = _scoped(sa_select(Member.id).where(Member.active.is_(True)), scopes)
    by_kind = [
        KindRow(kind, n, int(people))
        for kind, n, people in (await session.exec(
            sa_select(Activity.kind, func.count(), func.coalesce(func.sum(Activity.people), 0))
            .where(Activity.year == quarter.year, Activity.quarter == quarter.q, Activity.deleted_at.is_(None),
                   Activity.member_id.in_(counted))
            .group_by(Activity.kind)
            .order_by(Activity.kind)
        )).all()
    ]
    return QuarterStats(
        quarter=quarter, as_of=as_of, scopes=list(scopes) if scopes is not None else None,
        members=members, bound=bound, with_activity=with_activity, on_pace=on_pace, expected_people=expected,
        lagging=await laggards(session, quarter=quarter, as_of=as_of, policy=policy, scopes=scopes),
        unreachable=await unreachable_members(session, scopes=scopes),
        by_kind=by_kind, by_group=by_group,
        cases=await case_rows(session, quarter=quarter, tz=policy.tz, scopes=scopes),
    )


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


async def case_rows(session: AsyncSession, *, quarter: Quarter, tz, scopes: Sequence[Scope] | None = None  # noqa: ANN001
                    ) -> list[CaseRow]:
    """Cases received in `quarter` (Asia/Shanghai days) whose handler is in scope (admins: all cases).

    Counts come from the case rows; the medians of hours to accept and to resolve are taken over
    the quarter's cases (a quarter's cases are few; SQLite has no median aggregate).
    """
    from datetime import datetime as _dt, time as _time

    from models import Case, CaseEvent, CaseStatus

    start = _dt.combine(quarter.first_day, _time(0), tzinfo=tz)
    end = _dt.combine(quarter.next().first_day, _time(0), tzinfo=tz)
    reopened = (sa_select(CaseEvent.case_id).where(CaseEvent.action == "reopen").distinct().subquery())
    query = (
        sa_select(Case.category, Case.status, Case.created_at, Case.accepted_at, Case.resolved_at, Case.rating,
                  reopened.c.case_id)
        .select_from(Case)
        .outerjoin(Member, Member.id == Case.member_id)
        .outerjoin(reopened, reopened.c.case_id == Case.id)
        .where(Case.created_at >= start, Case.created_at < end)
    )
    rows = (await session.exec(_scoped(query, scopes))).all()
    groups: dict[str | None, list] = {None: []}
    for row in rows:
        groups[None].append(row)
        groups.setdefault(row[0], []).append(row)

    def summarise(category: str | None, items: list) -> CaseRow:
        hours = lambda a, b: (b - a).total_seconds() / 3600  # noqa: E731
        ratings = [r[5] for r in items if r[5] is not None]
        return CaseRow(
            category=category, received=len(items),
            accepted=sum(1 for r in items if r[3] is not None),
            resolved=sum(1 for r in items if r[4] is not None),
            confirmed=sum(1 for r in items if CaseStatus(r[1]) is CaseStatus.confirmed),
            reopened=sum(1 for r in items if r[6] is not None),
            median_hours_to_accept=_median([hours(r[2], r[3]) for r in items if r[3] is not None]),
            median_hours_to_resolve=_median([hours(r[2], r[4]) for r in items if r[4] is not None]),
            average_rating=sum(ratings) / len(ratings) if ratings else None,
        )

    return [summarise(category, items) for category, items in
            sorted(groups.items(), key=lambda kv: (kv[0] is not None, kv[0] or ""))]


async def unreachable_members(session: AsyncSession, *, scopes: Sequence[Scope] | None = None) -> list[Unreachable]:
    """Active members who blocked the bot (a 403 or a my_chat_member "kicked"), until they write to it again."""
    query = (
        select(Member.number, Member.name, ActivityGroup.name)
        .join(Reachability, Reachability.telegram_id == Member.telegram_id)
        .outerjoin(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
        .where(Reachability.blocked_at.is_not(None), Member.active.is_(True))
        .order_by(Member.number)
    )
    return [Unreachable(n, name, group) for n, name, group in (await session.exec(_scoped(query, scopes))).all()]


# --- the quarterly report ---------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One sheet of the report: a title, a header row, data rows."""

    title: str
    headers: list[str]
    rows: list[list[object]]


@dataclass(frozen=True)
class Report:
    xlsx: bytes
    png: bytes
    caption: str
    filename: str


def report_sections(stats: QuarterStats, *, kind_names: Mapping[str, str]) -> list[Section]:
    from bot.texts import REPORT, RULE_NAMES

    overview = Section(REPORT["sheet_members"], [REPORT["col_item"], REPORT["col_value"]], [
        [REPORT["row_members"], stats.members],
        [REPORT["row_bound"], stats.bound],
        [REPORT["row_with_activity"], stats.with_activity],
        [REPORT["row_on_pace"].format(target=stats.expected_people), stats.on_pace],
        [REPORT["row_lagging"], len(stats.lagging)],
        [REPORT["row_unreachable"], len(stats.unreachable)],
    ])
    lagging = Section(REPORT["sheet_lagging"], REPORT["cols_lagging"], [
        [lag.number, lag.name, lag.peer_label or REPORT["no_group"], lag.quarter_activities, lag.year_people,
         lag.expected_people, lag.points, "、".join(RULE_NAMES[r.value] for r in lag.rules)]
        for lag in stats.lagging
    ])
    unreachable = Section(REPORT["sheet_unreachable"], REPORT["cols_unreachable"], [
        [u.number, u.name, u.group or REPORT["no_group"]] for u in stats.unreachable
    ])
    by_kind = Section(REPORT["sheet_kinds"], REPORT["cols_kinds"], [
        [kind_names.get(row.kind, row.kind), row.activities, row.people] for row in stats.by_kind
    ])
    by_group = Section(REPORT["sheet_groups"], REPORT["cols_groups"], [
        [row.group or REPORT["no_group"], row.members, row.active_members, row.activities, row.people]
        for row in stats.by_group
    ])
    def shown(value: float | None) -> object:
        return "—" if value is None else round(value, 1)

    cases = Section(REPORT["sheet_cases"], REPORT["cols_cases"], [
        [row.category or REPORT["all_categories"], row.received, row.accepted, row.resolved, row.confirmed,
         row.reopened, shown(row.median_hours_to_accept), shown(row.median_hours_to_resolve),
         shown(row.average_rating)]
        for row in stats.cases
    ])
    return [overview, lagging, unreachable, by_kind, by_group, cases]


def render_xlsx(sections: Sequence[Section]) -> bytes:
    """One sheet per section, bold frozen header row, columns as wide as their content (blocking).

    The one spreadsheet writer is /export's (`exports.write_xlsx`, write-only, text never a formula).
    """
    import tempfile

    from bot.services.exports import Sheet, write_xlsx

    with tempfile.TemporaryDirectory(prefix="lianxin-report-") as folder:
        path = Path(folder) / "report.xlsx"
        write_xlsx(path, [Sheet(s.title, s.headers, s.rows) for s in sections])
        return path.read_bytes()


def cjk_font_path() -> Path:
    """Noto Sans CJK SC from the `mplfonts` package (SIL OFL), so no system font is needed."""
    import mplfonts

    return Path(mplfonts.__file__).resolve().parent / "fonts" / "NotoSansCJKsc-Regular.otf"


def render_chart(stats: QuarterStats, *, kind_names: Mapping[str, str]) -> bytes:
    """A PNG: 人次 by activity kind and by activity group (blocking; matplotlib Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from bot.texts import REPORT

    family = _cjk_family()
    figure = Figure(figsize=(10, 5.5), dpi=100)
    left, right = figure.subplots(1, 2)
    kinds = [kind_names.get(row.kind, row.kind) for row in stats.by_kind] or [REPORT["chart_none"]]
    left.barh(kinds, [row.people for row in stats.by_kind] or [0], color="#3a7bd5")
    left.set_title(REPORT["chart_kinds"], fontfamily=family)
    groups = [row.group or REPORT["no_group"] for row in stats.by_group] or [REPORT["chart_none"]]
    right.barh(groups, [row.people for row in stats.by_group] or [0], color="#e0843a")
    right.set_title(REPORT["chart_groups"], fontfamily=family)
    for axes in (left, right):
        axes.invert_yaxis()
        axes.set_xlabel(REPORT["chart_people"], fontfamily=family)
        for tick in axes.get_yticklabels():
            tick.set_fontfamily(family)
    figure.suptitle(
        REPORT["chart_title"].format(quarter=stats.quarter.cn_label, members=stats.members,
                                     active=stats.with_activity, on_pace=stats.on_pace),
        fontfamily=family,
    )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def report_caption(stats: QuarterStats) -> str:
    from bot.texts import scope_text, t

    return t("report_caption", quarter=stats.quarter.cn_label, scope=scope_text(stats.scopes), members=stats.members,
             bound=stats.bound, active=stats.with_activity, on_pace=stats.on_pace, lagging=len(stats.lagging),
             unreachable=len(stats.unreachable))


def render_report(stats: QuarterStats, *, kind_names: Mapping[str, str]) -> Report:
    """Everything the report needs, blocking: run it with `asyncio.to_thread` (see `build_report`)."""
    from bot.texts import REPORT

    return Report(
        xlsx=render_xlsx(report_sections(stats, kind_names=kind_names)),
        png=render_chart(stats, kind_names=kind_names),
        caption=report_caption(stats),
        filename=REPORT["filename"].format(quarter=stats.quarter.label),
    )


async def build_report(stats: QuarterStats, *, kind_names: Mapping[str, str]) -> Report:
    """The report, rendered off the event loop so the bot keeps answering."""
    return await asyncio.to_thread(render_report, stats, kind_names=dict(kind_names))


# --- /stats and /ranking: any period, drill-downs, responsiveness (issue 10) ----------------------
#
# Same rules as above: a scope narrows which members count (`member_in_scopes`), a drill-down
# narrows it further (an intersection, so it can never widen what a coordinator sees), every figure
# is one SQL aggregate or window query. Cases count where their current handler is in scope, as in
# `case_rows`; "overdue" is `deadlines.overdue_condition`; places are `rules.duty_ranks`.

log = logging.getLogger(__name__)


@dataclass(frozen=True, order=True)
class Period:
    """A quarter (`q` 1–4) or a whole year (`q` None), in the configured zone's calendar."""

    year: int
    q: int | None = None

    @classmethod
    def of(cls, quarter: Quarter) -> "Period":
        return cls(quarter.year, quarter.q)

    @classmethod
    def parse(cls, label: str) -> "Period":
        """'2026Q3' or '2026'; ValueError otherwise."""
        text = label.strip()
        if len(text) == 4 and text.isascii() and text.isdigit():
            if not check_year(int(text)):
                raise ValueError(f"not a year: {label!r}")
            return cls(int(text))
        return cls.of(Quarter.parse(text))

    @property
    def quarter(self) -> Quarter | None:
        return Quarter(self.year, self.q) if self.q is not None else None

    @property
    def label(self) -> str:
        return self.quarter.label if self.quarter else str(self.year)

    @property
    def first_day(self) -> date:
        return self.quarter.first_day if self.quarter else date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        return self.quarter.last_day if self.quarter else date(self.year, 12, 31)

    def prev(self) -> "Period":
        return Period.of(self.quarter.prev()) if self.quarter else Period(self.year - 1)

    def next(self) -> "Period":
        return Period.of(self.quarter.next()) if self.quarter else Period(self.year + 1)

    def start(self, tz) -> datetime:  # noqa: ANN001
        return datetime.combine(self.first_day, datetime.min.time(), tzinfo=tz)

    def end(self, tz) -> datetime:  # noqa: ANN001
        """The first instant after the period (exclusive bound)."""
        return datetime.combine(self.last_day + timedelta(days=1), datetime.min.time(), tzinfo=tz)


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
    unreachable: int
    expected_people: int


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
    key: int | str | None  # the id (kind: the code) to drill into; None: members without one
    name: str | None
    members: int  # members in scope with this value (kind: members who logged one)
    active_members: int  # of those, with ≥1 activity in the period (kind: the same)
    activities: int
    people: int


UNREACHABLE = Reachability.blocked_at.is_not(None)  # a member who blocked the bot (see `unreachable_members`)


def _live_in(period: Period):  # noqa: ANN202
    condition = and_(Activity.deleted_at.is_(None), Activity.year == period.year)
    return condition if period.q is None else and_(condition, Activity.quarter == period.q)


def _region_subtree(region_id: int):  # noqa: ANN202
    """Region ids at or below `region_id` (a region includes everything below it)."""
    top = aliased(Region)
    below = aliased(Region)
    return (sa_select(below.id).select_from(below).join(top, top.id == region_id)
            .where(or_(below.id == top.id, below.path.startswith(top.path.concat("/")))))


def _drill_members(drill: DrillDown | None):  # noqa: ANN202
    """A WHERE condition on `Member` for a drill-down; None when it does not narrow members."""
    if drill is None or drill.dimension is Dimension.kind:
        return None
    if drill.dimension is Dimension.group:
        return Member.activity_group_id == drill.value
    if drill.dimension is Dimension.sector:
        return Member.sector_id == drill.value
    return Member.region_id.in_(_region_subtree(int(drill.value)))


def _within(query, scopes: Sequence[Scope] | None, drill: DrillDown | None):  # noqa: ANN001, ANN202
    query = _scoped(query, scopes)
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
    table = {Dimension.group: ActivityGroup, Dimension.sector: Sector, Dimension.region: Region}[drill.dimension]
    name_column = Region.path if table is Region else table.name
    name = (await session.exec(sa_select(name_column).where(table.id == drill.value))).first()
    covered = name is not None and (await session.exec(
        _within(sa_select(Member.id).where(Member.active.is_(True)).limit(1), scopes, drill)
    )).first() is not None
    if not covered:
        log.warning("stats: %s=%s refused: outside the caller's scopes %s", drill.dimension.value, drill.value,
                    [f"{s.kind.value}:{s.value}" for s in scopes or []])
        raise OutOfScope(drill)
    return name[0]


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
    """Active members in scope: bound, with ≥1 activity in the period, on pace for the yearly 人次, unreachable.

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
    query = _within(
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
    members, bound, active, on_pace, unreachable = (await session.exec(query)).one()
    return MemberFigures(members, bound, active, on_pace, unreachable, expected)


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
        .where(_live_in(period), Member.active.is_(True))
        .group_by(Activity.quarter, Activity.kind)
        .order_by(Activity.quarter, Activity.kind)
    )
    if drill is not None and drill.dimension is Dimension.kind:
        query = query.where(Activity.kind == drill.value)
    totals: dict[str, tuple[int, int]] = {}
    for kind, n, people in (await session.exec(_within(query, scopes, drill))).all():
        seen, seen_people = totals.get(kind, (0, 0))
        totals[kind] = (seen + n, seen_people + int(people))
    return [KindRow(kind, n, people) for kind, (n, people) in sorted(totals.items())]


async def case_figures(
    session: AsyncSession, *, period: Period, now: datetime, tz, overdue_after: timedelta,  # noqa: ANN001
    scopes: Sequence[Scope] | None = None, drill: DrillDown | None = None,
) -> list[CaseFigures]:
    """Cases received in the period (local days) with their handler in scope: all first, then per category."""
    from bot.services.cases import FINAL
    from bot.services.deadlines import DeadlinePolicy, overdue_condition

    overdue = overdue_condition(now, DeadlinePolicy(overdue_after=overdue_after))
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
    rows = (await session.exec(_within(base, scopes, drill))).all()
    per_category = [CaseFigures(c, n, o, d, r, k, float(a) if a is not None else None) for c, n, o, d, r, k, a in rows]
    total_query = _within(
        sa_select(*figures).select_from(Case).outerjoin(Member, Member.id == Case.member_id)
        .where(Case.created_at >= period.start(tz), Case.created_at < period.end(tz)),
        scopes, drill,
    )
    n, o, d, r, k, a = (await session.exec(total_query)).one()
    return [CaseFigures(None, n, o, d, r, k, float(a) if a is not None else None), *per_category]


async def stats_summary(
    session: AsyncSession, *, period: Period, now: datetime, policy: ReminderPolicy,
    scopes: Sequence[Scope] | None = None, drill: DrillDown | None = None,
    overdue_after: timedelta = timedelta(days=15),
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
        cases = await case_figures(session, period=period, now=now, tz=policy.tz, overdue_after=overdue_after,
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


def _region_children(parent: int | None):  # noqa: ANN202
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
        .where(_live_in(period))
        .group_by(Activity.member_id)
        .subquery("per_member")
    )
    query = sa_select().select_from(Member).outerjoin(per_member, per_member.c.member_id == Member.id)
    if dimension is Dimension.group:
        key, name = Member.activity_group_id, ActivityGroup.name
        query = query.outerjoin(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
    elif dimension is Dimension.sector:
        key, name = Member.sector_id, Sector.name
        query = query.join(Sector, Sector.id == Member.sector_id)
    else:
        children = _region_children(parent)
        key, name = children.c.child_id, children.c.child_name
        query = query.outerjoin(children, children.c.region_id == Member.region_id)
    query = _within(
        query.add_columns(key, name, func.count(), func.count(per_member.c.member_id),
                          func.coalesce(func.sum(per_member.c.n), 0), func.coalesce(func.sum(per_member.c.people), 0))
        .where(Member.active.is_(True))
        .group_by(key, name),
        scopes, drill,
    )
    return [BreakdownRow(k, n, members, active, int(acts), int(people))
            for k, n, members, active, acts, people in (await session.exec(query)).all()]


async def breakdown(
    session: AsyncSession, *, period: Period, dimension: Dimension,
    scopes: Sequence[Scope] | None = None, drill: DrillDown | None = None,
) -> Breakdown:
    """The figures split by activity group, sector, region (the next level down) or kind, within scope
    and the drill-down (checked: `OutOfScope`). Rows by name; "without one" last."""
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
            .where(_live_in(period), Member.active.is_(True))
            .group_by(Activity.kind)
        )
        if drill is not None and drill.dimension is Dimension.kind:
            query = query.where(Activity.kind == drill.value)
        rows = [BreakdownRow(k, k, n, n, acts, int(people))
                for k, n, acts, people in (await session.exec(_within(query, scopes, drill))).all()]
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
    rows.sort(key=lambda r: (r.key is None, r.name or ""))
    return Breakdown(dimension, parent, parent_name, rows, drill_name)


# --- /ranking -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow:
    rank: int | None  # None: no points yet (nobody is placed with nothing earned)
    member_id: int
    number: str
    name: str
    group: str | None
    points: float
    activities: int
    people: int


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
    query = _within(
        sa_select(Member.id, Member.number, points)
        .select_from(Member)
        .outerjoin(Activity, and_(Activity.member_id == Member.id, _live_in(period)))
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
            sa_select(Member.id, Member.name, ActivityGroup.name, func.count(Activity.id),
                      func.coalesce(func.sum(Activity.people), 0))
            .select_from(Member)
            .outerjoin(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
            .outerjoin(Activity, and_(Activity.member_id == Member.id, _live_in(period)))
            .where(Member.id.in_([r[0] for r in page]))
            .group_by(Member.id, Member.name, ActivityGroup.name)
        )).all()}
    rows = [RankRow(places[member_id], member_id, number, details[member_id][0], details[member_id][1], float(p),
                    int(details[member_id][2]), int(details[member_id][3]))
            for member_id, number, p in page]
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


def _hours(session: AsyncSession, start, end):  # noqa: ANN001, ANN202
    if dialect_of(session) == "postgresql":
        from sqlalchemy import extract

        return extract("epoch", end - start) / 3600.0
    return (func.julianday(end) - func.julianday(start)) * 24.0


async def responsiveness(
    session: AsyncSession, *, period: Period, tz, scopes: Sequence[Scope] | None = None,  # noqa: ANN001
    drill: DrillDown | None = None, offset: int = 0, limit: int = 20,
) -> tuple[list[ResponseRow], int]:
    """Per handling member in scope, over the cases received in the period that are with them now:
    medians of hours to accept and to resolve (window functions), resolution and confirmation rates,
    average rating. Best resolution rate first, then the quicker; (one page, how many members)."""
    await check_drill(session, scopes=scopes, drill=drill)
    await analytic(session)
    in_period = and_(Case.created_at >= period.start(tz), Case.created_at < period.end(tz),
                     Case.member_id.is_not(None), Member.active.is_(True))

    def cases_of(*columns):  # noqa: ANN002, ANN202
        return _within(sa_select(*columns).select_from(Case).join(Member, Member.id == Case.member_id)
                       .where(in_period), scopes, drill)

    counts = (await session.exec(
        cases_of(Member.id, Member.number, Member.name, func.count(), func.count(Case.resolved_at),
                 func.count().filter(Case.status == CaseStatus.confirmed.value), func.avg(Case.rating))
        .group_by(Member.id, Member.number, Member.name)
    )).all()

    async def medians(stamp) -> dict[int, float]:  # noqa: ANN001
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


# --- the /stats chart -----------------------------------------------------------------------------


def _cjk_family() -> str:
    """Registers the CJK font with matplotlib once and returns its family name."""
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def render_stats_chart(*, title: str, groups: Sequence[tuple[str, int]], categories: Sequence[tuple[str, int]],
                       labels: Mapping[str, str]) -> bytes:
    """A PNG: activities per activity group and cases per category (blocking; matplotlib Agg).
    `labels`: the panels' titles, the axis names and the "nothing" bar, from the catalogue."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    family = _cjk_family()
    figure = Figure(figsize=(10, 5.5), dpi=100)
    left, right = figure.subplots(1, 2)
    for axes, items, color, head, unit in (
        (left, groups, "#3a7bd5", labels["groups"], labels["activities"]),
        (right, categories, "#e0843a", labels["categories"], labels["cases"]),
    ):
        names = [name for name, _ in items] or [labels["none"]]
        axes.barh(names, [value for _, value in items] or [0], color=color)
        axes.set_title(head, fontfamily=family)
        axes.set_xlabel(unit, fontfamily=family)
        axes.invert_yaxis()
        for tick in axes.get_yticklabels():
            tick.set_fontfamily(family)
    figure.suptitle(title, fontfamily=family)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def build_stats_chart(**kwargs: object) -> bytes:
    """`render_stats_chart` off the event loop, as `build_report` does."""
    return await asyncio.to_thread(lambda: render_stats_chart(**kwargs))  # type: ignore[arg-type]
