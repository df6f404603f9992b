"""Reminders to members who lag, and the quarter-end list for coordinators — Telegram-free.

Who lags is one SQL statement over all members at once (each member's yearly figures are
aggregates kept on write, no query per member); the bottom-share rule then ranks each peer
group in Python (`rules.bottom_cuts`). What is due is asked of the database, never
remembered by a job: an occasion (`mid`, `late`, `quarter-end`) of a quarter is due
from its moment until the next occasion's moment, is scanned once (a `ScheduledRun`
row, claimed with INSERT … ON CONFLICT DO NOTHING in the same transaction as the
messages), and each message has its own outbox key, so a second run, a second process
or a hand-run `remind --send` never sends anything twice. Services stage; the caller commits.
"""

from __future__ import annotations

import enum
import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Row, String, and_, bindparam, case, func, literal, literal_column, or_, type_coerce
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.base import ColumnCollection
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import analytic, dialect_insert, dialect_of
from bot.services import outbox
from bot.services.outbox import Button
from bot.services.rules import Quarter, bottom_cuts, expected_people_by, local_today
from bot.services.scopes import GroupKey, Scope, group_key, member_in_scopes, scope_of
from bot.texts import group_label, render_quarter_end, render_reminder
from models import ActivityGroup, Member, OutboxMessage, OutboxStatus, Region, RoleGrant, ScheduledRun, Tally
from models.tally import tally_column


class Rule(str, enum.Enum):
    no_activity = "no_activity"  # (a) nothing logged yet this quarter
    below_pace = "below_pace"  # (b) this year's 人次 below the pro-rata pace to the yearly target
    bottom_share = "bottom_share"  # (c) bottom share of the activity group by points this year


class Occasion(str, enum.Enum):
    mid = "mid"
    late = "late"
    quarter_end = "quarter-end"
    nudge = "nudge"  # sent by hand from /laggards (bot/services/outreach.py), not scheduled


@dataclass(frozen=True)
class DutyPolicy:
    """The settings reminders follow (built from `Settings` by the caller)."""

    tz: ZoneInfo
    rules: tuple[Rule, ...] = (Rule.no_activity, Rule.below_pace, Rule.bottom_share)
    moments: tuple[tuple[Occasion, int], ...] = ((Occasion.mid, 45), (Occasion.late, -15))
    at: time = time(9, 0)
    bottom_share: float = 0.10
    quarter_target: int = 1
    year_target: int = 40
    admin_ids: tuple[int, ...] = ()
    plausible_people_max: int = 300  # 存疑活动: 人次 above this in one activity (bot/services/plausibility.py)

    @classmethod
    def from_settings(cls, settings) -> DutyPolicy:  # noqa: ANN001 - bot.config.Settings
        return cls(
            tz=settings.tz,
            rules=tuple(Rule(r) for r in settings.reminder_rules),
            moments=tuple((Occasion(k), v) for k, v in settings.reminder_moments.items()),
            at=settings.reminder_time,
            bottom_share=settings.reminder_bottom_share,
            quarter_target=settings.quarterly_activity_target,
            year_target=settings.yearly_people_target,
            admin_ids=tuple(settings.admin_ids),
            plausible_people_max=settings.plausible_people_max,
        )

    def day_of(self, occasion: Occasion, quarter: Quarter) -> date:
        """The local date an occasion of `quarter` falls on (quarter-end: the morning after it)."""
        if occasion is Occasion.quarter_end:
            return quarter.next().first_day
        offset = dict(self.moments)[occasion]
        if offset > 0:
            return quarter.first_day + timedelta(days=offset - 1)
        return quarter.next().first_day + timedelta(days=offset)

    def moment(self, occasion: Occasion, quarter: Quarter) -> datetime:
        return datetime.combine(self.day_of(occasion, quarter), self.at, tzinfo=self.tz)

    def occasions(self) -> list[Occasion]:
        return [o for o, _ in self.moments] + [Occasion.quarter_end]


