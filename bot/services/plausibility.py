"""Implausible activity logs (存疑活动): flagged for coordinators, never blocked. No Telegram here.

Each rule is a plain predicate (tested on both sides of its threshold) and one indexed query over the
live activities of one quarter at a time (`Activity.year`/`quarter`; /queue's two quarters are the union
of two report sheets) of the members a scope covers — the same members /queue lets a coordinator assign
to (`scopes.member_in_scopes`; None: an admin's all):

- `people`: 人次 of one activity above `people_max` (PLAUSIBLE_PEOPLE_MAX);
- `day`: more than `DAY_MAX` activities of one member on one date — each beyond the third (by the time
  it was logged) is flagged, with its place in the day;
- `summary`: one member's summary used again in the quarter — compared by `summary_key` (NFKC, case
  folded, every character that is not a letter or a digit dropped, so spaces, punctuation and emoji
  don't count; under `SUMMARY_MIN` characters left: not compared); the repeats after the first are
  flagged. Another member's identical text is not (a joint activity's summary is often shared);
- `hour`: two activities of one member at the same time (in two places, or twice in one). Activities carry a date, not a
  time; the only times are those of reception days (`Reception.starts_at`/`ends_at`), so only
  activities made from reception days are compared: two whose spans overlap, at different places or at
  the same one (one member's overlapping days would count the same residents twice).
  The time an activity was logged says nothing of when it was held and is not used;
- `walk_ins`: an activity made from a reception day whose typed walk-ins (人次 minus check-ins) are
  above both `WALK_IN_FLOOR` and `WALK_IN_FACTOR` × the check-ins;
- `burst`: an activity made from a reception day flagged for a check-in burst (`burst_flagged_at`);
  a flagged day whose card is not confirmed yet is listed on its own (`unrecorded_bursts`).

A coordinator marks a flag 已核实 or 存疑 (`mark_flag`): one row per (activity, rule) holds the current
mark, and every mark is an AuditEvent. A 已核实 flag is no longer open; a 存疑 one stays, marked.
An edit of what the rules look at drops the activity's marks (`clear_marks`, audited; the marks' own
AuditEvents stay), so its flags are open again.
Nothing here commits.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, delete, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_insert, lock_row
from bot.services.lifecycle import STAFF, Actor, Role
from bot.services.rules import Quarter
from bot.services.scopes import Scope, member_in_scopes
from models import Activity, ActivityFlagMark, AuditEvent, FlagMark, Member, Reception, ReceptionStatus, Station

log = logging.getLogger(__name__)

PEOPLE_MAX = 300  # PLAUSIBLE_PEOPLE_MAX's default
DAY_MAX = 3  # activities of one member on one date before the next ones are flagged
SUMMARY_MIN = 4  # letters/digits a summary needs, once normalised, to be compared at all
WALK_IN_FLOOR = 10  # typed walk-ins at a reception day are flagged above max(FLOOR, FACTOR × check-ins)
WALK_IN_FACTOR = 2
CHUNK = 500  # ids per IN (…) when reading the flagged rows (SQLite's bound-parameter limit)


class Rule(str, enum.Enum):
    """A plausibility rule; the value is what the flag table and the buttons store."""

    people = "ppl"
    day = "day"
    summary = "dup"
    hour = "hr"
    walk_ins = "walk"
    burst = "burst"


class FlagProblem(Exception):
    """A mark refused: `not_visible` (not staff, or the activity's member is outside the scope) or
    `not_flagged` (the rule does not flag this activity, or it was deleted)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- the rules as predicates ------------------------------------------------------------------------


def summary_key(text: str | None) -> str | None:
    """What two summaries must share to count as the same text: a 16-hex digest of the letters and
    digits left after NFKC and case folding; None when fewer than `SUMMARY_MIN` are left."""
    if not text:
        return None
    kept = "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold()
                   if unicodedata.category(ch)[0] in "LN")
    if len(kept) < SUMMARY_MIN:
        return None
    return hashlib.sha256(kept.encode()).hexdigest()[:16]


def too_many_people(people: int, people_max: int = PEOPLE_MAX) -> bool:
    return people > people_max


def too_many_in_a_day(count: int) -> bool:
    return count > DAY_MAX


def walk_ins_implausible(people: int, verified: int) -> bool:
    """Typed walk-ins (人次 beyond the check-ins) far above the check-ins."""
    walk_ins = people - verified
    return walk_ins > max(WALK_IN_FLOOR, WALK_IN_FACTOR * verified)


def spans_overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    """Two time spans share a moment (touching ends do not)."""
    return a[0] < b[1] and b[0] < a[1]


