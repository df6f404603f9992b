"""Check-in at the door of a reception day (委员接待日), and the activity it becomes. No Telegram here.

- A reception day's check-in link is `/start c_<token>`: 128 random bits, only its SHA-256 kept
  (`Reception.checkin_token_hash`), as invite codes are. Issuing a new one replaces the old, so a
  poster printed before stops working (`issue_token`).
- `check_in` counts a Telegram account once per reception day (INSERT … ON CONFLICT DO NOTHING on
  the unique pair), inside the window CHECKIN_OPENS_BEFORE the start … CHECKIN_CLOSES_AFTER the end;
  more than CHECKIN_BURST check-ins within one minute flag the day (`burst_flagged_at`), never block.
- When check-in has closed, the member on duty gets the day's activity card once (`stage_cards`:
  `card_sent_at` claimed with a conditional UPDATE in the same commit as the outbox row).
- `save_reception_activity` turns the day into one 委员接待日 activity: 人次 = check-ins + walk-ins,
  `verified_people` = check-ins, and marks the day held.

Services stage; the caller commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_insert, dialect_of
from bot.services import outbox
from bot.services.activities import ActivityInput, ActivityPolicy, ActivityProblem, save_activity
from bot.services.outbox import Button
from bot.texts import Safe, t
from models import (
    Activity,
    Case,
    Member,
    Reception,
    ReceptionCheckin,
    ReceptionStatus,
    Region,
    Resident,
    Station,
)

PAYLOAD_PREFIX = "c_"  # invite codes and member links (m_) never start like this
TOKEN_BYTES = 16  # 128 bits; urlsafe base64 without padding: 22 characters
_PAYLOAD = re.compile(r"c_([A-Za-z0-9_-]{16,43})\Z")
RECEPTION_KIND = "reception_day"  # the activity kind a reception day becomes (DEFAULT_ACTIVITY_KINDS)
REQUEST_AFTER_CLOSE = timedelta(hours=24)  # "有问题要反映？" still routes to the member this long after check-in closed
WALK_INS_MAX = 5000
BURST_WINDOW = timedelta(minutes=1)
CARD_KIND = "reception_card"  # the outbox kind of the card


@dataclass(frozen=True)
class CheckinPolicy:
    """CHECKIN_OPENS_BEFORE, CHECKIN_CLOSES_AFTER (minutes) and CHECKIN_BURST from bot.config.Settings."""

    opens_before: timedelta = timedelta(minutes=60)
    closes_after: timedelta = timedelta(minutes=120)
    burst: int = 30
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")

    @classmethod
    def from_settings(cls, settings) -> CheckinPolicy:  # noqa: ANN001 - bot.config.Settings (a layer above)
        return cls(opens_before=timedelta(minutes=settings.checkin_opens_before),
                   closes_after=timedelta(minutes=settings.checkin_closes_after),
                   burst=settings.checkin_burst, tz=settings.tz)

    def opens_at(self, reception: Reception) -> datetime:
        return reception.starts_at - self.opens_before

    def closes_at(self, reception: Reception) -> datetime:
        return reception.ends_at + self.closes_after


# --- tokens ------------------------------------------------------------------------------------------

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def checkin_payload(token: str) -> str:
    return PAYLOAD_PREFIX + token


def parse_checkin_payload(payload: str) -> str | None:
    """The token of a `c_<token>` start payload; None for anything else."""
    found = _PAYLOAD.match(payload.strip())
    return found.group(1) if found else None


async def issue_token(session: AsyncSession, *, reception: Reception, now: datetime) -> str:
    """A new check-in token for the day (the old one, if any, stops working); only its hash is stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    reception.checkin_token_hash = hash_token(token)
    reception.updated_at = now
    session.add(reception)
    await session.flush()
    return token


# --- reading a reception day --------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceptionView:
    """What the resident, the poster and the card show of a reception day."""

    reception: Reception
    station: Station
    region_path: str | None

    @property
    def id(self) -> int:
        return self.reception.id  # type: ignore[return-value] - a stored row

    def day(self, tz: ZoneInfo) -> date:
        return self.reception.starts_at.astimezone(tz).date()

    def span(self, tz: ZoneInfo) -> str:
        start, end = self.reception.starts_at.astimezone(tz), self.reception.ends_at.astimezone(tz)
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"


async def reception_view(session: AsyncSession, reception_id: int) -> ReceptionView | None:
    row = (await session.exec(
        select(Reception, Station, Region.path)
        .join(Station, Station.id == Reception.station_id)
        .join(Region, Region.id == Station.region_id, isouter=True)
        .where(Reception.id == reception_id)
    )).first()
    return ReceptionView(row[0], row[1], row[2]) if row else None


async def coming_receptions(session: AsyncSession, *, member_id: int, now: datetime, policy: CheckinPolicy,
                            limit: int = 10) -> list[ReceptionView]:
    """The member's scheduled reception days whose check-in has not closed yet, soonest first."""
    rows = (await session.exec(
        select(Reception, Station, Region.path)
        .join(Station, Station.id == Reception.station_id)
        .join(Region, Region.id == Station.region_id, isouter=True)
        .where(Reception.member_id == member_id, Reception.status == ReceptionStatus.scheduled,
               Reception.ends_at > now - policy.closes_after)
        .order_by(Reception.starts_at, Reception.id)
        .limit(limit)
    )).all()
    return [ReceptionView(r, s, p) for r, s, p in rows]