def due_occasion(policy: DutyPolicy, now: datetime) -> tuple[Occasion, Quarter] | None:
    """The latest occasion whose moment has passed: due until the next one's moment (catch-up once, in its period)."""
    current = Quarter.of(local_today(now, policy.tz))
    moments = [
        (policy.moment(occasion, quarter), occasion, quarter)
        for quarter in (current.prev(), current)
        for occasion in policy.occasions()
    ]
    passed = [m for m in moments if m[0] <= now]
    if not passed:
        return None
    _, occasion, quarter = max(passed, key=lambda m: m[0])
    return occasion, quarter


def as_of_day(policy: DutyPolicy, occasion: Occasion, quarter: Quarter, today: date) -> date:
    """The day the rules are judged at: today once the moment has passed (so late entries count),
    the occasion's own day when previewing it ahead, and never after the quarter's last day."""
    if occasion is Occasion.quarter_end:
        return quarter.last_day
    return min(max(today, policy.day_of(occasion, quarter)), quarter.last_day)


class Laggard(NamedTuple):  # a tuple: 90,000 of them are built in one scan, a frozen dataclass costs 3× as much
    member_id: int
    number: str
    name: str
    telegram_id: int | None
    group: GroupKey | None  # the activity group on the member's committee; None: peers are the sector's
    quarter_activities: int
    year_people: int
    expected_people: int
    points: float
    peers: int
    points_to_leave_bottom: float | None
    rules: tuple[Rule, ...]

    @property
    def people_short(self) -> int:
        return max(self.expected_people - self.year_people, 0)

    @property
    def peer_label(self) -> str | None:
        """The group as every list shows it (第1界别活动组（省·甘肃省）); None: the member's sector."""
        return group_label(self.group) or None


def _peer_partition(columns: ColumnCollection, dialect: str = "sqlite") -> list:
    """Peers as `activities.standing` defines them (`_peers_branch`): same activity group on the same committee
    (level and region), or without a group, the same sector; NULL regions are one committee.

    On PostgreSQL the level is compared bytewise (COLLATE "C": the same partitions, a sort that
    does not consult the locale). The integer keys come first and the level string last: the same
    partitions, and the sort compares strings only between members of the same group and region
    (≈ 15 % off the statement on PostgreSQL)."""
    level = type_coerce(columns.level, String)  # the string it is: no enum built per row read
    level = level.collate("C") if dialect == "postgresql" else level
    return [columns.activity_group_id, columns.region_id,
            case((columns.activity_group_id.is_(None), columns.sector_id), else_=None), level]


def _scored(*, quarter: Quarter, scopes: Sequence[Scope] | None, dialect: str, everyone: bool = False) -> Subquery:
    """The active members in scope with this year's tally figures (kept on write, `bot/services/tally.py`)
    and peer keys; nothing is sorted. Columns: member_id, activity_group_id, number, name, telegram_id,
    peer_0…peer_3, q_n, y_people, points.

    `everyone`: every active member, and a last column `in_scope` telling the ones in scope apart (the
    bottom share compares a member with peers a scope may leave out)."""
    year = Tally.__table__
    peers = _peer_partition(Member, dialect)
    condition = member_in_scopes(scopes)
    columns = [
        Member.id.label("member_id"), Member.activity_group_id,
        Member.number, Member.name, Member.telegram_id,
        *[key.label(f"peer_{i}") for i, key in enumerate(peers)],
        func.coalesce(year.c[tally_column("activities", quarter.q)], 0).label("q_n"),
        func.coalesce(year.c.people, 0).label("y_people"),
        func.coalesce(year.c.points, literal_column("0.0")).label("points"),
    ]
    if everyone:
        columns.append((literal(1) if condition is None else case((condition, 1), else_=0)).label("in_scope"))
    query = (
        select(*columns)
        .select_from(Member)
        .outerjoin(year, and_(year.c.year == quarter.year, year.c.member_id == Member.id))
        .where(Member.active.is_(True))
    )
    if condition is not None and not everyone:
        query = query.where(condition)
    return query


def _rule_conditions(scored: Subquery, *, policy: DutyPolicy, expected: int) -> dict:
    """Rule -> its SQL condition on `_scored`'s columns (the bottom share is a ranking: `rules.bottom_cuts`)."""
    return {
        Rule.no_activity: scored.c.q_n < policy.quarter_target,
        Rule.below_pace: scored.c.y_people < expected,
    }


