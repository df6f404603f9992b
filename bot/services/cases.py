"""Residents' requests (诉求件) from intake to close, without Telegram.

The lifecycle is data (`lifecycle.py`; state diagram: docs/case_lifecycle.mmd): `TRANSITIONS`
maps (state, role, action) to the next state, and `transition()` is the only code that changes
a case's status. It checks the table and the actor's relation to the case, validates what the action
needs, moves the status with a conditional UPDATE (so two presses of one button move it
once), keeps the handler's load counters, writes exactly one timeline row and — on a
confirmed case — the one 帮办实事 activity. It never commits: the caller's unit of work does.

The use cases (`create_case`, `route_case`, `accept_case`, `decline_case`, `transfer_case`,
`resolve_case`, `answer_case`, `assign_case`, `close_case`, `close_expired`, `add_message`)
are thin compositions of `transition()` and the routing engine; the read side
(`cases_for_resident`, `cases_for_member`, `cases_for_staff`, `case_detail`) checks who may
see what with `visible_to()` before returning anything.
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Row, Select, false, func, or_, update
from sqlalchemy import text as sql_text
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_insert
from bot.services import media, tally
from bot.services.lifecycle import (
    HANDLER_OPEN,
    NOTE_REQUIRED,
    SKIPPING,
    STAFF,
    SYSTEM,
    TRANSITIONS,
    Action,
    Actor,
    CaseNotAllowed,
    CaseProblem,
    Note,
    Request,
    Role,
    allowed_actions,
    check_rating,
    check_request,
)
from bot.services.media import MAX_VOICES, Voice
from bot.services.routing import Candidate, Category, Fallback, RoutingTable, fallback_recipients, propose
from bot.services.rules import Quarter, local_today
from bot.services.scopes import case_in_scopes
from bot.texts import plain
from models import (
    Activity,
    Case,
    CaseCounter,
    CaseEvent,
    CaseMessage,
    CasePhoto,
    CaseSkip,
    CaseStatus,
    Member,
    MemberLink,
    Reception,
    Region,
    Sector,
    Station,
    VoiceNote,
)

log = logging.getLogger(__name__)

DESCRIPTION_MIN, DESCRIPTION_MAX = 10, 2000
PLACE_MAX = 128
MAX_PHOTOS = 5
NOTE_MAX = 500
RESULT_MIN, RESULT_MAX = 2, 2000
PEOPLE_MIN, PEOPLE_MAX = 1, 5000
MESSAGE_MAX = 2000
DUPLICATE_RATIO = 0.9
LINK_PREFIX = "m_"
_LINK_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no look-alikes, nothing a start payload refuses
_LINK_LENGTH = 20  # 100 bits


@dataclass(frozen=True)
class CasePolicy:
    """The settings the lifecycle reads; `from_settings` builds it from bot.config.Settings."""

    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    reopen_days: int = 7
    max_per_day: int = 5
    duplicate_hours: float = 24
    relay_max: int = 10
    relay_window_minutes: float = 10
    expected_days: int = 15
    duty_kind: str = "practical_help"
    duty_points: float = 3.0

    @classmethod
    def from_settings(cls, settings) -> CasePolicy:  # noqa: ANN001 - bot.config.Settings
        kind = settings.kind("practical_help")
        return cls(
            tz=settings.tz,
            reopen_days=settings.case_reopen_days,
            max_per_day=settings.max_requests_per_day,
            duplicate_hours=settings.duplicate_request_hours,
            relay_max=settings.case_relay_max_messages,
            relay_window_minutes=settings.case_relay_window_minutes,
            expected_days=settings.case_expected_days,
            duty_kind="practical_help",
            duty_points=kind.points if kind else 0.0,
        )


DEFAULT_POLICY = CasePolicy()

# --- the one way a case moves ------------------------------------------------------------------------

def _us(now: datetime) -> int:
    return int(now.timestamp() * 1_000_000)


async def _member_available(session: AsyncSession, member_id: int | None) -> bool:
    if member_id is None:
        return False
    member = await session.get(Member, member_id)
    return member is not None and member.active and member.telegram_id is not None


async def _check_actor(session: AsyncSession, case: Case, actor: Actor) -> None:
    if actor.role is Role.resident:
        ok = case.resident_id is not None and case.resident_id == actor.id
    elif actor.role is Role.member:
        ok = case.member_id is not None and case.member_id == actor.id
    elif actor.role is Role.coordinator:
        ok = await _coordinator_covers(session, case, actor)
    else:
        ok = True
    if not ok:
        log.warning("case %s: %s %s refused (not theirs)", case.number, actor.role.value, actor.id)
        raise CaseNotAllowed("not_yours")


def _clean_note(note: str | None) -> str | None:
    if note is None:
        return None
    note = " ".join(note.split())
    if len(note) > NOTE_MAX:
        raise CaseProblem("note_long", high=NOTE_MAX)
    return note or None


async def transition(
    session: AsyncSession,
    *,
    case: Case,
    actor: Actor,
    action: Action,
    now: datetime,
    note: str | None = None,
    to_member_id: int | None = None,
    result: str | None = None,
    people: int | None = None,
    rating: int | None = None,
    detail: dict | None = None,
    policy: CasePolicy = DEFAULT_POLICY,
) -> CaseEvent:
    """Move `case` by `action` of `actor`: the one way a case's status changes. Never commits.

    Raises CaseNotAllowed when the table or the actor's relation forbids it, CaseProblem
    when the action's input is wrong or the case changed underneath (`changed`).
    """
    action = Action(action)
    from_status = CaseStatus(case.status)
    to_status = TRANSITIONS.get((from_status, actor.role, action))
    if to_status is None:
        log.info("case %s: %s may not %s in %s", case.number, actor.role.value, action, from_status.value)
        raise CaseNotAllowed("not_allowed", status=from_status.value, action=action)
    await _check_actor(session, case, actor)
    note = _clean_note(note)
    if (action, actor.role) in NOTE_REQUIRED and not note:
        raise CaseProblem("note_required")

    values: dict[str, object] = {"status": to_status, "updated_at": now}
    old_member = case.member_id
    new_member = old_member
    event_member = old_member
    assigned = False
    detail = dict(detail or {})

    if action in (Action.route, Action.assign, Action.transfer):
        if to_member_id is None:
            raise CaseProblem("member_unavailable")
        if action is not Action.route and not await _member_available(session, to_member_id):
            raise CaseProblem("member_unavailable")
        if action in (Action.assign, Action.transfer) and to_member_id == old_member and from_status in HANDLER_OPEN:
            raise CaseProblem("same_member")
        new_member = event_member = to_member_id
        assigned = True
        values.update(member_id=to_member_id, last_assigned_at=now)
        if case.expected_by is None:
            values["expected_by"] = now + timedelta(days=policy.expected_days)
    elif action in (Action.decline, Action.release, Action.reroute, Action.escalate):
        new_member = None
        values["member_id"] = None
    elif action is Action.accept:
        values["accepted_at"] = now
    elif action is Action.resolve:
        text = (result or "").strip()
        if not RESULT_MIN <= len(text) <= RESULT_MAX:
            raise CaseProblem("result_required", low=RESULT_MIN, high=RESULT_MAX)
        count = 1 if people is None else people
        if not PEOPLE_MIN <= count <= PEOPLE_MAX:
            raise CaseProblem("people_range", low=PEOPLE_MIN, high=PEOPLE_MAX)
        values.update(resolved_at=now, result=text, people=count)
        detail["people"] = count
    elif action in (Action.confirm, Action.reopen, Action.close) and from_status is CaseStatus.resolved:
        check_rating(rating)
        if action is Action.confirm and actor.role is Role.resident and rating is None:
            raise CaseProblem("rating_range")
        if actor.role in (Role.resident, Role.system):
            # the resident may reopen within the window; afterwards their 未解决 (or silence) closes it
            deadline = reopen_deadline(case, now, policy)
            if action is Action.reopen and now > deadline:
                raise CaseProblem("reopen_expired", days=policy.reopen_days)
            if action is Action.close and now <= deadline:
                raise CaseProblem("close_too_early", days=policy.reopen_days)
        if rating is not None:
            values["rating"] = rating
            detail["rating"] = rating
        if action is Action.confirm:
            values.update(solved=True, closed_at=now)
        elif action is Action.reopen:
            values.update(solved=False, reopen_count=case.reopen_count + 1)
        elif actor.role is Role.resident:
            values["solved"] = False
    if action in (Action.close, Action.withdraw) and "closed_at" not in values:
        values["closed_at"] = now

    # the conditional UPDATE settles races: a second press, or another actor, finds the case moved on
    guard = [Case.id == case.id, Case.status == from_status]
    guard.append(Case.member_id == old_member if old_member is not None else Case.member_id.is_(None))
    moved = await session.exec(update(Case).where(*guard).values(**values))
    if moved.rowcount != 1:
        raise CaseProblem("changed")

    await _keep_load(
        session,
        old=old_member if from_status in HANDLER_OPEN else None,
        new=new_member if to_status in HANDLER_OPEN else None,
        assigned=new_member if assigned else None,
        now=now,
    )
    if action in SKIPPING and old_member is not None:
        await session.exec(
            dialect_insert(session.bind.dialect.name, CaseSkip.__table__)
            .values(case_id=case.id, member_id=old_member, action=action, at=now)
            .on_conflict_do_nothing(index_elements=["case_id", "member_id"])
        )
    if action is Action.confirm:
        activity_id = await _make_activity(session, case=case, now=now, policy=policy)
        if activity_id is not None:
            detail["activity_id"] = activity_id
    event = CaseEvent(
        case_id=case.id, at=now, actor_kind=actor.role.value, actor_id=actor.id, action=action,
        from_status=from_status.value, to_status=to_status.value, member_id=event_member, note=note,
        detail=detail or None,
    )
    session.add(event)
    await session.flush()
    # the ORM copy follows the row (the UPDATE above went around it)
    for key, value in values.items():
        setattr(case, key, value)
    await session.flush()
    return event


async def _keep_load(session: AsyncSession, *, old: int | None, new: int | None, assigned: int | None,
                     now: datetime) -> None:
    """Keep Member.open_cases / case_assigned_us in step with the transition, in the same unit of work."""
    if old != new:
        if old is not None:
            await session.exec(
                update(Member).where(Member.id == old).values(open_cases=Member.open_cases - 1)
                .execution_options(synchronize_session=False)
            )
        if new is not None:
            await session.exec(
                update(Member).where(Member.id == new).values(open_cases=Member.open_cases + 1)
                .execution_options(synchronize_session=False)
            )
    if assigned is not None:
        await session.exec(
            update(Member).where(Member.id == assigned).values(case_assigned_us=_us(now))
            .execution_options(synchronize_session=False)
        )


async def _make_activity(session: AsyncSession, *, case: Case, now: datetime, policy: CasePolicy) -> int | None:
    """The case's one 帮办实事 activity, dated the day the resident confirms; None if it already exists."""
    day = local_today(now, policy.tz)
    quarter = Quarter.of(day)
    place = (case.place_text or "").strip() or case.number
    summary = plain("case_activity_summary", number=case.number, category=case.category, result=case.result or "")
    inserted = await session.exec(
        dialect_insert(session.bind.dialect.name, Activity.__table__)
        .values(
            member_id=case.member_id, kind=policy.duty_kind, activity_date=day, year=quarter.year,
            quarter=quarter.q, place=place[:128], contact_point_id=None, people=case.people or 1,
            summary=summary[:1000], points=policy.duty_points, created_at=now, updated_at=now, deleted_at=None,
            case_id=case.id,
        )
        .on_conflict_do_nothing(index_elements=["case_id"])
        .returning(Activity.__table__.c.id)
    )
    activity_id = inserted.scalar_one_or_none()
    if activity_id is not None:  # a Core INSERT goes around the ORM's flush: tally it here, same unit of work
        await tally.record(session, after=tally.Entry(case.member_id, quarter.year, quarter.q, case.people or 1,
                                                      float(policy.duty_points), day))
    return activity_id