async def checkin_count(session: AsyncSession, reception_id: int) -> int:
    return (await session.exec(
        select(func.count()).select_from(ReceptionCheckin).where(ReceptionCheckin.reception_id == reception_id)
    )).one()


# --- checking in --------------------------------------------------------------------------------------

class CheckinOutcome:
    counted = "counted"
    already = "already"
    not_open = "not_open"
    closed = "closed"
    invalid = "invalid"  # forged, replaced, cancelled: nothing said about the event


@dataclass(frozen=True)
class CheckinResult:
    outcome: str
    view: ReceptionView | None = None
    opens_at: datetime | None = None
    flagged: bool = False  # this check-in flagged the day as a burst


async def check_in(session: AsyncSession, *, token: str, resident_id: int, now: datetime,
                   policy: CheckinPolicy) -> CheckinResult:
    """Count `resident_id` at the reception day of `token`, once; staged in the caller's transaction."""
    reception = (await session.exec(
        select(Reception).where(Reception.checkin_token_hash == hash_token(token))
    )).first()
    if reception is None or reception.status == ReceptionStatus.cancelled:
        return CheckinResult(CheckinOutcome.invalid)
    view = await reception_view(session, reception.id)
    assert view is not None
    if now < policy.opens_at(reception):
        return CheckinResult(CheckinOutcome.not_open, view, opens_at=policy.opens_at(reception))
    if now >= policy.closes_at(reception):
        return CheckinResult(CheckinOutcome.closed, view)
    table = ReceptionCheckin.__table__
    statement = (
        dialect_insert(dialect_of(session), table)
        .values(reception_id=reception.id, resident_id=resident_id, checked_in_at=now)
        .on_conflict_do_nothing(index_elements=["reception_id", "resident_id"])
        .returning(table.c.id)
    )
    if (await session.exec(statement)).first() is None:
        return CheckinResult(CheckinOutcome.already, view)
    flagged = await _flag_burst(session, reception=reception, now=now, burst=policy.burst)
    return CheckinResult(CheckinOutcome.counted, view, flagged=flagged)


async def _flag_burst(session: AsyncSession, *, reception: Reception, now: datetime, burst: int) -> bool:
    """More than `burst` check-ins within the last minute: the day is flagged (once) for the coordinators."""
    if reception.burst_flagged_at is not None:
        return False
    recent = (await session.exec(
        select(func.count()).select_from(ReceptionCheckin)
        .where(ReceptionCheckin.reception_id == reception.id, ReceptionCheckin.checked_in_at > now - BURST_WINDOW)
    )).one()
    if recent <= burst:
        return False
    flagged = await session.exec(
        update(Reception).where(Reception.id == reception.id, Reception.burst_flagged_at.is_(None))
        .values(burst_flagged_at=now)
    )
    return flagged.rowcount == 1


# --- a request raised after checking in ---------------------------------------------------------------

@dataclass(frozen=True)
class RequestVia:
    """Where a request raised from a check-in goes: the member on duty, the station's region."""

    reception_id: int
    member_id: int
    region_id: int | None
    region_path: str | None
    station_name: str


async def request_via(session: AsyncSession, *, reception_id: int, telegram_id: int, now: datetime,
                      policy: CheckinPolicy) -> RequestVia | None:
    """For a resident who checked in at this reception day, until REQUEST_AFTER_CLOSE after check-in
    closed; None otherwise (another person's button, a cancelled or long past day)."""
    row = (await session.exec(
        select(Reception, Station.region_id, Region.path, Station.name)
        .join(Station, Station.id == Reception.station_id)
        .join(Region, Region.id == Station.region_id, isouter=True)
        .join(ReceptionCheckin, ReceptionCheckin.reception_id == Reception.id)
        .join(Resident, Resident.id == ReceptionCheckin.resident_id)
        .where(Reception.id == reception_id, Resident.telegram_id == telegram_id)
    )).first()
    if row is None:
        return None
    reception, region_id, region_path, station_name = row
    if reception.status == ReceptionStatus.cancelled or now >= policy.closes_at(reception) + REQUEST_AFTER_CLOSE:
        return None
    return RequestVia(reception.id, reception.member_id, region_id, region_path, station_name)  # type: ignore[arg-type]


# --- the card to the member on duty -------------------------------------------------------------------

@dataclass(frozen=True)
class RaisedCase:
    number: str
    category: str


@dataclass(frozen=True)
class ReceptionCard:
    """The activity card of a reception day, before the member adds a summary and walk-ins."""

    view: ReceptionView
    checkins: int
    cases: tuple[RaisedCase, ...]

    def kind(self) -> str:
        return RECEPTION_KIND

    def place(self) -> str:
        return self.view.station.name[:128]

    def cases_text(self) -> str:
        """当天群众反映的诉求 (or that there were none): one line for every card of the day — the one sent when
        check-in closed and the /log form's card made from it."""
        if not self.cases:
            return t("checkin_card_no_cases")
        listed = "、".join(t("checkin_card_case", number=c.number, category=c.category) for c in self.cases)
        return t("checkin_card_cases", cases=Safe(listed))