def _expected(quarter: Quarter, as_of: date, policy: DutyPolicy) -> int:
    return expected_people_by(as_of, policy.year_target) if as_of.year == quarter.year else policy.year_target


def _hits(rules: Sequence[Rule], policy: DutyPolicy, expected: int, q_n: int, y_people: int, bottom: bool
          ) -> list[Rule]:
    """The rules (in `rules`' canonical order) a member's figures match."""
    hit = []
    if Rule.no_activity in rules and q_n < policy.quarter_target:
        hit.append(Rule.no_activity)
    if Rule.below_pace in rules and y_people < expected:
        hit.append(Rule.below_pace)
    if Rule.bottom_share in rules and bottom:
        hit.append(Rule.bottom_share)
    return tuple(hit)


async def laggards(
    session: AsyncSession,
    *,
    quarter: Quarter,
    as_of: date,
    policy: DutyPolicy,
    rules: Sequence[Rule] | None = None,
    scopes: Sequence[Scope] | None = None,
) -> list[Laggard]:
    """Active members in scope matching any of `rules` (default: the policy's) in `quarter`, judged
    at `as_of`, in 编号 order.

    Without the bottom-share rule nobody is compared with anybody: `laggards_page` in one piece.
    With it, one statement reads every active member's figures from this year's tally (kept on
    write, `bot/services/tally.py`) with their peer keys, and `rules.bottom_cuts` ranks each peer group
    (a scope narrows who is listed, never who they are compared with). The ranking is done here,
    not by window functions: sorting ~150 numbers per group in Python costs 0.1 s for 200,000
    members, the same ranking by SQLite's window functions 1.5 s (bench/README.md).
    """
    rules = tuple(policy.rules if rules is None else rules)
    if not rules:
        return []
    if Rule.bottom_share not in rules:
        return (await laggards_page(session, quarter=quarter, as_of=as_of, policy=policy, rules=rules,
                                    scopes=scopes, offset=0, limit=None))[1]
    expected = _expected(quarter, as_of, policy)
    query = _scored(quarter=quarter, scopes=scopes, dialect=dialect_of(session), everyone=True)
    connection = await session.connection()
    groups = dict((await connection.execute(select(ActivityGroup.id, ActivityGroup.name))).all())
    regions = dict((await connection.execute(select(Region.id, Region.path))).all())
    with _no_gc_pauses():
        rows = (await connection.execute(query)).all()
        return _rank_and_list(rows, rules, policy, expected, _GroupKeys(groups, regions))


@contextmanager
def _no_gc_pauses() -> Iterator[None]:
    """No cyclic garbage collection while a scan reads and builds its lists (≈ 0.2 s off 1 s on
    PostgreSQL): 200,000 rows of new tuples would otherwise trigger collections that walk every one
    of them again. Other tasks running meanwhile only have their collection put off until after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _GroupKeys(dict):
    """(group id, region id, level) -> its `GroupKey`, each made once for a scan of many members."""

    def __init__(self, names: dict[int, str], regions: dict[int, str]) -> None:
        super().__init__()
        self.names, self.regions = names, regions

    def __missing__(self, key: tuple) -> GroupKey | None:
        group_id, region_id, level = key
        made = self[key] = group_key(self.names.get(group_id), level, self.regions.get(region_id))
        return made


def _rank_and_list(rows: Sequence[Row], rules: tuple[Rule, ...], policy: DutyPolicy, expected: int,
                   groups: _GroupKeys) -> list[Laggard]:
    """`laggards`' rows (`_scored` of everyone) -> the laggards in scope, in 编号 order."""
    points_by_group: dict[tuple, list[float]] = {}
    for *_, g0, g1, g2, g3, _q_n, _y_people, points_, _in_scope in rows:
        points_by_group.setdefault((g0, g1, g2, g3), []).append(points_)
    cuts = bottom_cuts(points_by_group, policy.bottom_share)
    found: list[Laggard] = []
    target = policy.quarter_target
    for member_id, group_id, number, name, telegram_id, g0, g1, g2, g3, q_n, y_people, points_, in_scope in rows:
        if not in_scope:
            continue
        cut = cuts[g0, g1, g2, g3]
        gap = cut.gap(points_)
        if q_n < target or y_people < expected or gap is not None:  # any rule at all; which ones: `_hits`
            hit = _hits(rules, policy, expected, q_n, y_people, gap is not None)
            if hit:
                found.append(Laggard(member_id, number, name, telegram_id, groups[group_id, g1, g3], int(q_n),
                                     int(y_people), expected, float(points_), cut.peers, gap, hit))
    found.sort(key=lambda lag: lag.number)
    return found