async def _write_event(session: AsyncSession, *, case: Case, actor: Actor, action: Note, now: datetime,
                       note: str | None = None, detail: dict | None = None) -> CaseEvent:
    """The intake row (no previous state), the only timeline row not written by transition()."""
    event = CaseEvent(
        case_id=case.id, at=now, actor_kind=actor.role.value, actor_id=actor.id, action=action,
        from_status=None, to_status=CaseStatus(case.status).value, member_id=case.member_id, note=note,
        detail=detail,
    )
    session.add(event)
    await session.flush()
    return event


async def note_event(session: AsyncSession, *, case: Case, action: Note, now: datetime, note: str | None = None,
                     detail: dict | None = None) -> CaseEvent:
    """A timeline row for something that happened to a case without moving it (a deadline's nudge or
    alert): the system did it, the status stays."""
    status = CaseStatus(case.status).value
    event = CaseEvent(case_id=case.id, at=now, actor_kind=Role.system.value, actor_id=None, action=action,
                      from_status=status, to_status=status, member_id=case.member_id, note=note, detail=detail)
    session.add(event)
    await session.flush()
    return event


# --- access ----------------------------------------------------------------------------------------


async def _coordinator_covers(session: AsyncSession, case: Case, actor: Actor) -> bool:
    """A coordinator's scope covers the case's region, its handler, or the coordinator was asked to assign it
    (the rule `case_in_scope` states in SQL, asked of this one case)."""
    if not actor.scopes:
        return False
    scope = case_in_scope(actor, session.bind.dialect.name)
    return (await session.exec(select(Case.id).where(Case.id == case.id, scope))).first() is not None


