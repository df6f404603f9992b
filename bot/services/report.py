"""The quarterly report: its figures (`quarter_stats`), its sheets, chart and caption.

Telegram-free, SQL aggregates, scope-aware. Every figure of the report comes from
`quarter_stats`; /report, the scheduled report after each quarter and /export's summary
all use it. A scope narrows which members are counted (`scopes.member_in_scopes`); peers
for ranking are always the whole activity group. Rendering (`render_report`) is blocking:
`build_report` runs it off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func
from sqlalchemy import select as sa_select
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.charts import render_report_chart
from bot.services.reminders import DutyPolicy, Laggard, laggards
from bot.services.rules import Quarter, expected_people_by
from bot.services.scopes import Scope, within_scopes
from bot.services.sheets import Sheet, xlsx_bytes
from bot.services.stats import KindRow
from bot.texts import REPORT, RULE_NAMES, scope_text, t
from models import Activity, ActivityGroup, Case, CaseEvent, CaseStatus, Member, Reachability, Tally
from models.tally import tally_column


@dataclass(frozen=True)
class Unreachable:
    number: str
    name: str
    group: str | None


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


async def quarter_stats(
    session: AsyncSession, *, quarter: Quarter, today: date, policy: DutyPolicy, scopes: Sequence[Scope] | None = None
) -> QuarterStats:
    """Members, activities and 人次 of `quarter` within `scopes` (None: everything), judged at
    min(today, quarter end)."""
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
    per_member = within_scopes(per_member, scopes).subquery("per_member")
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
    counted = within_scopes(sa_select(Member.id).where(Member.active.is_(True)), scopes)
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


async def case_rows(session: AsyncSession, *, quarter: Quarter, tz: ZoneInfo, scopes: Sequence[Scope] | None = None
                    ) -> list[CaseRow]:
    """Cases received in `quarter` (Asia/Shanghai days) whose handler is in scope (admins: all cases).

    Counts come from the case rows; the medians of hours to accept and to resolve are taken over
    the quarter's cases (a quarter's cases are few; SQLite has no median aggregate).
    """
    start, end = quarter.start(tz), quarter.end(tz)
    reopened = (sa_select(CaseEvent.case_id).where(CaseEvent.action == "reopen").distinct().subquery())
    query = (
        sa_select(Case.category, Case.status, Case.created_at, Case.accepted_at, Case.resolved_at, Case.rating,
                  reopened.c.case_id)
        .select_from(Case)
        .outerjoin(Member, Member.id == Case.member_id)
        .outerjoin(reopened, reopened.c.case_id == Case.id)
        .where(Case.created_at >= start, Case.created_at < end)
    )
    rows = (await session.exec(within_scopes(query, scopes))).all()
    groups: dict[str | None, list] = {None: []}
    for row in rows:
        groups[None].append(row)
        groups.setdefault(row[0], []).append(row)

    def summarise(category: str | None, items: list) -> CaseRow:
        def hours(a: datetime, b: datetime) -> float:
            return (b - a).total_seconds() / 3600

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
    return [Unreachable(n, name, group) for n, name, group in (await session.exec(within_scopes(query, scopes))).all()]


@dataclass(frozen=True)
class Report:
    xlsx: bytes
    png: bytes
    caption: str
    filename: str


def report_sections(stats: QuarterStats, *, kind_names: Mapping[str, str]) -> list[Sheet]:
    """The report's sheets: overview, laggards, unreachable members, activities by kind and by group, cases."""
    overview = Sheet(REPORT["sheet_members"], [REPORT["col_item"], REPORT["col_value"]], [
        [REPORT["row_members"], stats.members],
        [REPORT["row_bound"], stats.bound],
        [REPORT["row_with_activity"], stats.with_activity],
        [REPORT["row_on_pace"].format(target=stats.expected_people), stats.on_pace],
        [REPORT["row_lagging"], len(stats.lagging)],
        [REPORT["row_unreachable"], len(stats.unreachable)],
    ])
    lagging = Sheet(REPORT["sheet_lagging"], REPORT["cols_lagging"], [
        [lag.number, lag.name, lag.peer_label or REPORT["no_group"], lag.quarter_activities, lag.year_people,
         lag.expected_people, lag.points, "、".join(RULE_NAMES[r.value] for r in lag.rules)]
        for lag in stats.lagging
    ])
    unreachable = Sheet(REPORT["sheet_unreachable"], REPORT["cols_unreachable"], [
        [u.number, u.name, u.group or REPORT["no_group"]] for u in stats.unreachable
    ])
    by_kind = Sheet(REPORT["sheet_kinds"], REPORT["cols_kinds"], [
        [kind_names.get(row.kind, row.kind), row.activities, row.people] for row in stats.by_kind
    ])
    by_group = Sheet(REPORT["sheet_groups"], REPORT["cols_groups"], [
        [row.group or REPORT["no_group"], row.members, row.active_members, row.activities, row.people]
        for row in stats.by_group
    ])

    def shown(value: float | None) -> object:
        return "—" if value is None else round(value, 1)

    cases = Sheet(REPORT["sheet_cases"], REPORT["cols_cases"], [
        [row.category or REPORT["all_categories"], row.received, row.accepted, row.resolved, row.confirmed,
         row.reopened, shown(row.median_hours_to_accept), shown(row.median_hours_to_resolve),
         shown(row.average_rating)]
        for row in stats.cases
    ])
    return [overview, lagging, unreachable, by_kind, by_group, cases]


def report_caption(stats: QuarterStats) -> str:
    return t("report_caption", quarter=stats.quarter.cn_label, scope=scope_text(stats.scopes), members=stats.members,
             bound=stats.bound, active=stats.with_activity, on_pace=stats.on_pace, lagging=len(stats.lagging),
             unreachable=len(stats.unreachable))


def render_report(stats: QuarterStats, *, kind_names: Mapping[str, str]) -> Report:
    """Everything the report needs, blocking: run it with `asyncio.to_thread` (see `build_report`)."""
    return Report(
        xlsx=xlsx_bytes(report_sections(stats, kind_names=kind_names)),
        png=render_report_chart(stats, kind_names=kind_names),
        caption=report_caption(stats),
        filename=REPORT["filename"].format(quarter=stats.quarter.label),
    )


async def build_report(stats: QuarterStats, *, kind_names: Mapping[str, str]) -> Report:
    """The report, rendered off the event loop so the bot keeps answering."""
    return await asyncio.to_thread(render_report, stats, kind_names=dict(kind_names))