async def laggards_page(
    session: AsyncSession,
    *,
    quarter: Quarter,
    as_of: date,
    policy: DutyPolicy,
    rules: Sequence[Rule],
    scopes: Sequence[Scope] | None = None,
    offset: int,
    limit: int | None,
) -> tuple[int, list[Laggard]]:
    """(how many, `limit` of them from `offset`) of what `laggards` returns (same order), paged in SQL.

    Only for rules that rank nobody (not the bottom share): then no member is compared with another,
    only the members in scope are read and nothing but the page is sorted; each listed member's
    peers are counted for the page alone. An offset past the end gives the total and no rows."""
    rules = tuple(rules)
    if Rule.bottom_share in rules:
        raise ValueError("the bottom-share rule ranks every member: use laggards()")
    if not rules:
        return 0, []
    expected = _expected(quarter, as_of, policy)
    dialect = dialect_of(session)
    scored = _scored(quarter=quarter, scopes=scopes, dialect=dialect).subquery("scored")
    keys = _peer_partition(Member, dialect)
    matches = _rule_conditions(scored, policy=policy, expected=expected)
    number = scored.c.number.collate("C") if dialect == "postgresql" else scored.c.number  # Python's order: code points
    page = (
        select(scored, func.count().over().label("total"))
        .where(or_(*[matches[r] for r in rules]))
        .order_by(number)
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )
    # the page's peer groups, counted as the ranked scan's window counts them (NULL keys are one group)
    groups = (
        select(*[key.label(f"peer_{i}") for i, key in enumerate(keys)], func.count().label("peers"))
        .where(Member.active.is_(True))
        .group_by(*keys)
        .subquery("peer_groups")
    )
    same_group = and_(*[page.c[f"peer_{i}"].is_not_distinct_from(groups.c[f"peer_{i}"]) for i in range(len(keys))])
    query = (
        select(page.c.member_id, page.c.number, page.c.name, page.c.telegram_id, ActivityGroup.name, page.c.peer_3,
               Region.path, page.c.q_n, page.c.y_people, page.c.points, groups.c.peers, page.c.total)
        .select_from(page)
        .join(groups, same_group)
        .outerjoin(ActivityGroup, ActivityGroup.id == page.c.activity_group_id)
        .outerjoin(Region, Region.id == page.c.peer_1)
        .order_by(page.c.number.collate("C") if dialect == "postgresql" else page.c.number)
    )
    await analytic(session)
    rows = (await (await session.connection()).execute(query)).all()
    if not rows:
        total = (await (await session.connection()).execute(
            select(func.count()).select_from(scored).where(or_(*[matches[r] for r in rules]))
        )).scalar_one() if offset > 0 else 0
        return total, []
    found = [
        Laggard(member_id, number_, name, telegram_id, group_key(group, level, region), int(q_n), int(y_people),
                expected, float(points_), int(peers_), None, _hits(rules, policy, expected, q_n, y_people, False))
        for member_id, number_, name, telegram_id, group, level, region, q_n, y_people, points_, peers_, _ in rows
    ]
    return rows[0][-1], found


# --- occasions: what is sent, to whom, once ---------------------------------------------


def reminder_key(member_id: int, quarter: Quarter, occasion: Occasion) -> str:
    return f"remind:{member_id}:{quarter.label}:{occasion.value}"


def quarter_end_key(telegram_id: int, quarter: Quarter) -> str:
    return f"quarter-end:{telegram_id}:{quarter.label}"


def run_key(occasion: Occasion, quarter: Quarter) -> str:
    return f"remind:{occasion.value}:{quarter.label}"