def case_in_scope(actor: Actor, dialect: str) -> ColumnElement[bool] | None:
    """`_coordinator_covers` as one SQL condition on `Case` (None for admins): the case's region is in a
    region scope, its handler is a member in scope, or the coordinator was one of those it was escalated to."""
    if actor.role in (Role.admin, Role.system):
        return None
    if actor.role is not Role.coordinator or not actor.scopes:
        return false()
    static = case_in_scopes(actor.scopes)  # the handler is in scope, or the case's region is
    # the escalate row's detail holds the coordinators told: {"fallback": "coordinators", "to": [ids]}; an
    # uncorrelated IN reads the escalate rows once (a correlated EXISTS re-read the JSON for every case)
    if dialect == "postgresql":
        asked = Case.id.in_(sql_text(
            "SELECT e.case_id FROM caseevent e WHERE e.action = 'escalate' "
            "AND CAST(e.detail AS jsonb) ->> 'fallback' = 'coordinators' "
            "AND CAST(e.detail AS jsonb) -> 'to' @> CAST(:asked_to AS jsonb)"
        ).bindparams(asked_to=f"[{int(actor.id)}]").columns(case_id=Integer))
    else:
        asked = Case.id.in_(sql_text(
            "SELECT e.case_id FROM caseevent e, json_each(e.detail, '$.to') j WHERE e.action = 'escalate' "
            "AND json_extract(e.detail, '$.fallback') = 'coordinators' AND j.value = :asked_to"
        ).bindparams(asked_to=int(actor.id)).columns(case_id=Integer))
    return or_(static, asked)