# --- the flags of a period and scope --------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    """One rule flagging one activity, with what a coordinator needs to judge it."""

    activity_id: int
    rule: Rule
    member_number: str
    member_name: str
    activity_date: date
    kind: str
    people: int
    verified_people: int
    place: str
    # the rule's figures for the reason: people / n, total / total, first (date) / other place, date / …
    detail: tuple[object, ...] = ()
    mark: FlagMark | None = None
    marked_by: int | None = None
    marked_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.mark is not FlagMark.verified


def _base(quarter: Quarter, scopes: Sequence[Scope] | None, member_id: int | None) -> list:
    """One quarter's live activities of the members in scope: one range of the quarter's indexes (an OR of
    two quarters would not use them, so several quarters are read one at a time)."""
    where = [Activity.year == quarter.year, Activity.quarter == quarter.q, Activity.deleted_at.is_(None)]
    condition = member_in_scopes(scopes)
    if condition is not None:
        where.append(Activity.member_id.in_(sa_select(Member.id).where(condition)))
    if member_id is not None:
        where.append(Activity.member_id == member_id)
    return where


async def _raw_flags(
    session: AsyncSession, *, quarter: Quarter, scopes: Sequence[Scope] | None, people_max: int,
    member_id: int | None = None,
) -> dict[tuple[int, Rule], tuple[object, ...]]:
    """(activity id, rule) -> the rule's figures in one quarter, one indexed statement per rule."""
    where = _base(quarter, scopes, member_id)
    found: dict[tuple[int, Rule], tuple[object, ...]] = {}

    for activity_id, people in (await session.exec(
        sa_select(Activity.id, Activity.people).where(*where, Activity.people > people_max)
    )).all():
        found[activity_id, Rule.people] = (people, people_max)

    busy = (sa_select(Activity.member_id, Activity.activity_date)
            .where(*where).group_by(Activity.member_id, Activity.activity_date)
            .having(func.count() > DAY_MAX).subquery("busy"))
    rank = func.row_number().over(partition_by=(Activity.member_id, Activity.activity_date),
                                  order_by=(Activity.created_at, Activity.id))
    total = func.count().over(partition_by=(Activity.member_id, Activity.activity_date))
    for activity_id, n, count in (await session.exec(
        sa_select(Activity.id, rank, total)
        .join(busy, and_(busy.c.member_id == Activity.member_id, busy.c.activity_date == Activity.activity_date))
        .where(*where)
    )).all():
        if n > DAY_MAX:
            found[activity_id, Rule.day] = (n, count)

    repeated = (sa_select(Activity.member_id, Activity.summary_key)
                .where(*where, Activity.summary_key.is_not(None))
                .group_by(Activity.member_id, Activity.summary_key)
                .having(func.count() > 1).subquery("repeated"))
    order = (Activity.created_at, Activity.id)
    first = func.first_value(Activity.activity_date).over(partition_by=(Activity.member_id, Activity.summary_key),
                                                          order_by=order)
    rank = func.row_number().over(partition_by=(Activity.member_id, Activity.summary_key), order_by=order)
    total = func.count().over(partition_by=(Activity.member_id, Activity.summary_key))
    for activity_id, n, count, first_date in (await session.exec(
        sa_select(Activity.id, rank, total, first)
        .join(repeated, and_(repeated.c.member_id == Activity.member_id,
                             repeated.c.summary_key == Activity.summary_key))
        .where(*where)
    )).all():
        if n > 1:  # SQLite hands a window's date back as text
            first_date = first_date if isinstance(first_date, date) else date.fromisoformat(str(first_date))
            found[activity_id, Rule.summary] = (count, first_date)

    # the rules of reception days start from the quarter's reception days (ix_reception_starts_at, a day
    # wider each side for any time zone), not from every activity of the quarter
    lo = datetime.combine(quarter.first_day - timedelta(days=1), time(0), tzinfo=UTC)
    hi = datetime.combine(quarter.last_day + timedelta(days=2), time(0), tzinfo=UTC)
    # two reception days of one member on duty (whose card became their activity) overlapping, at any place: each pair
    # read through ix_reception_member_starts within the same window (a reception day is within one date)
    other, here, there = aliased(Activity), aliased(Reception), aliased(Reception)
    for activity_id, place, starts_at in (await session.exec(
        sa_select(Activity.id, other.place, there.starts_at)
        .select_from(here)
        .join(Activity, Activity.reception_id == here.id)
        .join(there, and_(there.member_id == here.member_id, there.id != here.id,
                          there.starts_at >= lo - timedelta(days=1), there.starts_at < hi,
                          there.starts_at < here.ends_at, here.starts_at < there.ends_at))
        .join(other, and_(other.reception_id == there.id, other.member_id == Activity.member_id))
        .where(here.starts_at >= lo, here.starts_at < hi, *where, other.deleted_at.is_(None))
        .order_by(Activity.id, there.starts_at)
    )).all():
        found.setdefault((activity_id, Rule.hour), (place, starts_at))

    walk_ins = Activity.people - Activity.verified_people
    for activity_id, walked, verified, burst_at in (await session.exec(
        sa_select(Activity.id, walk_ins, Activity.verified_people, Reception.burst_flagged_at)
        .select_from(Reception)
        .join(Activity, Activity.reception_id == Reception.id)
        .where(Reception.starts_at >= lo, Reception.starts_at < hi, *where,
               or_(Reception.burst_flagged_at.is_not(None),
                   and_(walk_ins > WALK_IN_FLOOR, walk_ins > WALK_IN_FACTOR * Activity.verified_people)))
    )).all():
        if walk_ins_implausible(walked + verified, verified):
            found[activity_id, Rule.walk_ins] = (walked, verified)
        if burst_at is not None:
            found[activity_id, Rule.burst] = (burst_at,)
    return found