@dataclass(frozen=True)
class Outgoing:
    """One message an occasion would send, and why."""

    key: str
    chat_id: int | None  # None: the member has not bound Telegram, nothing can be sent
    text: str
    laggard: Laggard | None = None
    kind: str = "reminder"
    idle: int = 0  # quarter-end lists: how many members in scope had no activity


@dataclass
class Plan:
    occasion: Occasion
    quarter: Quarter
    as_of: date
    outgoing: list[Outgoing] = field(default_factory=list)
    laggards: list[Laggard] = field(default_factory=list)


async def coordinators(session: AsyncSession, policy: DutyPolicy) -> dict[int, list[Scope] | None]:
    """Everyone who gets scope lists and reports: coordinators (their scopes) and admins (None: everything)."""
    grants = (await session.exec(select(RoleGrant).order_by(RoleGrant.telegram_id, RoleGrant.id))).all()
    people: dict[int, list[Scope] | None] = {}
    for grant in grants:
        people.setdefault(grant.telegram_id, []).append(  # type: ignore[union-attr] - admins (None) are added after
            scope_of(grant.scope_kind, grant.scope_value, grant.committee_level, grant.committee_region))
    for admin_id in policy.admin_ids:
        people[admin_id] = None
    return people


async def plan_occasion(
    session: AsyncSession, *, occasion: Occasion, quarter: Quarter, now: datetime, policy: DutyPolicy
) -> Plan:
    """What this occasion sends (nothing is written): member reminders, or the quarter-end lists."""
    as_of = as_of_day(policy, occasion, quarter, local_today(now, policy.tz))
    plan = Plan(occasion=occasion, quarter=quarter, as_of=as_of)
    if occasion is Occasion.quarter_end:
        for telegram_id, scopes in (await coordinators(session, policy)).items():
            idle = await laggards(session, quarter=quarter, as_of=as_of, policy=policy,
                                  rules=[Rule.no_activity], scopes=scopes)
            plan.outgoing.append(Outgoing(
                key=quarter_end_key(telegram_id, quarter), chat_id=telegram_id, kind="quarter_end",
                text=render_quarter_end(quarter=quarter, idle=idle, scopes=scopes), idle=len(idle),
            ))
        return plan
    plan.laggards = await laggards(session, quarter=quarter, as_of=as_of, policy=policy)
    for laggard in plan.laggards:
        plan.outgoing.append(Outgoing(
            key=reminder_key(laggard.member_id, quarter, occasion), chat_id=laggard.telegram_id,
            text=render_reminder(laggard=laggard, quarter=quarter, as_of=as_of, policy=policy),
            laggard=laggard,
        ))
    return plan


async def sent_status(session: AsyncSession, plan: Plan) -> dict[str, OutboxStatus]:
    """The outbox status of this plan's keys that were already written (one query)."""
    prefix = "quarter-end:%" if plan.occasion is Occasion.quarter_end else "remind:%"
    suffix = f":{plan.quarter.label}"
    if plan.occasion is not Occasion.quarter_end:
        suffix += f":{plan.occasion.value}"
    rows = (await session.exec(
        select(OutboxMessage.key, OutboxMessage.status).where(OutboxMessage.key.like(prefix + suffix))
    )).all()
    return {key: OutboxStatus(status) for key, status in rows}


async def claim_marker(session: AsyncSession, *, key: str, now: datetime, detail: str = "") -> bool:
    """Record that a scheduled scan `key` is done (in the caller's transaction); False when it already was."""
    dialect = dialect_of(session)
    statement = (
        dialect_insert(dialect, ScheduledRun.__table__)
        .values(key=key, done_at=now, detail=detail[:255])
        .on_conflict_do_nothing(index_elements=["key"])
    )
    if dialect == "postgresql":
        return (await session.exec(statement.returning(ScheduledRun.__table__.c.key))).first() is not None
    return (await session.exec(statement)).rowcount == 1


async def marker_done(session: AsyncSession, *, key: str) -> bool:
    return await session.get(ScheduledRun, key) is not None