async def visible_to(session: AsyncSession, *, case: Case, actor: Actor) -> bool:
    """Residents their own cases, members the cases currently with them, coordinators their scope, admins all."""
    if actor.role in (Role.admin, Role.system):
        return True
    if actor.role is Role.resident:
        return case.resident_id is not None and case.resident_id == actor.id
    if actor.role is Role.member:
        return case.member_id is not None and case.member_id == actor.id
    return await _coordinator_covers(session, case, actor)


async def get_case(session: AsyncSession, *, case_id: int, actor: Actor) -> Case:
    """The case if `actor` may see it; CaseNotAllowed("not_visible") otherwise (also for a missing case)."""
    case = await session.get(Case, case_id)
    if case is None or not await visible_to(session, case=case, actor=actor):
        log.warning("case id %s refused to %s %s", case_id, actor.role.value, actor.id)
        raise CaseNotAllowed("not_visible")
    return case


def mask_phone(phone: str | None) -> str:
    """138****5678; short or odd numbers keep only their last two digits."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def phone_for(case: Case, actor: Actor) -> str | None:
    """The phone `actor` may see: in full for its owner and, with consent, the handler; masked for everyone else."""
    phone = case.phone or case.requester_phone
    if not phone:
        return None
    if actor.role is Role.resident and case.resident_id == actor.id:
        return phone
    if actor.role is Role.member and case.member_id == actor.id and (
        case.phone_consent or case.recorded_by_member_id == actor.id
    ):
        return phone
    return mask_phone(phone)


# --- intake ----------------------------------------------------------------------------------------


@dataclass
class CaseInput:
    category: str
    description: str
    region_id: int | None = None
    place_text: str = ""
    phone: str | None = None
    phone_consent: bool = False
    photos: list[tuple[str, str]] = field(default_factory=list)  # (file_id, file_unique_id)
    # recorded on someone's behalf: the person as they gave themselves
    requester_name: str | None = None
    requester_phone: str | None = None
    voices: list[Voice] = field(default_factory=list)  # voice notes, instead of or as well as the text


@dataclass
class Intake:
    """A created case and where it went: a member (`candidate`, None for a direct route) or the staff."""

    case: Case
    member_id: int | None
    candidate: Candidate | None = None
    fallback: Fallback | None = None


_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _normalise(text: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text)).lower()


def near_duplicate(a: str, b: str) -> bool:
    """Nearly identical descriptions: same words after removing spaces/punctuation, or ≥ 90 % alike."""
    x, y = _normalise(a), _normalise(b)
    if not x or not y:
        return False
    return x == y or SequenceMatcher(None, x, y).ratio() >= DUPLICATE_RATIO


def check_description(text: str, *, voices: int = 0) -> str:
    """The typed description; with voice notes it may be short, or empty (they say it)."""
    text = text.strip()
    low = 0 if voices else DESCRIPTION_MIN
    if not low <= len(text) <= DESCRIPTION_MAX:
        raise CaseProblem("description_length", low=DESCRIPTION_MIN, high=DESCRIPTION_MAX, length=len(text))
    return text


def _local_day_start(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def check_resident_limits(
    session: AsyncSession, *, resident_id: int, description: str, now: datetime, policy: CasePolicy,
    allow_duplicate: bool = False,
) -> None:
    """The daily limit and the near-duplicate hold, before anything is written."""
    today = await session.exec(
        select(func.count()).select_from(Case).where(
            Case.resident_id == resident_id, Case.created_at >= _local_day_start(now, policy.tz)
        )
    )
    count = today.one()
    if count >= policy.max_per_day:
        raise CaseProblem("daily_limit", count=count, limit=policy.max_per_day)
    if allow_duplicate:
        return
    since = now - timedelta(hours=policy.duplicate_hours)
    recent = (
        await session.exec(
            select(Case.number, Case.description)
            .where(Case.resident_id == resident_id, Case.created_at >= since)
            .order_by(Case.created_at.desc())
        )
    ).all()
    for number, text in recent:
        if near_duplicate(text, description):
            raise CaseProblem("duplicate", number=number, hours=f"{policy.duplicate_hours:g}")


async def next_number(session: AsyncSession, *, year: int) -> tuple[int, str]:
    """The next `2026-000123` of `year`: a counter row bumped by UPDATE, which locks it until commit."""
    await session.exec(
        dialect_insert(session.bind.dialect.name, CaseCounter.__table__)
        .values(year=year, last=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    bumped = await session.exec(
        update(CaseCounter).where(CaseCounter.year == year).values(last=CaseCounter.last + 1)
        .returning(CaseCounter.last).execution_options(synchronize_session=False)
    )
    seq = bumped.scalar_one()
    return seq, f"{year}-{seq:06d}"


async def create_case(
    session: AsyncSession,
    *,
    data: CaseInput,
    table: RoutingTable,
    now: datetime,
    admin_ids: Sequence[int] = (),
    resident_id: int | None = None,
    recorded_by_member_id: int | None = None,
    via_member_id: int | None = None,
    allow_duplicate: bool = False,
    policy: CasePolicy = DEFAULT_POLICY,
    reception_id: int | None = None,
) -> Intake:
    """Validate, number, store and route a request in the caller's unit of work. Never commits.

    From a resident (`resident_id`, optionally `via_member_id` from a member's link or the member on
    duty at the reception day `reception_id` the resident checked in at), or
    recorded by a member on someone's behalf (`recorded_by_member_id`): then the member
    handles it themselves and it starts accepted.
    """
    if (resident_id is None) == (recorded_by_member_id is None):
        raise ValueError("exactly one of resident_id and recorded_by_member_id")
    category = table.get(data.category)
    if category is None:
        raise CaseProblem("category_unknown")
    description = check_description(data.description, voices=len(data.voices))
    if len(data.voices) > MAX_VOICES:
        raise CaseProblem("voices_too_many", high=MAX_VOICES)
    place = " ".join(data.place_text.split())
    if len(place) > PLACE_MAX:
        raise CaseProblem("place_length", high=PLACE_MAX)
    if len(data.photos) > MAX_PHOTOS:
        raise CaseProblem("photos_too_many", high=MAX_PHOTOS)
    if data.region_id is not None and await session.get(Region, data.region_id) is None:
        raise CaseProblem("region_unknown")
    requester_name = " ".join((data.requester_name or "").split()) or None
    if recorded_by_member_id is not None:
        if not requester_name:
            raise CaseProblem("requester_required")
        if not await _member_available(session, recorded_by_member_id):
            raise CaseProblem("member_unavailable")
    else:
        await check_resident_limits(
            session, resident_id=resident_id, description=description, now=now, policy=policy,
            allow_duplicate=allow_duplicate,
        )

    year = now.astimezone(policy.tz).year
    seq, number = await next_number(session, year=year)
    case = Case(
        number=number, year=year, seq=seq, resident_id=resident_id, requester_name=requester_name,
        requester_phone=data.requester_phone, recorded_by_member_id=recorded_by_member_id,
        category=category.name, region_id=data.region_id, place_text=place, description=description,
        phone=data.phone if resident_id is not None else None, phone_consent=data.phone_consent,
        status=CaseStatus.new, via_member_link=via_member_id is not None, created_at=now, updated_at=now,
        reception_id=reception_id,
    )
    session.add(case)
    await session.flush()
    for position, (file_id, unique_id) in enumerate(data.photos):
        session.add(CasePhoto(case_id=case.id, file_id=file_id, file_unique_id=unique_id, position=position))
    await media.add_voices(session, data.voices, now=now, case_id=case.id)
    # kept on disk in the background (scheduler/media.py)
    await media.queue_files(session, case=case, now=now, photos=data.photos, voices=data.voices, new_case=True)
    submitter = Actor.resident(resident_id) if resident_id is not None else Actor.member(recorded_by_member_id)
    await _write_event(session, case=case, actor=submitter, action=Note.submit, now=now,
                       detail={"on_behalf": True} if recorded_by_member_id else None)

    if recorded_by_member_id is not None:
        await transition(session, case=case, actor=SYSTEM, action=Action.route, now=now, policy=policy,
                         to_member_id=recorded_by_member_id, detail={"direct": "recorded"})
        await transition(session, case=case, actor=Actor.member(recorded_by_member_id), action=Action.accept, now=now,
                         policy=policy)
        return Intake(case, recorded_by_member_id)
    if via_member_id is not None and await _member_available(session, via_member_id):
        await transition(session, case=case, actor=SYSTEM, action=Action.route, now=now, policy=policy,
                         to_member_id=via_member_id, detail={"direct": "link"})
        return Intake(case, via_member_id)
    return await route_case(session, case=case, table=table, now=now, admin_ids=admin_ids, policy=policy)


async def skipped_members(session: AsyncSession, case_id: int) -> list[int]:
    return list((await session.exec(select(CaseSkip.member_id).where(CaseSkip.case_id == case_id))).all())


def _category_of(case: Case, table: RoutingTable) -> Category:
    # a category later removed from the table routes to any sector rather than failing
    return table.get(case.category) or Category(case.category)


async def route_case(
    session: AsyncSession, *, case: Case, table: RoutingTable, now: datetime, admin_ids: Sequence[int] = (),
    policy: CasePolicy = DEFAULT_POLICY,
) -> Intake:
    """Hand a `new` case to the engine's best candidate, or to the staff when nobody fits."""
    category = _category_of(case, table)
    best = await propose(
        session, category=category, region_id=case.region_id,
        exclude_member_ids=await skipped_members(session, case.id), limit=1,
    )
    if best:
        candidate = best[0]
        await transition(session, case=case, actor=SYSTEM, action=Action.route, now=now, policy=policy,
                         to_member_id=candidate.member_id,
                         detail=candidate.reason(has_region=case.region_id is not None))
        return Intake(case, candidate.member_id, candidate=candidate)
    fallback = await fallback_recipients(session, category=category, region_id=case.region_id, admin_ids=admin_ids)
    await transition(session, case=case, actor=SYSTEM, action=Action.escalate, now=now, policy=policy,
                     detail={"fallback": fallback.kind, "to": fallback.telegram_ids})
    return Intake(case, None, fallback=fallback)


