"""Reception days (委员接待日): scheduling, finding, signing up and the reminder the day before. No Telegram here.

A member on duty at a station (or a coordinator whose scope covers it) schedules a reception day;
residents find the coming ones near them (nearest first by the stations' coordinates, haversine),
by region or by member, and sign up once (a unique pair in the database). Whatever a change means
for other people (a cancelled or moved day, the reminder) is staged in the outbox in the caller's
transaction. Services take a session and `now` from the caller and never commit.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, bindparam, exists, func, literal, or_, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_insert, dialect_of, lock_row
from bot.services import outbox
from bot.services.outbox import Button
from bot.services.scopes import Scope, member_in_scopes
from bot.texts import t
from models import (
    Member,
    Reception,
    ReceptionCheckin,
    ReceptionSignup,
    ReceptionStatus,
    Region,
    Resident,
    ScopeKind,
    SignupStatus,
    Station,
    StationMember,
    UTCDateTime,
)

TOPIC_MIN, TOPIC_MAX = 2, 100
CAPACITY_MAX = 10000
MAX_CHOICES = 48  # stations offered as buttons at once
LIST_LIMIT = 10  # reception days shown in one list
EARTH_RADIUS_KM = 6371.0088
AHEAD_DAYS = 366  # a reception day is scheduled at most this far ahead
_FULLWIDTH = str.maketrans("０１２３４５６７８９：－／．～　", "0123456789:-/.~ ")
_DAY_WORDS = {"今天": 0, "明天": 1, "后天": 2}
# one end of a span: an optional part of the day, the hour, then ":30", "点", "点30(分)" or "点半"
_CLOCK = r"(上午|早上|中午|下午|晚上)?(\d{1,2})(?::(\d{2})|点(?:(半)|(\d{1,2})分?)?)?"
_SPAN = re.compile(_CLOCK + r"[-~—–至到]" + _CLOCK)
_AFTERNOON = {"下午", "晚上"}  # 下午2点 is 14:00; 中午1点 13:00, 中午12点 12:00


class ReceptionProblem(Exception):
    """A rule a reception day or a sign-up breaks; `code` names the text `rcp_problem_<code>`."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class ReceptionPolicy:
    """The settings reception days follow (built from `Settings` by the caller)."""

    tz: ZoneInfo
    reminder_at: time = time(18, 0)

    @classmethod
    def from_settings(cls, settings) -> ReceptionPolicy:  # noqa: ANN001 - bot.config.Settings
        return cls(tz=settings.tz, reminder_at=settings.reception_reminder_time)

    def reminder_moment(self, starts_at: datetime) -> datetime:
        """The day before the reception day (local date), at the reminder time."""
        day = starts_at.astimezone(self.tz).date() - timedelta(days=1)
        return datetime.combine(day, self.reminder_at, tzinfo=self.tz)

    def reminds_later(self, starts_at: datetime, now: datetime) -> bool:
        """The reminder the day before is still to come (one scheduled or signed up for later gets none:
        the catch-up reminder went out when the day was scheduled)."""
        return now < self.reminder_moment(starts_at)

    def day_word(self, starts_at: datetime, now: datetime) -> str:
        """今天 or 明天, by the local dates of the reception day and of now (a reminder is due only on these)."""
        today = now.astimezone(self.tz).date() == starts_at.astimezone(self.tz).date()
        return t("rcp_day_today") if today else t("rcp_day_tomorrow")


# --- the rules of a reception day ------------------------------------------------------------------


def parse_day(text: str, today: date) -> date | None:
    """2026-12-10, 26-12-10, 2026年12月10日, 12-10, 12月10日/号, 12/10, 今天/明天/后天; None if not a date.

    A date without a year is this year's, unless that is more than a month ago, then next year's
    (typed on 2026-12-20, "1-5" is 2027-01-05); one just past stays in the past so the member is told.
    """
    cleaned = text.strip().translate(_FULLWIDTH).replace(" ", "")
    if cleaned in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[cleaned])
    try:
        match = re.fullmatch(r"(\d{4}|\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?", cleaned)
        if match:
            year = int(match.group(1))
            return date(year + 2000 if year < 100 else year, int(match.group(2)), int(match.group(3)))
        match = re.fullmatch(r"(\d{1,2})[-/.月](\d{1,2})[日号]?", cleaned)
        if match:
            month, day = int(match.group(1)), int(match.group(2))
            try:
                candidate = date(today.year, month, day)
            except ValueError:
                candidate = None
            if candidate is not None and (today - candidate).days <= 31:
                return candidate
            return date(today.year + 1, month, day)
    except ValueError:
        return None
    return None