async def claim_run(session: AsyncSession, *, occasion: Occasion, quarter: Quarter, now: datetime,
                    detail: str = "") -> bool:
    """Mark the occasion's scan as done (in the caller's transaction); False when it already was."""
    return await claim_marker(session, key=run_key(occasion, quarter), now=now, detail=detail)


async def run_done(session: AsyncSession, *, occasion: Occasion, quarter: Quarter) -> bool:
    return await marker_done(session, key=run_key(occasion, quarter))


async def enqueue_plan(
    session: AsyncSession, plan: Plan, *, now: datetime, log_button: Button | None = None
) -> tuple[int, int]:
    """Write the plan's messages to the outbox; (new, already there). Unbound members are skipped.

    `log_button` (made by the caller from the handlers' callback codec) goes under each member reminder.
    """
    new = existing = 0
    for item in plan.outgoing:
        if item.chat_id is None:
            continue
        buttons = [[log_button]] if (log_button is not None and item.laggard is not None) else None
        if await outbox.enqueue(session, key=item.key, chat_id=item.chat_id, kind=item.kind, text=item.text,
                                now=now, buttons=buttons):
            new += 1
        else:
            existing += 1
    return new, existing


async def run_due(
    session: AsyncSession, *, now: datetime, policy: DutyPolicy, log_button: Button | None = None
) -> Plan | None:
    """The job's use case: the due occasion, if not scanned yet, is scanned and enqueued once."""
    due = due_occasion(policy, now)
    if due is None:
        return None
    occasion, quarter = due
    if await run_done(session, occasion=occasion, quarter=quarter):
        return None
    if not await claim_run(session, occasion=occasion, quarter=quarter, now=now, detail="job"):
        return None  # another process got there first
    plan = await plan_occasion(session, occasion=occasion, quarter=quarter, now=now, policy=policy)
    await enqueue_plan(session, plan, now=now, log_button=log_button)
    return plan


@dataclass(frozen=True)
class ReminderRecord:
    quarter: str
    occasion: Occasion
    status: OutboxStatus
    created_at: datetime
    sent_at: datetime | None
    text: str


def _history_statement(dialect: str, *, limited: bool):  # noqa: ANN202 - built once per shape (_HISTORY)
    table = OutboxMessage.__table__
    key = outbox.key_column(dialect)
    query = (
        select(table.c.key, table.c.status, table.c.created_at, table.c.sent_at, table.c.text)
        .where(key >= bindparam("b_from"), key < bindparam("b_to"))
        .order_by(table.c.created_at.desc(), table.c.id.desc())
    )
    return query.limit(bindparam("b_limit")) if limited else query


# /my runs it on every call: built once per dialect and shape (building costs more than running it)
_HISTORY = {(d, limited): _history_statement(d, limited=limited)
            for d in ("sqlite", "postgresql") for limited in (False, True)}


async def reminder_history(session: AsyncSession, *, member_id: int, limit: int | None = None) -> list[ReminderRecord]:
    """The reminders written for one member, newest first (for /my); at most `limit`.

    A key range rather than LIKE (`outbox.keys_starting`), so an index on the key serves it.
    """
    lower, upper = outbox.key_range(f"remind:{member_id}:")
    params = {"b_from": lower, "b_to": upper}
    if limit is not None:
        params["b_limit"] = limit
    query = _HISTORY[(dialect_of(session), limit is not None)]
    records = []
    for key, status, created_at, sent_at, text_ in (await session.exec(query, params=params)).all():
        _, _, quarter, occasion = key.split(":", 3)
        occasion = occasion.split(":", 1)[0]  # a nudge's key ends with its day: nudge:2026-11-28
        records.append(ReminderRecord(quarter=quarter, occasion=Occasion(occasion), status=status,
                                      created_at=created_at, sent_at=sent_at, text=text_))
    return records


def report_due(policy: DutyPolicy, now: datetime) -> Quarter | None:
    """The quarter whose report is due: the one that ended, from its quarter-end moment until the next
    occasion (the same catch-up window as the quarter-end lists)."""
    due = due_occasion(policy, now)
    return due[1] if due is not None and due[0] is Occasion.quarter_end else None


def report_key(quarter: Quarter) -> str:
    return f"report:{quarter.label}"