# --- the member's, the resident's and the staff's actions -----------------------------------------


async def accept_case(session: AsyncSession, *, case: Case, member_id: int, now: datetime,
                      policy: CasePolicy = DEFAULT_POLICY) -> CaseEvent:
    return await transition(session, case=case, actor=Actor.member(member_id), action=Action.accept, now=now,
                            policy=policy)


async def decline_case(
    session: AsyncSession, *, case: Case, member_id: int, reason: str, table: RoutingTable, now: datetime,
    admin_ids: Sequence[int] = (), policy: CasePolicy = DEFAULT_POLICY,
) -> Intake:
    """无法办理: a reason, then the engine routes it again without this member."""
    await transition(session, case=case, actor=Actor.member(member_id), action=Action.decline, now=now, note=reason,
                     policy=policy)
    return await route_case(session, case=case, table=table, now=now, admin_ids=admin_ids, policy=policy)


async def transfer_case(
    session: AsyncSession, *, case: Case, member_id: int, reason: str, table: RoutingTable, now: datetime,
    to_member_id: int | None = None, admin_ids: Sequence[int] = (), policy: CasePolicy = DEFAULT_POLICY,
) -> Intake:
    """转交 to another member, or (`to_member_id=None`) back to the engine; a reason either way."""
    if to_member_id is not None:
        await transition(session, case=case, actor=Actor.member(member_id), action=Action.transfer, now=now,
                         note=reason, to_member_id=to_member_id, policy=policy)
        return Intake(case, to_member_id)
    await transition(session, case=case, actor=Actor.member(member_id), action=Action.release, now=now, note=reason,
                     policy=policy)
    return await route_case(session, case=case, table=table, now=now, admin_ids=admin_ids, policy=policy)