def parse_span(text: str) -> tuple[time, time] | None:
    """9:00-11:30, 09：00～11：30, 9点-11点, 9点半到11点半, 下午2点到4点, 14:00至16:00 → (start, end); None if
    not a time span. A part of the day given only at the start holds for the end too (下午2点到4点)."""
    cleaned = text.strip().translate(_FULLWIDTH).replace(" ", "").replace("：", ":")
    match = _SPAN.fullmatch(cleaned)
    if match is None:
        return None
    groups = match.groups()
    start_part, end_part = groups[0], groups[5] or groups[0]
    times = []
    for part, (hour, colon, half, minutes) in ((start_part, groups[1:5]), (end_part, groups[6:10])):
        h = int(hour)
        m = int(colon or minutes or 0) + (30 if half else 0)
        if (part in _AFTERNOON and h < 12) or (part == "中午" and h < 3):
            h += 12
        if not (h <= 23 and m <= 59):
            return None
        times.append(time(h, m))
    return times[0], times[1]


def check_times(*, day: date, start: time, end: time, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """The reception day's start and end in UTC; refused when its end is not after its start, when it
    starts in the past, or further ahead than AHEAD_DAYS."""
    if end <= start:
        raise ReceptionProblem("end_before_start", start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))
    starts_at = datetime.combine(day, start, tzinfo=tz)
    ends_at = datetime.combine(day, end, tzinfo=tz)
    if starts_at <= now:
        raise ReceptionProblem("past", when=when_text(starts_at, ends_at, tz))
    if day > now.astimezone(tz).date() + timedelta(days=AHEAD_DAYS):
        raise ReceptionProblem("too_far", days=AHEAD_DAYS)
    return starts_at.astimezone(UTC), ends_at.astimezone(UTC)


def check_topic(text: str) -> str:
    topic = " ".join(text.split())
    if not TOPIC_MIN <= len(topic) <= TOPIC_MAX:
        raise ReceptionProblem("topic_length", low=TOPIC_MIN, high=TOPIC_MAX)
    return topic


def check_capacity(text: str) -> int:
    cleaned = text.strip().translate(_FULLWIDTH).removesuffix("人").strip()
    if not cleaned.isascii() or not cleaned.isdigit() or not 1 <= int(cleaned) <= CAPACITY_MAX:
        raise ReceptionProblem("capacity", high=CAPACITY_MAX)
    return int(cleaned)


WEEKDAYS = "一二三四五六日"


def when_text(starts_at: datetime, ends_at: datetime, tz: ZoneInfo) -> str:
    """12月10日（周四）09:00–11:30, in local time."""
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    return f"{start.month}月{start.day}日（周{WEEKDAYS[start.weekday()]}）{start:%H:%M}–{end:%H:%M}"


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


# --- stations a person may schedule at --------------------------------------------------------------


def _regions_under(path: str):  # noqa: ANN202 - a Select of region ids
    return select(Region.id).where(or_(Region.path == path, Region.path.startswith(path + "/")))


def station_in_scopes(scopes: Sequence[Scope] | None):  # noqa: ANN201 - a condition on Station, None = all
    """The stations a coordinator's scopes cover: in a region of a region scope, or with a member on duty the
    scopes cover. None: everything (admins)."""
    if scopes is None:
        return None
    on_duty = exists(
        select(StationMember.id).join(Member, Member.id == StationMember.member_id)
        .where(StationMember.station_id == Station.id, member_in_scopes(scopes))
    )
    regions = [Station.region_id.in_(_regions_under(s.value)) for s in scopes if s.kind is ScopeKind.region]
    return or_(on_duty, *regions)


@dataclass(frozen=True)
class Scheduler:
    """Who schedules: a member (their own stations), and/or staff (scopes; None in `scopes` = an admin)."""

    telegram_id: int
    member_id: int | None = None
    staff: bool = False
    scopes: tuple[Scope, ...] | None = None  # with staff: None = everything


async def stations_for(session: AsyncSession, who: Scheduler) -> list[Station]:
    """The active stations `who` may schedule at: their own (as member on duty) first, then those their
    scopes cover, each by name."""
    own: list[Station] = []
    if who.member_id is not None:
        own = list((await session.exec(
            select(Station).join(StationMember, StationMember.station_id == Station.id)
            .where(StationMember.member_id == who.member_id, Station.active.is_(True))
            .order_by(Station.name).limit(MAX_CHOICES)
        )).all())
    if not who.staff:
        return own
    query = select(Station).where(Station.active.is_(True))
    condition = station_in_scopes(None if who.scopes is None else list(who.scopes))
    if condition is not None:
        query = query.where(condition)
    covered = list((await session.exec(query.order_by(Station.name).limit(MAX_CHOICES))).all())
    seen = {s.id for s in own}
    return own + [s for s in covered if s.id not in seen][: MAX_CHOICES - len(own)]


async def may_schedule_at(session: AsyncSession, who: Scheduler, station_id: int) -> bool:
    if who.member_id is not None and await _on_duty(session, station_id, who.member_id):
        return True
    if not who.staff:
        return False
    query = select(Station.id).where(Station.id == station_id, Station.active.is_(True))
    condition = station_in_scopes(None if who.scopes is None else list(who.scopes))
    if condition is not None:
        query = query.where(condition)
    return (await session.exec(query)).first() is not None


async def _on_duty(session: AsyncSession, station_id: int, member_id: int) -> bool:
    return (await session.exec(select(StationMember.id).where(
        StationMember.station_id == station_id, StationMember.member_id == member_id))).first() is not None