RULE_ORDER = {rule: n for n, rule in enumerate(Rule)}


async def find_flags(
    session: AsyncSession, *, quarters: Sequence[Quarter], scopes: Sequence[Scope] | None,
    people_max: int = PEOPLE_MAX, open_only: bool = False, member_id: int | None = None,
) -> list[Flag]:
    """The flags of the live activities of `quarters` by the members `scopes` cover (None: all), with
    their marks; by date, member and activity. `open_only`: without those marked 已核实."""
    if not quarters:
        return []
    raw: dict[tuple[int, Rule], tuple[object, ...]] = {}
    for quarter in sorted(set(quarters)):
        raw.update(await _raw_flags(session, quarter=quarter, scopes=scopes, people_max=people_max,
                                    member_id=member_id))
    ids = sorted({activity_id for activity_id, _ in raw})
    rows: dict[int, tuple] = {}
    marks: dict[tuple[int, str], ActivityFlagMark] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for row in (await session.exec(
            sa_select(Activity.id, Member.number, Member.name, Activity.activity_date, Activity.kind,
                      Activity.people, Activity.verified_people, Activity.place)
            .join(Member, Member.id == Activity.member_id).where(Activity.id.in_(chunk))
        )).all():
            rows[row[0]] = tuple(row[1:])
        for mark in (await session.exec(
            sa_select(ActivityFlagMark).where(ActivityFlagMark.activity_id.in_(chunk))
        )).scalars().all():
            marks[mark.activity_id, mark.rule] = mark
    flags = []
    for (activity_id, rule), detail in raw.items():
        mark = marks.get((activity_id, rule.value))
        flag = Flag(activity_id, rule, *rows[activity_id], detail=detail,
                    mark=FlagMark(mark.mark) if mark else None, marked_by=mark.marked_by if mark else None,
                    marked_at=mark.marked_at if mark else None)
        if flag.open or not open_only:
            flags.append(flag)
    flags.sort(key=lambda f: (f.activity_date, f.member_number, f.activity_id, RULE_ORDER[f.rule]))
    return flags


@dataclass(frozen=True)
class BurstDay:
    """A reception day flagged for a check-in burst whose activity card is not confirmed yet."""

    reception_id: int
    station: str
    member_number: str
    member_name: str
    starts_at: datetime
    ends_at: datetime


async def unrecorded_bursts(
    session: AsyncSession, *, quarters: Sequence[Quarter], scopes: Sequence[Scope] | None,
) -> list[BurstDay]:
    """Reception days of `quarters` with a check-in burst and no activity yet, held by members in scope:
    the burst is shown before the card is confirmed (or if it never is). By start."""
    if not quarters:
        return []
    first, last = min(quarters), max(quarters)
    lo = datetime.combine(first.first_day - timedelta(days=1), time(0), tzinfo=UTC)
    hi = datetime.combine(last.last_day + timedelta(days=2), time(0), tzinfo=UTC)
    query = (
        sa_select(Reception.id, Station.name, Member.number, Member.name, Reception.starts_at, Reception.ends_at)
        .join(Station, Station.id == Reception.station_id).join(Member, Member.id == Reception.member_id)
        .where(Reception.starts_at >= lo, Reception.starts_at < hi, Reception.burst_flagged_at.is_not(None),
               Reception.activity_id.is_(None), Reception.status != ReceptionStatus.cancelled)
        .order_by(Reception.starts_at, Reception.id)
    )
    condition = member_in_scopes(scopes)
    if condition is not None:
        query = query.where(condition)
    return [BurstDay(*row) for row in (await session.exec(query)).all()]