async def transfer_candidates(
    session: AsyncSession, *, case: Case, actor: Actor, table: RoutingTable, limit: int = 5
) -> list[Candidate]:
    """The engine's next candidates for a case (for 转交 and for staff assigning), without its skip list."""
    if not await visible_to(session, case=case, actor=actor):
        raise CaseNotAllowed("not_visible")
    exclude = await skipped_members(session, case.id)
    if case.member_id is not None:
        exclude.append(case.member_id)
    return await propose(session, category=_category_of(case, table), region_id=case.region_id,
                         exclude_member_ids=exclude, limit=limit)


async def resolve_case(
    session: AsyncSession, *, case: Case, member_id: int, result: str, now: datetime, people: int | None = None,
    policy: CasePolicy = DEFAULT_POLICY,
) -> CaseEvent:
    return await transition(session, case=case, actor=Actor.member(member_id), action=Action.resolve, now=now,
                            result=result, people=people, policy=policy)


def reopen_deadline(case: Case, now: datetime, policy: CasePolicy) -> datetime:
    """Until when a resident's 未解决 reopens the case (CASE_REOPEN_DAYS after the result); later it closes it."""
    return (case.resolved_at or now) + timedelta(days=policy.reopen_days)


async def answer_case(
    session: AsyncSession, *, case: Case, actor: Actor, solved: bool, now: datetime, rating: int | None = None,
    note: str | None = None, policy: CasePolicy = DEFAULT_POLICY,
) -> CaseEvent:
    """The resident's 已解决 / 未解决 to a result: confirm; reopen within the window; close after it."""
    if solved:
        action = Action.confirm
    else:
        within = now <= reopen_deadline(case, now, policy)
        action = Action.reopen if within or actor.role is not Role.resident else Action.close
    return await transition(session, case=case, actor=actor, action=action, now=now, rating=rating, note=note,
                            policy=policy)


async def assign_case(
    session: AsyncSession, *, case: Case, actor: Actor, to_member_id: int, now: datetime, note: str | None = None,
    policy: CasePolicy = DEFAULT_POLICY,
) -> CaseEvent:
    return await transition(session, case=case, actor=actor, action=Action.assign, now=now, to_member_id=to_member_id,
                            note=note, policy=policy)


async def close_case(
    session: AsyncSession, *, case: Case, actor: Actor, reason: str, now: datetime, policy: CasePolicy = DEFAULT_POLICY
) -> CaseEvent:
    return await transition(session, case=case, actor=actor, action=Action.close, now=now, note=reason, policy=policy)


async def close_expired(session: AsyncSession, *, now: datetime, policy: CasePolicy = DEFAULT_POLICY,
                        limit: int = 500) -> list[Case]:
    """Close resolved cases the resident did not answer within CASE_REOPEN_DAYS (a periodic job)."""
    cutoff = now - timedelta(days=policy.reopen_days)
    cases = (
        await session.exec(
            select(Case).where(Case.status == CaseStatus.resolved, Case.resolved_at < cutoff)
            .order_by(Case.resolved_at).limit(limit)
        )
    ).all()
    closed = []
    for case in cases:
        try:
            await transition(session, case=case, actor=SYSTEM, action=Action.close, now=now, policy=policy)
        except CaseProblem as problem:  # answered meanwhile
            log.info("case %s not closed: %s", case.number, problem.code)
            continue
        closed.append(case)
    return closed