async def members_on_duty(session: AsyncSession, station_id: int) -> list[Member]:
    """The station's active members on duty, those bound to Telegram first (a reminder and the card reach
    them), then in the station's order."""
    return list((await session.exec(
        select(Member).join(StationMember, StationMember.member_id == Member.id)
        .where(StationMember.station_id == station_id, Member.active.is_(True))
        .order_by(Member.telegram_id.is_(None), StationMember.position, StationMember.id)
    )).all())


async def choosable_members(session: AsyncSession, who: Scheduler, station_id: int) -> list[Member]:
    """The members staff may choose between at a station: its members on duty, when there are several and
    the scheduler is not on duty there (a member on duty holds their own days); else none."""
    if not who.staff or (who.member_id is not None and await _on_duty(session, station_id, who.member_id)):
        return []
    duty = await members_on_duty(session, station_id)
    return duty if len(duty) > 1 else []


async def member_on_duty(session: AsyncSession, who: Scheduler, station_id: int,
                         member_id: int | None = None) -> Member | None:
    """Who holds the reception day: the scheduler when on duty there; else the member on duty staff chose
    (`member_id`; None if no longer on duty there), else the first member on duty (bound ones first)."""
    if who.member_id is not None and await _on_duty(session, station_id, who.member_id):
        return await session.get(Member, who.member_id)
    duty = await members_on_duty(session, station_id)
    if member_id is not None and who.staff:
        return next((m for m in duty if m.id == member_id), None)
    return duty[0] if duty else None


# --- scheduling, editing, cancelling -----------------------------------------------------------------


async def schedule(
    session: AsyncSession, *, who: Scheduler, station_id: int, starts_at: datetime, ends_at: datetime, topic: str,
    capacity: int | None, now: datetime, policy: ReceptionPolicy, claim: str | None = None,
    member_id: int | None = None,
) -> Reception:
    """A new reception day, every rule checked again (the form's answers may be stale). When a coordinator
    schedules it (for `member_id`, one of the station's members on duty, or else the first), the member on
    duty is told through the outbox (`claim`: written claimed, for the caller to send after its commit)."""
    if not await may_schedule_at(session, who, station_id):
        raise ReceptionProblem("not_allowed")
    member = await member_on_duty(session, who, station_id, member_id)
    if member is None:
        raise ReceptionProblem("member_not_on_duty" if member_id is not None and who.staff else "no_member")
    _check_again(starts_at, ends_at, now, policy.tz)
    await check_overlap(session, member=member, starts_at=starts_at, ends_at=ends_at, tz=policy.tz)
    reception = Reception(
        station_id=station_id, member_id=member.id, starts_at=starts_at, ends_at=ends_at, topic=check_topic(topic),
        capacity=capacity, status=ReceptionStatus.scheduled, created_by=who.telegram_id, created_at=now,
        updated_at=now,
    )
    session.add(reception)
    await session.flush()
    if member.telegram_id is not None and member.telegram_id != who.telegram_id and member.active:
        station = await session.get(Station, station_id)
        await outbox.enqueue(
            session, key=f"rcp-new:{reception.id}", chat_id=member.telegram_id, kind="reception",
            text=t("rcp_scheduled_for_member", station=station.name, when=when_text(starts_at, ends_at, policy.tz),
                   topic=reception.topic),
            now=now, priority=outbox.REPLY if claim else outbox.BULK, claim=claim,
        )
    return reception


def _check_again(starts_at: datetime, ends_at: datetime, now: datetime, tz: ZoneInfo) -> None:
    """The rules of `check_times` on UTC instants (the form's answers may have gone stale meanwhile)."""
    if ends_at <= starts_at:
        raise ReceptionProblem("end_before_start", start=f"{starts_at.astimezone(tz):%H:%M}",
                               end=f"{ends_at.astimezone(tz):%H:%M}")
    if starts_at <= now:
        raise ReceptionProblem("past", when=when_text(starts_at, ends_at, tz))


async def overlapping(session: AsyncSession, *, member_id: int, starts_at: datetime, ends_at: datetime,
                      other_than: int | None = None) -> Reception | None:
    """The member's first not-cancelled reception day sharing a moment with the span (touching ends do not),
    through ix_reception_member_starts; `other_than`: the day being changed."""
    query = select(Reception).where(
        Reception.member_id == member_id, Reception.status != ReceptionStatus.cancelled,
        Reception.starts_at < ends_at, Reception.ends_at > starts_at,
        Reception.starts_at > starts_at - timedelta(days=1),  # a reception day lies within one date
    )
    if other_than is not None:
        query = query.where(Reception.id != other_than)
    return (await session.exec(query.order_by(Reception.starts_at, Reception.id).limit(1))).first()


