"""The quarterly report: its figures (`quarter_stats`), its sheets, chart and caption.

Telegram-free, SQL aggregates, scope-aware. Every figure of the report comes from
`quarter_stats`; /report, the scheduled report after each quarter and /export's summary
all use it. A scope narrows which members are counted (`scopes.member_in_scopes`); peers
for ranking are always the whole activity group on its committee (`scopes.GroupKey`).
Rendering (`render_report`) is blocking: `build_report` runs it off the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.charts import render_report_chart
from bot.services.plausibility import Flag, find_flags
from bot.services.reminders import DutyPolicy, Laggard, laggards
from bot.services.rules import Period, Quarter, expected_people_by, median
from bot.services.scopes import GroupKey, Scope, group_key, group_order, within_scopes
from bot.services.sheets import COUNT, DECIMAL, POINTS, Sheet, xlsx_bytes
from bot.services.stations import StationStat, station_stats, verified_people
from bot.services.stats import KindRow
from bot.texts import REPORT, RULE_NAMES, Safe, cli_text, group_label, pace_text, scope_text, sheet_caption, t
from bot.texts.flags import FLAG_SHEET, flag_mark_text, flag_reason
from bot.texts.stations import STATION_SHEET
from models import Activity, ActivityGroup, Case, CaseEvent, CaseStatus, Member, Reachability, Region, Tally, utcnow
from models.tally import tally_column


@dataclass(frozen=True)
class Unreachable:
    """An active member the bot cannot write to: never bound (未绑定), or blocked the bot (已屏蔽)."""

    number: str
    name: str
    group: GroupKey | None
    blocked: bool  # False: never bound


@dataclass(frozen=True)
class GroupRow:
    group: GroupKey | None  # an activity group on one committee; None: members without an activity group
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
    unreachable: list[Unreachable] = field(default_factory=list)  # the unbound and the blocked, by 编号
    by_kind: list[KindRow] = field(default_factory=list)
    by_group: list[GroupRow] = field(default_factory=list)  # natural order (`scopes.group_order`)
    cases: list[CaseRow] = field(default_factory=list)  # the total first, then per category
    generated_at: datetime | None = None  # local time the figures were read (the sheets' title line)
    year_target: int = 0  # the yearly 人次 target `expected_people` is the pro-rata part of
    verified_people: int = 0  # of the quarter's 人次, those checked in at the door of a reception day
    stations: list[StationStat] = field(default_factory=list)  # the active stations in scope, by 编号
    flags: list[Flag] = field(default_factory=list)  # 存疑活动 of the quarter in scope, marked or not
    tz: ZoneInfo | None = None  # the office's time zone, for the times in the 存疑活动 sheet

    @property
    def unbound(self) -> int:
        """Active members in scope who never bound Telegram (nothing can be sent to them)."""
        return self.members - self.bound

    @property
    def blocked(self) -> int:
        """Bound members in scope who blocked the bot (sends fail until they write to it again)."""
        return sum(1 for u in self.unreachable if u.blocked)


async def quarter_stats(
    session: AsyncSession, *, quarter: Quarter, today: date, policy: DutyPolicy, scopes: Sequence[Scope] | None = None,
    now: datetime | None = None,
) -> QuarterStats:
    """Members, activities and 人次 of `quarter` within `scopes` (None: everything), judged at
    min(today, quarter end). `now`: when the figures are read, for the sheets' title line (None: the clock).

    Activity groups are counted per committee (`scopes.GroupKey`): the same group name on two
    committees is two rows, as peers and group scopes are."""
    as_of = min(today, quarter.last_day)
    expected = expected_people_by(as_of, policy.year_target)
    # one tally row per member and year (kept on write, bot/services/tally.py): no aggregate over activities
    year = Tally.__table__
    per_member = (
        sa_select(
            Member.id.label("member_id"),
            Member.telegram_id.label("telegram_id"),
            Member.activity_group_id.label("group_id"),
            Member.level.label("level"),
            Member.region_id.label("region_id"),
            func.coalesce(year.c.people, 0).label("y_people"),
            func.coalesce(year.c[tally_column("activities", quarter.q)], 0).label("q_n"),
            func.coalesce(year.c[tally_column("people", quarter.q)], 0).label("q_people"),
        )
        .select_from(Member)
        .outerjoin(year, and_(year.c.member_id == Member.id, year.c.year == quarter.year))
        .where(Member.active.is_(True))
    )
    per_member = within_scopes(per_member, scopes).subquery("per_member")
    # one pass over the members, per activity group on its committee; the totals are the groups' sums
    group_rows = (await session.exec(
        sa_select(
            ActivityGroup.name, per_member.c.level, Region.path,
            func.count(), func.count().filter(per_member.c.q_n > 0),
            func.sum(per_member.c.q_n), func.sum(per_member.c.q_people),
            func.count(per_member.c.telegram_id), func.count().filter(per_member.c.y_people >= expected),
        )
        .select_from(per_member)
        .outerjoin(ActivityGroup, ActivityGroup.id == per_member.c.group_id)
        .outerjoin(Region, Region.id == per_member.c.region_id)
        .group_by(ActivityGroup.name, per_member.c.level, Region.path)
    )).all()
    members, with_activity, bound, on_pace = (sum(row[i] for row in group_rows) for i in (3, 4, 7, 8))
    groups: dict[GroupKey | None, list[int]] = {}
    for name, level, region, n, active, activities, people, _, _ in group_rows:
        # members without a group are one row, whatever their committee
        sums = groups.setdefault(group_key(name, level, region), [0, 0, 0, 0])
        for index, value in enumerate((n, active, activities, people)):
            sums[index] += int(value or 0)
    by_group = [GroupRow(key, *sums) for key, sums in sorted(groups.items(), key=lambda item: group_order(item[0]))]
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
        generated_at=(now or utcnow()).astimezone(policy.tz), year_target=policy.year_target,
        verified_people=await verified_people(session, period=Period.of(quarter), scopes=scopes),
        stations=await station_stats(session, start=quarter.start(policy.tz), end=quarter.end(policy.tz),
                                     now=now or utcnow(), scopes=scopes),
        flags=await find_flags(session, quarters=[quarter], scopes=scopes, people_max=policy.plausible_people_max),
        tz=policy.tz,
    )


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
            median_hours_to_accept=median([hours(r[2], r[3]) for r in items if r[3] is not None]),
            median_hours_to_resolve=median([hours(r[2], r[4]) for r in items if r[4] is not None]),
            average_rating=sum(ratings) / len(ratings) if ratings else None,
        )

    return [summarise(category, items) for category, items in
            sorted(groups.items(), key=lambda kv: (kv[0] is not None, kv[0] or ""))]


async def unreachable_members(session: AsyncSession, *, scopes: Sequence[Scope] | None = None) -> list[Unreachable]:
    """Active members the bot cannot write to, by 编号: those who never bound Telegram, and those who blocked
    the bot (a 403 or a my_chat_member "kicked") until they write to it again."""
    blocked = Reachability.telegram_id.is_not(None)  # joined: only rows that say "blocked"
    query = (
        select(Member.number, Member.name, ActivityGroup.name, Member.level, Region.path, blocked)
        .outerjoin(Reachability, and_(Reachability.telegram_id == Member.telegram_id,
                                      Reachability.blocked_at.is_not(None)))
        .outerjoin(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
        .outerjoin(Region, Region.id == Member.region_id)
        .where(Member.active.is_(True), or_(Member.telegram_id.is_(None), Reachability.telegram_id.is_not(None)))
        .order_by(Member.number)
    )
    return [Unreachable(n, name, group_key(group, level, region), bool(is_blocked))
            for n, name, group, level, region, is_blocked in (await session.exec(within_scopes(query, scopes))).all()]


@dataclass(frozen=True)
class Report:
    xlsx: bytes
    png: bytes
    caption: str
    filename: str


def report_sections(stats: QuarterStats, *, kind_names: Mapping[str, str]) -> list[Sheet]:
    """The report's sheets: overview, laggards, unreachable members, activities by kind and by group, cases.

    Each with its title line (the quarter, the sheet, the scope, the day judged at, when generated),
    numbers formatted and, where a column adds up, a 合计 row."""
    at = stats.generated_at or datetime.now(UTC)

    def caption(sheet: str) -> str:
        return sheet_caption(REPORT["title"].format(quarter=stats.quarter.cn_label, sheet=sheet),
                             scope_text(stats.scopes), REPORT["as_of"].format(day=stats.as_of.isoformat()), at=at)

    def sheet(name: str, headers: Sequence[str], rows: list, **layout: object) -> Sheet:
        return Sheet(name, headers, rows, caption=caption(name), **layout)  # type: ignore[arg-type] - Sheet's fields

    overview = sheet(REPORT["sheet_members"], [REPORT["col_item"], REPORT["col_value"]], [
        [REPORT["row_members"], stats.members],
        [REPORT["row_bound"], stats.bound],
        [REPORT["row_unbound"], stats.unbound],
        [REPORT["row_blocked"], stats.blocked],
        [REPORT["row_with_activity"], stats.with_activity],
        [REPORT["row_on_pace"].format(pace=pace_text(stats.expected_people, stats.year_target, stats.as_of)),
         stats.on_pace],
        [REPORT["row_lagging"], len(stats.lagging)],
    ], numbers={1: COUNT})
    lagging = sheet(REPORT["sheet_lagging"], REPORT["cols_lagging"], [
        [lag.number, lag.name, group_label(lag.group, REPORT["no_group"]), lag.quarter_activities, lag.year_people,
         lag.expected_people, lag.points, "、".join(RULE_NAMES[r.value] for r in lag.rules)]
        for lag in stats.lagging
    ], numbers={3: COUNT, 4: COUNT, 5: COUNT, 6: POINTS}, totals=[3, 4, 6], total_label=REPORT["total_members"])
    unreachable = sheet(REPORT["sheet_unreachable"], REPORT["cols_unreachable"], [
        [u.number, u.name, group_label(u.group, REPORT["no_group"]),
         REPORT["reason_blocked"] if u.blocked else REPORT["reason_unbound"]] for u in stats.unreachable
    ], totals=[], total_label=REPORT["total_unreachable"].format(unbound=stats.unbound, blocked=stats.blocked))
    by_kind = sheet(REPORT["sheet_kinds"], REPORT["cols_kinds"], [
        [kind_names.get(row.kind, row.kind), row.activities, row.people] for row in stats.by_kind
    ], numbers={1: COUNT, 2: COUNT}, totals=[1, 2])
    by_group = sheet(REPORT["sheet_groups"], REPORT["cols_groups"], [
        [group_label(row.group, REPORT["no_group"]), row.members, row.active_members, row.activities, row.people]
        for row in stats.by_group
    ], numbers={1: COUNT, 2: COUNT, 3: COUNT, 4: COUNT}, totals=[1, 2, 3, 4])

    def shown(value: float | None) -> object:
        return "—" if value is None else round(value, 1)

    # the first row, 全部, is the total of the categories under it
    cases = sheet(REPORT["sheet_cases"], REPORT["cols_cases"], [
        [row.category or REPORT["all_categories"], row.received, row.accepted, row.resolved, row.confirmed,
         row.reopened, shown(row.median_hours_to_accept), shown(row.median_hours_to_resolve),
         shown(row.average_rating)]
        for row in stats.cases
    ], numbers={1: COUNT, 2: COUNT, 3: COUNT, 4: COUNT, 5: COUNT, 6: DECIMAL, 7: DECIMAL, 8: DECIMAL})
    sheets = [overview, lagging, unreachable, by_kind, by_group, cases]
    if stats.verified_people:
        people = sum(row.people for row in stats.by_kind)
        overview.rows.append([STATION_SHEET["row_verified"].format(people=people), stats.verified_people])  # type: ignore[attr-defined] - a list
    if stats.stations:
        sheets.append(station_sheet(stats.stations, caption(str(STATION_SHEET["title"]))))
    if stats.flags:  # as the stations: no empty sheet
        sheets.append(flag_sheet(stats.flags, caption(str(FLAG_SHEET["title"])), kind_names=kind_names,
                                 tz=stats.tz or UTC))
    return sheets


def flag_sheet(flags: Sequence[Flag], caption: str, *, kind_names: Mapping[str, str], tz: tzinfo) -> Sheet:
    """The 存疑活动 sheet: each flag of the quarter with the member, date, kind, 人次, the reason and its mark."""
    rows = [[f.member_number, f.member_name, f.activity_date, kind_names.get(f.kind, f.kind), f.people,
             f.verified_people, f.place, flag_reason(f.rule.value, f.detail, tz, html=False),
             flag_mark_text(f.mark.value if f.mark else None, f.marked_by, f.marked_at, tz)] for f in flags]
    return Sheet(FLAG_SHEET["title"], FLAG_SHEET["cols"], rows, caption=caption,  # type: ignore[arg-type] - the catalogue's mixed dict
                 numbers={4: COUNT, 5: COUNT}, totals=[], total_label=str(FLAG_SHEET["total"]))


def station_sheet(stations: Sequence[StationStat], caption: str) -> Sheet:
    """The 工作站 sheet: each station in scope with its reception days, check-ins, cases and 六有."""
    rows = [[s.code, s.name, cli_text(f"station_kind_{s.kind.value}"), s.region or "", s.members, f"{s.six_done}/6",
             s.receptions, s.checkins, s.cases] for s in stations]
    idle = sum(1 for s in stations if not s.receptions)
    return Sheet(STATION_SHEET["title"], STATION_SHEET["cols"], rows, caption=caption,  # type: ignore[arg-type] - the catalogue's mixed dict
                 numbers={4: COUNT, 6: COUNT, 7: COUNT, 8: COUNT}, totals=[4, 6, 7, 8],
                 total_label=str(STATION_SHEET["total"]).replace("{idle}", str(idle)))


def report_caption(stats: QuarterStats) -> str:
    return t("report_caption", quarter=stats.quarter.cn_label, scope=scope_text(stats.scopes), members=stats.members,
             bound=stats.bound, active=stats.with_activity, on_pace=stats.on_pace, lagging=len(stats.lagging),
             unbound=stats.unbound, blocked=stats.blocked,
             pace=Safe(pace_text(stats.expected_people, stats.year_target, stats.as_of)))


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