# --- relay -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Relay:
    """A stored relay message and whom to deliver it to (a resident id or a member id)."""

    message: CaseMessage
    to_role: Role
    to_id: int | None


async def add_message(
    session: AsyncSession, *, case: Case, actor: Actor, text: str, now: datetime,
    photo_file_ids: Sequence[str] = (), policy: CasePolicy = DEFAULT_POLICY, voices: Sequence[Voice] = (),
) -> Relay:
    """补充 from the resident or 回复 from the handling member, kept on the case and rate-limited per direction."""
    if not await visible_to(session, case=case, actor=actor) or actor.role not in (Role.resident, Role.member):
        log.warning("case %s: relay refused to %s %s", case.number, actor.role.value, actor.id)
        raise CaseNotAllowed("not_yours")
    if actor.role is Role.member and case.recorded_by_member_id == actor.id and case.resident_id is None:
        raise CaseNotAllowed("not_allowed", status=CaseStatus(case.status).value, action=Note.message)
    check_request(CaseStatus(case.status), actor.role, Request.add if actor.role is Role.resident else Request.reply)
    text = (text or "").strip()
    if not text and not photo_file_ids and not voices:
        raise CaseProblem("relay_empty")
    if len(voices) > MAX_VOICES:
        raise CaseProblem("voices_too_many", high=MAX_VOICES)
    if len(text) > MESSAGE_MAX:
        raise CaseProblem("relay_long", high=MESSAGE_MAX)
    if len(photo_file_ids) > MAX_PHOTOS:
        raise CaseProblem("photos_too_many", high=MAX_PHOTOS)
    direction = "to_member" if actor.role is Role.resident else "to_resident"
    since = now - timedelta(minutes=policy.relay_window_minutes)
    recent = (
        await session.exec(
            select(func.count()).select_from(CaseMessage).where(
                CaseMessage.case_id == case.id, CaseMessage.direction == direction, CaseMessage.at > since
            )
        )
    ).one()
    if recent >= policy.relay_max:
        raise CaseProblem("relay_limit", minutes=f"{policy.relay_window_minutes:g}", limit=policy.relay_max)
    message = CaseMessage(
        case_id=case.id, direction=direction, sender_kind=actor.role.value, sender_id=actor.id,
        member_id=case.member_id, text=text, photo_file_ids=list(photo_file_ids) or None, at=now,
    )
    session.add(message)
    await session.exec(
        update(Case).where(Case.id == case.id).values(updated_at=now).execution_options(synchronize_session=False)
    )
    await session.flush()
    if voices:
        await media.add_voices(session, voices, now=now, case_id=case.id, message_id=message.id)
    await media.queue_files(session, case=case, now=now, voices=voices,
                            photos=[(f, f[-64:]) for f in photo_file_ids])  # relays keep the file_id only
    if actor.role is Role.resident:
        return Relay(message, Role.member, case.member_id)
    return Relay(message, Role.resident, case.resident_id)


# --- read side ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseSummary:
    id: int
    number: str
    status: CaseStatus
    category: str
    member_name: str | None
    created_at: datetime
    updated_at: datetime


def _summary_query() -> Select:
    return select(Case.id, Case.number, Case.status, Case.category, Member.name, Case.created_at, Case.updated_at) \
        .select_from(Case).join(Member, Member.id == Case.member_id, isouter=True)


def _summaries(rows: Sequence[Row]) -> list[CaseSummary]:
    return [CaseSummary(r[0], r[1], CaseStatus(r[2]), r[3], r[4], r[5], r[6]) for r in rows]


summary_query, summaries = _summary_query, _summaries  # for the staff's queue (bot.services.queue)


async def cases_for_resident(
    session: AsyncSession, *, resident_id: int, page: int = 0, per_page: int = 5
) -> tuple[list[CaseSummary], int]:
    """The resident's own cases, newest first, one page; and how many there are."""
    total = (await session.exec(select(func.count()).select_from(Case).where(Case.resident_id == resident_id))).one()
    rows = (
        await session.exec(
            _summary_query().where(Case.resident_id == resident_id)
            .order_by(Case.created_at.desc(), Case.id.desc()).offset(max(page, 0) * per_page).limit(per_page)
        )
    ).all()
    return _summaries(rows), total


MEMBER_LIST_STATES = (CaseStatus.routed, CaseStatus.accepted, CaseStatus.reopened, CaseStatus.resolved)


async def cases_for_member(session: AsyncSession, *, member_id: int, limit: int = 50) -> list[CaseSummary]:
    """The cases currently with the member and not finished, oldest first."""
    rows = (
        await session.exec(
            _summary_query().where(Case.member_id == member_id, col(Case.status).in_(MEMBER_LIST_STATES))
            .order_by(Case.created_at, Case.id).limit(limit)
        )
    ).all()
    return _summaries(rows)