async def check_overlap(session: AsyncSession, *, member: Member, starts_at: datetime, ends_at: datetime,
                        tz: ZoneInfo, other_than: int | None = None, lock: bool = True) -> None:
    """Refused (`overlap`, naming the other day) when the member on duty holds another reception day then:
    one member's overlapping days would count the same residents twice. The member's row is locked first
    (`lock_row`), so two schedulings at once see each other; `lock=False` for a form's early look, which
    writes nothing."""
    if lock:
        await lock_row(session, Member.__table__, member.id)
    other = await overlapping(session, member_id=member.id, starts_at=starts_at, ends_at=ends_at,
                              other_than=other_than)
    if other is not None:
        station = await session.get(Station, other.station_id)
        raise ReceptionProblem("overlap", member=member.name, station=station.name if station else "—",
                               when=when_text(other.starts_at, other.ends_at, tz), id=other.id)


async def may_manage(session: AsyncSession, who: Scheduler, reception: Reception) -> bool:
    """The member on duty of the day, or staff covering its station."""
    if who.member_id is not None and reception.member_id == who.member_id:
        return True
    if not who.staff:
        return False
    return await may_schedule_at(session, who, reception.station_id)


async def managed(session: AsyncSession, who: Scheduler, reception_id: int, now: datetime) -> Reception:
    """A coming, scheduled reception day `who` may change."""
    reception = await session.get(Reception, reception_id)
    if reception is None or not await may_manage(session, who, reception):
        raise ReceptionProblem("not_found")
    if reception.status is not ReceptionStatus.scheduled:
        raise ReceptionProblem("cancelled")
    if reception.starts_at <= now:
        raise ReceptionProblem("started")
    return reception


async def active_signups(session: AsyncSession, reception_id: int) -> int:
    return (await session.exec(select(func.count()).select_from(ReceptionSignup).where(
        ReceptionSignup.reception_id == reception_id, ReceptionSignup.status == SignupStatus.active))).one()


async def edit(
    session: AsyncSession, *, who: Scheduler, reception_id: int, starts_at: datetime, ends_at: datetime, topic: str,
    capacity: int | None, now: datetime, policy: ReceptionPolicy, claim: str | None = None,
) -> tuple[Reception, int]:
    """Change a coming reception day's time, topic or capacity; the people signed up are told through the
    outbox when its time or topic changed (a new reminder is due if the day moved). Returns the day and how
    many were told."""
    reception = await managed(session, who, reception_id, now)
    _check_again(starts_at, ends_at, now, policy.tz)
    if (reception.starts_at, reception.ends_at) != (starts_at, ends_at):
        member = await session.get(Member, reception.member_id)
        await check_overlap(session, member=member, starts_at=starts_at, ends_at=ends_at, tz=policy.tz,
                            other_than=reception.id)
    topic = check_topic(topic)
    taken = await active_signups(session, reception.id)
    if capacity is not None and capacity < taken:
        raise ReceptionProblem("capacity_below", taken=taken)
    before = (reception.starts_at, reception.ends_at, reception.topic)
    moved = (reception.starts_at, reception.ends_at) != (starts_at, ends_at)
    reception.starts_at, reception.ends_at, reception.topic, reception.capacity = starts_at, ends_at, topic, capacity
    reception.updated_at = now
    if moved:
        reception.reminder_sent_at = None
    session.add(reception)
    await session.flush()
    if before == (starts_at, ends_at, topic):
        return reception, 0
    station = await session.get(Station, reception.station_id)
    text = t("rcp_changed_notice", station=station.name, when=when_text(starts_at, ends_at, policy.tz), topic=topic,
             before=when_text(before[0], before[1], policy.tz))
    stamp = int(now.timestamp() * 1_000_000)  # every change its own notice
    told = await _tell_signed_up(session, reception.id, key=f"rcp-edit:{reception.id}:{stamp}", text=text, now=now,
                                 claim=claim)
    await _tell_member_on_duty(session, reception, who, key=f"rcp-edit:{reception.id}:{stamp}:member", now=now,
                               claim=claim, text=t("rcp_changed_for_member", station=station.name, topic=topic,
                                                   when=when_text(starts_at, ends_at, policy.tz)))
    return reception, told