async def reception_card(session: AsyncSession, reception_id: int) -> ReceptionCard | None:
    view = await reception_view(session, reception_id)
    if view is None:
        return None
    cases = (await session.exec(
        select(Case.number, Case.category).where(Case.reception_id == reception_id).order_by(Case.id)
    )).all()
    return ReceptionCard(view, await checkin_count(session, reception_id),
                         tuple(RaisedCase(n, c) for n, c in cases))


async def stage_cards(session: AsyncSession, *, now: datetime, policy: CheckinPolicy,
                      render: Callable[[ReceptionCard], tuple[str, Sequence[Sequence[Button]]]]) -> list[int]:
    """Each scheduled reception day whose check-in has closed and whose member on duty is bound gets its
    card once: `card_sent_at` claimed by a conditional UPDATE, the outbox row (key `reception-card:<id>`)
    written with it. Returns the ids of the days done; the caller commits both together."""
    due = (await session.exec(
        select(Reception.id, Member.telegram_id)
        .join(Member, Member.id == Reception.member_id)
        .where(Reception.status == ReceptionStatus.scheduled, Reception.card_sent_at.is_(None),
               Reception.ends_at <= now - policy.closes_after, Member.telegram_id.is_not(None),
               Member.active.is_(True))
        .order_by(Reception.ends_at, Reception.id)
    )).all()
    done = []
    for reception_id, chat_id in due:
        claimed = await session.exec(
            update(Reception).where(Reception.id == reception_id, Reception.card_sent_at.is_(None))
            .values(card_sent_at=now)
        )
        if claimed.rowcount != 1:  # another process took it meanwhile
            continue
        card = await reception_card(session, reception_id)
        assert card is not None
        text, buttons = render(card)
        await outbox.enqueue(session, key=f"reception-card:{reception_id}", chat_id=chat_id, kind=CARD_KIND,
                             text=text, buttons=buttons, now=now)
        done.append(reception_id)
    return done


class CardProblem(Exception):
    """Why a reception day cannot become an activity (now): `code` picks the text."""

    def __init__(self, code: str, **detail: object) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


async def own_card(session: AsyncSession, *, member_id: int, reception_id: int, now: datetime,
                   policy: CheckinPolicy) -> ReceptionCard:
    """The card of the member's own reception day, once check-in has closed and before it was saved."""
    card = await reception_card(session, reception_id)
    if card is None or card.view.reception.member_id != member_id:
        raise CardProblem("not_yours")
    reception = card.view.reception
    if reception.status == ReceptionStatus.cancelled:
        raise CardProblem("cancelled")
    if reception.activity_id is not None:
        raise CardProblem("saved", id=reception.activity_id)
    if now < policy.closes_at(reception):
        raise CardProblem("too_early", at=policy.closes_at(reception).astimezone(policy.tz).strftime("%H:%M"))
    return card


def check_walk_ins(value: int | None) -> int:
    if value is None or not 0 <= value <= WALK_INS_MAX:
        raise CardProblem("walk_ins_range", high=WALK_INS_MAX)
    return value


async def save_reception_activity(
    session: AsyncSession, *, member_id: int, reception_id: int, data: ActivityInput, walk_ins: int,
    policy: ActivityPolicy, checkin_policy: CheckinPolicy, today: date, now: datetime, allow_duplicate: bool = False,
) -> Activity:
    """The one activity of a reception day: kind, date and place from the day, 人次 = check-ins (counted
    now) + walk-ins, `verified_people` = check-ins; the day marked held. A second confirm is refused
    (`CardProblem("saved")`): the day is claimed with a conditional UPDATE. Raises ActivityProblem and
    CardProblem before anything is written, except a lost race, which the caller rolls back."""
    card = await own_card(session, member_id=member_id, reception_id=reception_id, now=now, policy=checkin_policy)
    walk_ins = check_walk_ins(walk_ins)
    checkins = card.checkins
    if checkins + walk_ins < 1:
        raise ActivityProblem("people_range", low=1, high=WALK_INS_MAX)
    fixed = ActivityInput(
        kind=RECEPTION_KIND, activity_date=card.view.day(checkin_policy.tz), place=card.place(),
        people=checkins + walk_ins, summary=data.summary, photos=data.photos,
    )
    activity = await save_activity(session, member_id=member_id, data=fixed, policy=policy, today=today, now=now,
                                   allow_duplicate=allow_duplicate)
    activity.verified_people = checkins
    activity.reception_id = reception_id
    session.add(activity)
    claimed = await session.exec(
        update(Reception).where(Reception.id == reception_id, Reception.activity_id.is_(None))
        .values(activity_id=activity.id, status=ReceptionStatus.held, updated_at=now)
    )
    if claimed.rowcount != 1:
        raise CardProblem("saved", id="")
    await session.flush()
    return activity