async def bursts_for(session: AsyncSession, *, actor: Actor, quarters: Sequence[Quarter]) -> list[BurstDay]:
    """`unrecorded_bursts` in a staff actor's scope (as /queue's)."""
    return await unrecorded_bursts(session, quarters=quarters, scopes=_staff_scopes(actor))


def _staff_scopes(actor: Actor) -> tuple[Scope, ...] | None:
    if actor.role not in STAFF:
        log.warning("plausibility flags refused to %s %s", actor.role.value, actor.id)
        raise FlagProblem("not_visible")
    return actor.scopes if actor.role is Role.coordinator else None


async def flags_for(
    session: AsyncSession, *, actor: Actor, quarters: Sequence[Quarter], people_max: int = PEOPLE_MAX,
    open_only: bool = True,
) -> list[Flag]:
    """The flags a staff actor sees: a coordinator those of the members in their scope, as in /queue."""
    return await find_flags(session, quarters=quarters, scopes=_staff_scopes(actor), people_max=people_max,
                            open_only=open_only)


def queue_quarters(today: date) -> list[Quarter]:
    """The quarters /queue looks at: this one and the one before (so a quarter's last days stay in view)."""
    this = Quarter.of(today)
    return [this.prev(), this]


async def mark_flag(
    session: AsyncSession, *, actor: Actor, activity_id: int, rule: Rule, mark: FlagMark, now: datetime,
    people_max: int = PEOPLE_MAX,
) -> Flag:
    """Mark one flag 已核实 or 存疑 (again: the new mark replaces the old, both audited). The activity's
    member must be in the actor's scope and the rule must flag it now; a forged button is refused."""
    scopes = _staff_scopes(actor)
    # locked until the commit, as an edit locks it: a mark is judged on the figures an edit leaves, or dropped by it
    await lock_row(session, Activity.__table__, activity_id)
    activity = await session.get(Activity, activity_id, populate_existing=True)
    if activity is None:
        raise FlagProblem("not_flagged")
    found = await find_flags(session, quarters=[Quarter(activity.year, activity.quarter)], scopes=scopes,
                             people_max=people_max, member_id=activity.member_id)
    flag = next((f for f in found if f.activity_id == activity_id and f.rule is rule), None)
    if flag is None:
        outside = not found and scopes is not None and not await _member_in_scope(session, activity.member_id, scopes)
        log.warning("flag mark %s on activity %s by %s %s refused (%s)", rule.value, activity_id, actor.role.value,
                    actor.id, "out of scope" if outside else "not flagged")
        raise FlagProblem("not_visible" if outside else "not_flagged")
    values = {"mark": mark.value, "marked_by": actor.id, "marked_at": now}
    await session.exec(
        dialect_insert(session.bind.dialect.name, ActivityFlagMark.__table__)
        .values(activity_id=activity_id, rule=rule.value, **values)
        .on_conflict_do_update(index_elements=["activity_id", "rule"], set_=values)
    )
    session.add(AuditEvent(actor=str(actor.id), action="activity.flag", entity="activity", entity_id=str(activity_id),
                           detail=f"{rule.value}:{mark.value}", at=now))
    await session.flush()
    return Flag(**{**vars(flag), "mark": mark, "marked_by": actor.id, "marked_at": now})


async def clear_marks(session: AsyncSession, *, activity_id: int, actor: str, now: datetime) -> list[str]:
    """Drop every mark of an activity whose 人次, date, kind, place or summary changed: a check made on
    the old figures approves nothing new. Audited as "activity.flag_clear" with the marks dropped
    ("<rule>:<mark>"); the AuditEvents of the marks themselves stay. The marks dropped; none: nothing written."""
    marks = (await session.exec(
        sa_select(ActivityFlagMark.rule, ActivityFlagMark.mark).where(ActivityFlagMark.activity_id == activity_id)
        .order_by(ActivityFlagMark.rule)
    )).all()
    if not marks:
        return []
    dropped = [f"{rule}:{FlagMark(mark).value}" for rule, mark in marks]
    await session.exec(delete(ActivityFlagMark).where(ActivityFlagMark.activity_id == activity_id))
    session.add(AuditEvent(actor=actor, action="activity.flag_clear", entity="activity", entity_id=str(activity_id),
                           detail=" ".join(dropped), at=now))
    return dropped


async def _member_in_scope(session: AsyncSession, member_id: int, scopes: Sequence[Scope]) -> bool:
    condition = member_in_scopes(scopes)
    query = sa_select(Member.id).where(Member.id == member_id)
    if condition is not None:
        query = query.where(condition)
    return (await session.exec(query)).first() is not None