async def cancel(
    session: AsyncSession, *, who: Scheduler, reception_id: int, now: datetime, policy: ReceptionPolicy,
    claim: str | None = None,
) -> tuple[Reception, int]:
    """Cancel a coming reception day; everyone signed up is told through the outbox in the same transaction
    (`claim`: the rows are written claimed, for the caller to send after its commit). Returns the day and
    how many were told; a day cancelled already is refused (a conditional UPDATE settles a race)."""
    reception = await managed(session, who, reception_id, now)
    result = await session.exec(
        update(Reception)
        .where(Reception.id == reception.id, Reception.status == ReceptionStatus.scheduled)
        .values(status=ReceptionStatus.cancelled, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise ReceptionProblem("cancelled")
    station = await session.get(Station, reception.station_id)
    text = t("rcp_cancelled_notice", station=station.name,
             when=when_text(reception.starts_at, reception.ends_at, policy.tz), topic=reception.topic)
    told = await _tell_signed_up(session, reception.id, key=f"rcp-cancel:{reception.id}", text=text, now=now,
                                 claim=claim)
    await _tell_member_on_duty(session, reception, who, key=f"rcp-cancel:{reception.id}:member", now=now,
                               claim=claim, text=t("rcp_cancelled_for_member", station=station.name,
                                                   when=when_text(reception.starts_at, reception.ends_at, policy.tz),
                                                   count=told))
    await session.refresh(reception)
    return reception, told


async def _tell_member_on_duty(session: AsyncSession, reception: Reception, who: Scheduler, *, key: str, text: str,
                               now: datetime, claim: str | None) -> None:
    """The member on duty hears of a change someone else (a coordinator) made to their reception day."""
    chat = (await session.exec(select(Member.telegram_id).where(
        Member.id == reception.member_id, Member.active.is_(True)))).first()
    if chat is not None and chat != who.telegram_id:
        await outbox.enqueue(session, key=key, chat_id=chat, kind="reception", text=text, now=now,
                             priority=outbox.REPLY if claim else outbox.BULK, claim=claim)


async def _tell_signed_up(
    session: AsyncSession, reception_id: int, *, key: str, text: str, now: datetime, claim: str | None,
) -> int:
    rows = (await session.exec(
        select(ReceptionSignup.resident_id, Resident.telegram_id)
        .join(Resident, Resident.id == ReceptionSignup.resident_id)
        .where(ReceptionSignup.reception_id == reception_id, ReceptionSignup.status == SignupStatus.active)
        .order_by(ReceptionSignup.id)
    )).all()
    for resident_id, chat_id in rows:
        await outbox.enqueue(session, key=f"{key}:{resident_id}", chat_id=chat_id, kind="reception", text=text,
                             now=now, priority=outbox.REPLY if claim else outbox.BULK, claim=claim)
    return len(rows)


# --- what residents see ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceptionView:
    """One reception day as the lists show it."""

    id: int
    station: str
    address: str | None
    region: str | None
    member_id: int
    member: str
    starts_at: datetime
    ends_at: datetime
    topic: str
    capacity: int | None
    taken: int
    status: ReceptionStatus
    distance_km: float | None = None

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.taken >= self.capacity


def _views_query():  # noqa: ANN202 - a Select of the columns a ReceptionView needs
    taken = (select(func.count()).select_from(ReceptionSignup)
             .where(ReceptionSignup.reception_id == Reception.id, ReceptionSignup.status == SignupStatus.active)
             .correlate(Reception).scalar_subquery())
    return (
        select(Reception.id, Station.name, Station.address, Region.path, Reception.member_id, Member.name,
               Reception.starts_at, Reception.ends_at, Reception.topic, Reception.capacity, taken,
               Reception.status, Station.latitude, Station.longitude)
        .join(Station, Station.id == Reception.station_id)
        .join(Member, Member.id == Reception.member_id)
        .outerjoin(Region, Region.id == Station.region_id)
    )


def _view(row, distance: float | None = None) -> ReceptionView:  # noqa: ANN001 - a result row
    return ReceptionView(*row[:12], distance_km=distance)


def _days():  # noqa: ANN202 - a Select of reception ids, with the station joined for conditions
    return select(Reception.id).join(Station, Station.id == Reception.station_id)


def _coming(query, now: datetime):  # noqa: ANN001, ANN202 - a Select over Reception and Station
    return query.where(Reception.status == ReceptionStatus.scheduled, Reception.ends_at > now,
                       Station.active.is_(True))


@functools.cache
def _views_of_ids():  # noqa: ANN202 - the views of the ids bound as `ids`; built once (a hot path)
    return _views_query().where(Reception.id.in_(bindparam("ids", expanding=True)))


async def _views(session: AsyncSession, ids: Sequence[int], distances: dict[int, float] | None = None
                 ) -> list[ReceptionView]:
    """The views of these reception days, in this order: the joins and sign-up counts only for the rows shown."""
    if not ids:
        return []
    rows = {row[0]: row for row in (await session.exec(_views_of_ids(), params={"ids": list(ids)})).all()}
    distances = distances or {}
    return [_view(rows[i], distances.get(i)) for i in ids if i in rows]


async def _listed(session: AsyncSession, query, limit: int) -> list[ReceptionView]:  # noqa: ANN001 - a Select
    """The days `query` (over `_days()`) selects, soonest first: ids first, the views for those alone."""
    ids = (await session.exec(query.order_by(Reception.starts_at, Reception.id).limit(limit))).all()
    return await _views(session, list(ids))


async def reception_view(session: AsyncSession, reception_id: int) -> ReceptionView | None:
    row = (await session.exec(_views_query().where(Reception.id == reception_id))).first()
    return _view(row) if row else None


NEAR_RADII_KM = (10, 20, 40, 80, 160, 640, 2560)  # searched in turn until enough days lie within the radius
KM_PER_DEGREE = 111.19  # of latitude (a little under the haversine's 111.195, so the box holds the circle)


def longitude_reach(latitude: float, radius_km: float) -> float:
    """How far in longitude (degrees) a point within `radius_km` of a point at `latitude` can lie: the
    great circle's widest reach, asin(sin(r/R) / cos φ), a little over r / (111 km · cos φ) on a large
    circle; 180 when the circle reaches a pole."""
    reach = math.sin(min(radius_km / EARTH_RADIUS_KM, math.pi / 2)) / max(math.cos(math.radians(latitude)), 1e-9)
    return 180.0 if reach >= 1 else math.degrees(math.asin(reach)) * 1.0001


@functools.cache
def _located(box: str):  # noqa: ANN202 - a Select, built once per kind of box (a hot path)
    """The coming days at stations with coordinates, as (id, starts_at, latitude, longitude), bound `now`;
    with `box` "lat" only at stations between `lat0` and `lat1`, with "lat lon" also between `lon0` and
    `lon1`: the box's stations first (ix_station_lat_lon), then their days (ix_reception_station_starts)."""
    query = (_coming(select(Reception.id, Reception.starts_at, Station.latitude, Station.longitude)
                     .join(Station, Station.id == Reception.station_id), bindparam("now"))
             .where(Station.latitude.is_not(None), Station.longitude.is_not(None)))
    if not box:
        return query
    boxed = select(Station.id).where(Station.latitude.between(bindparam("lat0"), bindparam("lat1")))
    if box == "lat lon":
        boxed = boxed.where(Station.longitude.between(bindparam("lon0"), bindparam("lon1")))
    return query.where(Reception.station_id.in_(boxed))


async def nearest(
    session: AsyncSession, *, latitude: float, longitude: float, now: datetime, limit: int = LIST_LIMIT,
) -> list[ReceptionView]:
    """Coming reception days, nearest first where the station has coordinates (haversine), then by start;
    stations without coordinates after them, soonest first.

    The database narrows by a box around the point, widened in steps (`NEAR_RADII_KM`) until `limit` days lie
    within the radius (a day outside it may be nearer than one inside the box's corner, so only those inside
    count); beyond the last step every day with coordinates is measured. The box's stations come through
    ix_station_lat_lon, their days through ix_reception_station_starts; only the ids, starts and coordinates
    are read for that, the views (names, counts) only for the days shown."""
    found: list[tuple[float, datetime, int]] = []
    for radius in (*NEAR_RADII_KM, None):
        params: dict[str, object] = {"now": now}
        box = "" if radius is None else "lat"
        if radius is not None:
            dlat, dlon = radius / KM_PER_DEGREE, longitude_reach(latitude, radius)
            params.update(lat0=latitude - dlat, lat1=latitude + dlat)
            if dlon < 180:
                box = "lat lon"
                params.update(lon0=longitude - dlon, lon1=longitude + dlon)
        query = _located(box)
        measured = [(haversine_km(latitude, longitude, lat, lon), starts_at, rid)
                    for rid, starts_at, lat, lon in (await session.exec(query, params=params)).all()]
        found = [m for m in measured if radius is None or m[0] <= radius]
        if len(found) >= limit:
            break
    found.sort()
    chosen = found[:limit]
    ids = [rid for _, _, rid in chosen]
    if len(ids) < limit:
        unplaced = _coming(_days(), now).where(or_(Station.latitude.is_(None), Station.longitude.is_(None)))
        ids += (await session.exec(unplaced.order_by(Reception.starts_at, Reception.id).limit(limit - len(ids)))).all()
    return await _views(session, ids, {rid: distance for distance, _, rid in chosen})


async def in_region(session: AsyncSession, *, region_id: int, now: datetime, limit: int = LIST_LIMIT
                    ) -> list[ReceptionView]:
    """Coming reception days at stations in the region and every region below it, soonest first."""
    region = await session.get(Region, region_id)
    if region is None:
        return []
    query = _coming(_days(), now).where(Station.region_id.in_(_regions_under(region.path)))
    return await _listed(session, query, limit)


async def of_member(session: AsyncSession, *, member_id: int, now: datetime, limit: int = LIST_LIMIT
                    ) -> list[ReceptionView]:
    """A member's coming reception days, soonest first."""
    query = _coming(_days(), now).where(Reception.member_id == member_id)
    return await _listed(session, query, limit)


async def managed_by(session: AsyncSession, who: Scheduler, *, now: datetime, limit: int = LIST_LIMIT
                     ) -> list[ReceptionView]:
    """The coming reception days `who` holds (as member on duty) or created, soonest first."""
    conditions = [Reception.created_by == who.telegram_id]
    if who.member_id is not None:
        conditions.append(Reception.member_id == who.member_id)
    query = _coming(_days(), now).where(or_(*conditions))
    return await _listed(session, query, limit)


@dataclass(frozen=True)
class ReceptionRow:
    """One reception day as the office's list (`python -m bot stations receptions`) shows it."""

    id: int
    station_code: str
    station: str
    member_number: str
    member: str
    starts_at: datetime
    ends_at: datetime
    status: ReceptionStatus
    signups: int
    checkins: int


async def station_numbered(session: AsyncSession, code: str) -> int | None:
    """The station of a code as typed (spaces, case and full-width letters forgiven); None if there is none."""
    cleaned = unicodedata.normalize("NFKC", code).strip().upper()
    return (await session.exec(select(Station.id).where(func.upper(Station.code) == cleaned))).first()


async def listing(session: AsyncSession, *, since: datetime, station_id: int | None = None,
                  limit: int | None = None) -> list[ReceptionRow]:
    """Reception days starting at or after `since` (every status), soonest first, with their active sign-ups
    and check-ins: the ids `stations qr --reception` takes."""
    signups = (select(func.count()).select_from(ReceptionSignup)
               .where(ReceptionSignup.reception_id == Reception.id, ReceptionSignup.status == SignupStatus.active)
               .correlate(Reception).scalar_subquery())
    checkins = (select(func.count()).select_from(ReceptionCheckin)
                .where(ReceptionCheckin.reception_id == Reception.id).correlate(Reception).scalar_subquery())
    query = (select(Reception.id, Station.code, Station.name, Member.number, Member.name, Reception.starts_at,
                    Reception.ends_at, Reception.status, signups, checkins)
             .join(Station, Station.id == Reception.station_id).join(Member, Member.id == Reception.member_id)
             .where(Reception.starts_at >= since))
    if station_id is not None:
        query = query.where(Reception.station_id == station_id)
    query = query.order_by(Reception.starts_at, Reception.id)
    if limit is not None:
        query = query.limit(limit)
    return [ReceptionRow(*row) for row in (await session.exec(query)).all()]


# --- signing up --------------------------------------------------------------------------------------


def _has_seat(reception_id: int):  # noqa: ANN202 - a SQL condition
    """The day takes one more: no capacity, or fewer active sign-ups than it (read by the writing statement
    itself, so on SQLite the count is the one under the write lock)."""
    counted = ReceptionSignup.__table__.alias("counted")  # never correlated with the row being written
    capacity = select(Reception.capacity).where(Reception.id == reception_id).scalar_subquery()
    taken = (select(func.count()).select_from(counted)
             .where(counted.c.reception_id == reception_id, counted.c.status == SignupStatus.active.value)
             .scalar_subquery())
    return or_(capacity.is_(None), taken < capacity)


async def sign_up(
    session: AsyncSession, *, reception_id: int, resident_id: int, phone: str | None, now: datetime,
) -> ReceptionSignup:
    """Sign a resident up (`phone` only with their consent to show it to the member). Refused when the day
    is gone, cancelled or full, or when they signed up already; a sign-up cancelled earlier is taken up again.

    Races are settled by the writing statement: the unique pair (reception, resident) with ON CONFLICT DO
    NOTHING, and the seat counted inside the INSERT … SELECT (or the UPDATE) itself; on PostgreSQL the day's
    row is locked first, so two last seats taken at once see each other."""
    dialect = dialect_of(session)
    query = select(Reception).where(Reception.id == reception_id)
    if dialect == "postgresql":
        query = query.with_for_update()
    reception = (await session.exec(query)).first()
    if reception is None:
        raise ReceptionProblem("not_found")
    if reception.status is not ReceptionStatus.scheduled:
        raise ReceptionProblem("cancelled")
    if reception.ends_at <= now:
        raise ReceptionProblem("over")
    mine = (await session.exec(select(ReceptionSignup).where(
        ReceptionSignup.reception_id == reception_id, ReceptionSignup.resident_id == resident_id))).first()
    if mine is not None and mine.status is SignupStatus.active:
        raise ReceptionProblem("already")
    if mine is None:
        table = ReceptionSignup.__table__
        chosen = select(literal(reception_id), literal(resident_id), literal(phone, String()),
                        literal(SignupStatus.active.value), literal(now, UTCDateTime())).where(_has_seat(reception_id))
        statement = (
            dialect_insert(dialect, table)
            .from_select(["reception_id", "resident_id", "phone", "status", "created_at"], chosen)
            .on_conflict_do_nothing(index_elements=["reception_id", "resident_id"])
        )
        if dialect == "postgresql":
            written = (await session.exec(statement.returning(table.c.id))).first() is not None
        else:
            written = (await session.exec(statement)).rowcount == 1
    else:
        result = await session.exec(
            update(ReceptionSignup)
            .where(ReceptionSignup.id == mine.id, ReceptionSignup.status == SignupStatus.cancelled,
                   _has_seat(reception_id))
            .values(status=SignupStatus.active, phone=phone, created_at=now, cancelled_at=None)
            .execution_options(synchronize_session=False)
        )
        written = result.rowcount == 1
    row = (await session.exec(
        select(ReceptionSignup).where(ReceptionSignup.reception_id == reception_id,
                                      ReceptionSignup.resident_id == resident_id)
        .execution_options(populate_existing=True)
    )).first()
    if written:
        return row
    if row is not None and row.status is SignupStatus.active:
        raise ReceptionProblem("already")  # the same resident, a moment earlier (a double press)
    raise ReceptionProblem("full", capacity=reception.capacity)


async def cancel_signup(session: AsyncSession, *, reception_id: int, resident_id: int, now: datetime) -> bool:
    """Cancel a resident's sign-up; False when there was none active. A day cancelled by its side (the member
    on duty or the office) is refused (`day_cancelled`) and its sign-ups stay as they were: the resident did
    not cancel anything."""
    status = (await session.exec(select(Reception.status).where(Reception.id == reception_id))).first()
    if status is ReceptionStatus.cancelled:
        raise ReceptionProblem("day_cancelled")
    result = await session.exec(
        update(ReceptionSignup)
        .where(ReceptionSignup.reception_id == reception_id, ReceptionSignup.resident_id == resident_id,
               ReceptionSignup.status == SignupStatus.active)
        .values(status=SignupStatus.cancelled, cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def signups_of(session: AsyncSession, *, resident_id: int, now: datetime, limit: int = LIST_LIMIT
                     ) -> list[ReceptionView]:
    """The coming reception days a resident signed up for (and not cancelled), soonest first."""
    query = (_days()
             .join(ReceptionSignup, and_(ReceptionSignup.reception_id == Reception.id,
                                         ReceptionSignup.resident_id == resident_id,
                                         ReceptionSignup.status == SignupStatus.active))
             .where(Reception.ends_at > now))
    return await _listed(session, query, limit)


async def signed_up(session: AsyncSession, *, reception_id: int, resident_id: int) -> bool:
    return (await session.exec(select(ReceptionSignup.id).where(
        ReceptionSignup.reception_id == reception_id, ReceptionSignup.resident_id == resident_id,
        ReceptionSignup.status == SignupStatus.active))).first() is not None


@dataclass(frozen=True)
class Attendee:
    name: str
    phone: str | None  # only when they consented
    checked_in: bool = False  # scanned the day's check-in code


async def attendees(session: AsyncSession, *, reception_id: int) -> tuple[list[Attendee], int]:
    """Who signed up for a reception day, in the order they did, each with whether they checked in; and how
    many checked in in all (signed up or not) — for the member on duty."""
    scanned = exists().where(ReceptionCheckin.reception_id == reception_id,
                             ReceptionCheckin.resident_id == ReceptionSignup.resident_id)
    rows = (await session.exec(
        select(Resident.display_name, ReceptionSignup.phone, scanned)
        .join(Resident, Resident.id == ReceptionSignup.resident_id)
        .where(ReceptionSignup.reception_id == reception_id, ReceptionSignup.status == SignupStatus.active)
        .order_by(ReceptionSignup.created_at, ReceptionSignup.id)
    )).all()
    checkins = (await session.exec(
        select(func.count()).select_from(ReceptionCheckin).where(ReceptionCheckin.reception_id == reception_id)
    )).one()
    return [Attendee(name or "—", phone, bool(done)) for name, phone, done in rows], int(checkins)


# --- the reminder the day before ---------------------------------------------------------------------


async def due_reminders(session: AsyncSession, *, now: datetime, policy: ReceptionPolicy) -> list[int]:
    """Scheduled reception days not yet reminded whose reminder moment (the day before at the reminder time)
    has passed and which have not started."""
    rows = (await session.exec(
        select(Reception.id, Reception.starts_at)
        .where(Reception.status == ReceptionStatus.scheduled, Reception.reminder_sent_at.is_(None),
               Reception.starts_at > now, Reception.starts_at <= now + timedelta(days=2))
        .order_by(Reception.starts_at, Reception.id)
    )).all()
    return [rid for rid, starts_at in rows if policy.reminder_moment(starts_at) <= now]


async def remind(
    session: AsyncSession, *, reception_id: int, now: datetime, policy: ReceptionPolicy,
    buttons: Sequence[Sequence[Button]] | None = None,
) -> int | None:
    """Mark the reception day reminded and stage the reminders (each resident signed up, and the member on
    duty) in the same transaction: exactly once, even with two runs at once (a conditional UPDATE decides).
    None when it was reminded already (or is no longer due); else how many messages were staged."""
    reception = await session.get(Reception, reception_id)
    if reception is None:
        return None
    result = await session.exec(
        update(Reception)
        .where(Reception.id == reception_id, Reception.reminder_sent_at.is_(None),
               Reception.status == ReceptionStatus.scheduled, Reception.starts_at > now)
        .values(reminder_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    view = await reception_view(session, reception_id)
    when = when_text(view.starts_at, view.ends_at, policy.tz)
    round_key = int(view.starts_at.timestamp())  # a day moved later gets its own reminder
    day = policy.day_word(view.starts_at, now)
    text = t("rcp_reminder", day=day, station=view.station, address=view.address or "—", when=when,
             topic=view.topic, member=view.member)
    told = await _tell_signed_up(session, reception_id, key=f"rcp-remind:{reception_id}:{round_key}", text=text,
                                 now=now, claim=None)
    chat = (await session.exec(select(Member.telegram_id).where(Member.id == view.member_id,
                                                                Member.active.is_(True)))).first()
    if chat is not None:
        await outbox.enqueue(
            session, key=f"rcp-remind:{reception_id}:{round_key}:member", chat_id=chat, kind="reception",
            text=t("rcp_reminder_member", day=day, station=view.station, when=when, topic=view.topic,
                   count=view.taken),
            now=now, buttons=buttons,
        )
        told += 1
    return told