async def cases_for_staff(
    session: AsyncSession, *, actor: Actor, statuses: Sequence[CaseStatus] = (CaseStatus.unassigned,), limit: int = 50
) -> list[CaseSummary]:
    """Cases in the given states that a coordinator's scope covers (admins: all), oldest first: one query."""
    if actor.role not in STAFF:
        raise CaseNotAllowed("not_visible")
    query = _summary_query().where(col(Case.status).in_(list(statuses)))
    scope = case_in_scope(actor, session.bind.dialect.name)
    if scope is not None:
        query = query.where(scope)
    rows = (await session.exec(query.order_by(Case.created_at, Case.id).limit(limit))).all()
    return _summaries(rows)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    action: str
    actor_kind: str
    from_status: str | None
    to_status: str
    member_name: str | None
    note: str | None
    detail: dict | None


@dataclass(frozen=True)
class CaseDetail:
    case: Case
    member_name: str | None
    member_sector: str | None
    region_path: str | None
    phone: str | None  # as the viewer may see it
    photos: list[str]
    timeline: list[TimelineEntry]
    messages: list[CaseMessage]
    actions: list[Action]  # what the viewer may do now
    voices: list[VoiceNote] = field(default_factory=list)  # the intake's, then those of the messages shown
    reception: tuple[str, datetime] | None = None  # raised after a check-in: the station and when the day began


async def case_detail(session: AsyncSession, *, case_id: int, actor: Actor) -> CaseDetail:
    """Everything the viewer may see of one case, with its timeline in order."""
    case = await get_case(session, case_id=case_id, actor=actor)
    member_name = member_sector = None
    if case.member_id is not None:
        row = (
            await session.exec(
                select(Member.name, Sector.name).join(Sector, Sector.id == Member.sector_id)
                .where(Member.id == case.member_id)
            )
        ).first()
        if row:
            member_name, member_sector = row
    region_path = None
    if case.region_id is not None:
        region_path = (await session.exec(select(Region.path).where(Region.id == case.region_id))).first()
    photos = list(
        (await session.exec(select(CasePhoto.file_id).where(CasePhoto.case_id == case.id)
                            .order_by(CasePhoto.position))).all()
    )
    events = (
        await session.exec(
            select(CaseEvent, Member.name).join(Member, Member.id == CaseEvent.member_id, isouter=True)
            .where(CaseEvent.case_id == case.id).order_by(CaseEvent.at, CaseEvent.id)
        )
    ).all()
    timeline = [
        TimelineEntry(e.at, e.action, e.actor_kind, e.from_status, e.to_status, name, e.note, e.detail)
        for e, name in events
    ]
    messages_query = select(CaseMessage).where(CaseMessage.case_id == case.id)
    if actor.role is Role.member:
        # a member sees the conversation of their own time with the case
        messages_query = messages_query.where(CaseMessage.member_id == actor.id)
    messages = list((await session.exec(messages_query.order_by(CaseMessage.at, CaseMessage.id))).all())
    voices = await media.case_voices(session, case_id=case.id, message_ids=[m.id for m in messages])
    reception = None
    if case.reception_id is not None:
        reception = (await session.exec(select(Station.name, Reception.starts_at).join(
            Station, Station.id == Reception.station_id).where(Reception.id == case.reception_id))).first()
    return CaseDetail(
        case=case, member_name=member_name, member_sector=member_sector, region_path=region_path,
        phone=phone_for(case, actor), photos=photos, timeline=timeline, messages=messages,
        actions=allowed_actions(CaseStatus(case.status), actor.role), voices=voices,
        reception=tuple(reception) if reception else None,
    )


def age_days(case_created: datetime, now: datetime) -> int:
    return max((now - case_created).days, 0)


# --- member links (找我反映) -----------------------------------------------------------------------


def _new_token() -> str:
    return "".join(secrets.choice(_LINK_ALPHABET) for _ in range(_LINK_LENGTH))


async def member_link_token(session: AsyncSession, *, member_id: int, rotate: bool = False) -> str:
    """The member's 找我反映 token (made on first use); `rotate` replaces it so old cards stop routing."""
    link = (await session.exec(select(MemberLink).where(MemberLink.member_id == member_id))).first()
    if link is not None and not rotate:
        return link.token
    token = _new_token()
    if link is None:
        session.add(MemberLink(member_id=member_id, token=token))
    else:
        link.token = token
        session.add(link)
    await session.flush()
    return token


def link_payload(token: str) -> str:
    """The /start payload of a member link: `m_<token>` (invite codes never start like this)."""
    return LINK_PREFIX + token


def parse_link_payload(payload: str) -> str | None:
    payload = payload.strip()
    if not payload.startswith(LINK_PREFIX):
        return None
    token = payload[len(LINK_PREFIX):]
    return token if token and len(token) <= 32 and all(c in _LINK_ALPHABET for c in token) else None


async def member_for_link(session: AsyncSession, *, token: str) -> Member | None:
    """The active member a link points to; None for an unknown, rotated or deactivated one."""
    member = (
        await session.exec(select(Member).join(MemberLink, MemberLink.member_id == Member.id)
                           .where(MemberLink.token == token))
    ).first()
    return member if member is not None and member.active else None

