"""Members' liaison activities: saving, editing, the standing against quotas (the duty archive: archive.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, bindparam, func, or_, union_all
from sqlalchemy import null as sa_null
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import lock_row
from bot.services import media
from bot.services.media import Voice
from bot.services.plausibility import clear_marks, summary_key
from bot.services.roster import contact_point_kind
from bot.services.rules import Quarter, check_activity_date, duty_ranks, expected_people_by, points_for
from models import Activity, ActivityGroup, ActivityPhoto, AuditEvent, ContactPoint, Member, Tally, VoiceNote, utcnow
from models.tally import MEASURES, QUARTERS, tally_column

PEOPLE_MIN, PEOPLE_MAX = 1, 5000
SUMMARY_MIN, SUMMARY_MAX = 5, 1000
TITLE_MIN = 4  # the summary's least length when voice notes say the rest
PLACE_MIN, PLACE_MAX = 2, 128
MAX_PHOTOS = 5


class ActivityProblem(Exception):
    """A rule the activity breaks; `code` picks the message, `detail` fills it."""

    def __init__(self, code: str, **detail: object) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class ActivityPolicy:
    """The settings activities follow (`from_settings` builds it from `bot.config.Settings`)."""

    kind_points: Mapping[str, float] = field(default_factory=dict)  # kind code -> duty points
    grace_days: int = 0  # the previous quarter stays open this many days into the next (LATE_LOG_GRACE_DAYS)
    edit_window_days: int = 7  # the author may edit or delete this long after logging (ACTIVITY_EDIT_WINDOW_DAYS)
    duplicate_window: timedelta | None = None  # the same kind, date and place again within it is asked about

    @classmethod
    def from_settings(cls, settings) -> ActivityPolicy:  # noqa: ANN001 - bot.config.Settings (a layer above)
        return cls(
            kind_points={k.code: k.points for k in settings.activity_kinds},
            grace_days=settings.late_log_grace_days,
            edit_window_days=settings.activity_edit_window_days,
            duplicate_window=timedelta(hours=settings.duplicate_window_hours),
        )


@dataclass
class ActivityInput:
    kind: str
    activity_date: date
    place: str
    people: int
    summary: str
    contact_point_id: int | None = None
    photos: list[tuple[str, str]] = field(default_factory=list)  # (file_id, file_unique_id)
    voices: list[Voice] = field(default_factory=list)  # voice notes kept as evidence next to the text


def check_people(value: int | None) -> None:
    if value is None or not PEOPLE_MIN <= value <= PEOPLE_MAX:
        raise ActivityProblem("people_range", low=PEOPLE_MIN, high=PEOPLE_MAX)


def check_people_verified(value: int, verified: int) -> None:
    """人次 of an activity made from a reception day: never below the people who checked in at the door."""
    if value < verified:
        raise ActivityProblem("people_below_verified", verified=verified)


def check_day_fields(activity: Activity, data: ActivityInput) -> None:
    """An activity made from a reception day keeps the day's kind, date and place (`reception_fixed`)."""
    if activity.reception_id is not None and (
        data.kind != activity.kind or data.activity_date != activity.activity_date or data.place != activity.place
    ):
        raise ActivityProblem("reception_fixed")


def check_summary(text: str, *, voices: int = 0) -> str:
    """The typed summary; with voice notes a short title is enough (reports need text, the voice is evidence)."""
    text = text.strip()
    low = TITLE_MIN if voices else SUMMARY_MIN
    if len(text) < low:
        raise ActivityProblem("summary_short", low=low)
    if len(text) > SUMMARY_MAX:
        raise ActivityProblem("summary_long", high=SUMMARY_MAX, length=len(text))
    return text


VAGUE_PLACES = {"其他", "其它", "其他地点", "无", "没有", "不知道"}


def check_place(text: str) -> str:
    text = " ".join(text.split())
    if not PLACE_MIN <= len(text) <= PLACE_MAX:
        raise ActivityProblem("place_length", low=PLACE_MIN, high=PLACE_MAX)
    if text in VAGUE_PLACES:
        raise ActivityProblem("place_vague")
    return text


def check_date(day: date, today: date, grace_days: int) -> None:
    result = check_activity_date(day, today, grace_days)
    if result.ok:
        return
    if result.reason == "too_old" and grace_days > 0 and result.earliest == Quarter.of(today).first_day:
        # the previous quarter was open for late entries and is closed now: say why
        raise ActivityProblem("date_too_old_grace_over", earliest=result.earliest, days=grace_days)
    raise ActivityProblem(f"date_{result.reason}", earliest=result.earliest)


def validate_input(
    data: ActivityInput, *, policy: ActivityPolicy, today: date, accepted_date: date | None = None,
    voices_kept: int = 0,
) -> None:
    """Every rule at once, at save time: the form checked each step, but state may be old.

    `accepted_date` is the date an edited activity already has: it was valid when logged
    and stays valid, so fixing a typo after the grace period is still possible.
    """
    if data.kind not in policy.kind_points:
        raise ActivityProblem("kind_unknown")
    if data.activity_date != accepted_date:
        check_date(data.activity_date, today, policy.grace_days)
    check_place(data.place)
    check_people(data.people)
    check_summary(data.summary, voices=len(data.voices) + voices_kept)
    if len(data.voices) + voices_kept > media.MAX_ACTIVITY_VOICES:
        raise ActivityProblem("voices_too_many", high=media.MAX_ACTIVITY_VOICES)
    if len(data.photos) > MAX_PHOTOS:
        raise ActivityProblem("photos_too_many", high=MAX_PHOTOS)


async def member_places(session: AsyncSession, member_id: int, limit: int = 8) -> list[ContactPoint]:
    """The member's contact points: roster ones first, then the ones they added, newest first."""
    query = (
        select(ContactPoint)
        .where(ContactPoint.member_id == member_id)
        .order_by(ContactPoint.from_roster.desc(), ContactPoint.position, ContactPoint.id.desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def _remember_place(session: AsyncSession, member_id: int, name: str) -> int:
    existing = (
        await session.exec(select(ContactPoint).where(ContactPoint.member_id == member_id, ContactPoint.name == name))
    ).first()
    if existing:
        return existing.id
    point = ContactPoint(member_id=member_id, name=name, kind=contact_point_kind(name), position=99, from_roster=False)
    session.add(point)
    await session.flush()
    return point.id


async def own_contact_point(session: AsyncSession, *, member_id: int, point_id: int) -> ContactPoint | None:
    """The member's own contact point with this id; None for someone else's or one the roster dropped."""
    point = await session.get(ContactPoint, point_id)
    return point if point is not None and point.member_id == member_id else None


async def _resolve_place(session: AsyncSession, member_id: int, data: ActivityInput) -> int:
    """The member's own contact point for this activity: the chosen one, or the typed place remembered."""
    if data.contact_point_id is not None:
        point = await own_contact_point(session, member_id=member_id, point_id=data.contact_point_id)
        if point is not None and point.name == data.place:
            return point.id
    return await _remember_place(session, member_id, data.place)


async def find_duplicate(
    session: AsyncSession, *, member_id: int, data: ActivityInput, since: datetime, exclude_id: int | None = None
) -> Activity | None:
    query = select(Activity).where(
        Activity.member_id == member_id,
        Activity.kind == data.kind,
        Activity.activity_date == data.activity_date,
        Activity.place == data.place,
        Activity.deleted_at.is_(None),
        Activity.created_at >= since,
    )
    if exclude_id is not None:
        query = query.where(Activity.id != exclude_id)
    return (await session.exec(query)).first()


async def _set_photos(session: AsyncSession, activity_id: int, photos: Sequence[tuple[str, str]]) -> None:
    for old in (await session.exec(select(ActivityPhoto).where(ActivityPhoto.activity_id == activity_id))).all():
        await session.delete(old)
    for position, (file_id, unique_id) in enumerate(photos):
        session.add(ActivityPhoto(activity_id=activity_id, file_id=file_id, file_unique_id=unique_id,
                                  position=position))


async def save_activity(
    session: AsyncSession,
    *,
    member_id: int,
    data: ActivityInput,
    policy: ActivityPolicy,
    today: date,
    now: datetime | None = None,
    allow_duplicate: bool = False,
) -> Activity:
    """Validate and stage a new activity with its photos (the caller commits).

    Remembers a typed place as a contact point. The same kind, date and place logged within the
    policy's `duplicate_window` raises `ActivityProblem("duplicate", twin=…)`; the member decides
    and calls again with `allow_duplicate`.
    """
    validate_input(data, policy=policy, today=today)
    now = now or utcnow()
    if policy.duplicate_window is not None and not allow_duplicate:
        twin = await find_duplicate(session, member_id=member_id, data=data, since=now - policy.duplicate_window)
        if twin is not None:
            raise ActivityProblem("duplicate", twin=twin)
    point_id = await _resolve_place(session, member_id, data)
    quarter = Quarter.of(data.activity_date)
    activity = Activity(
        member_id=member_id, kind=data.kind, activity_date=data.activity_date, year=quarter.year, quarter=quarter.q,
        place=data.place, contact_point_id=point_id, people=data.people, summary=data.summary,
        summary_key=summary_key(data.summary), points=points_for(policy.kind_points, data.kind),
        created_at=now, updated_at=now,
    )
    session.add(activity)
    await session.flush()
    await _set_photos(session, activity.id, data.photos)
    await media.add_voices(session, data.voices, now=now, activity_id=activity.id)
    if data.photos or data.voices:  # kept on disk in the background (scheduler/media.py)
        await media.queue_activity(session, activity_id=activity.id, now=now)
    await session.flush()
    return activity


async def own_activity(session: AsyncSession, *, member_id: int, activity_id: int, lock: bool = False) -> Activity:
    """The member's own, not deleted activity; `not_found` otherwise (also for someone else's). `lock`: its row
    locked until the commit (`lock_row`)."""
    if lock:
        await lock_row(session, Activity.__table__, activity_id)
    activity = await session.get(Activity, activity_id, populate_existing=lock)
    if activity is None or activity.member_id != member_id or activity.deleted_at is not None:
        raise ActivityProblem("not_found")
    return activity


def edit_deadline(activity: Activity, policy: ActivityPolicy, now: datetime) -> datetime | None:
    """Until when the author may still edit or delete the activity; None once it is locked."""
    until = activity.created_at + timedelta(days=policy.edit_window_days)
    return until if now < until else None


def check_editable(activity: Activity, policy: ActivityPolicy, now: datetime) -> None:
    """`locked` once the edit window of the activity has passed."""
    if edit_deadline(activity, policy, now) is None:
        raise ActivityProblem("locked", days=policy.edit_window_days)


async def update_activity(
    session: AsyncSession,
    *,
    member_id: int,
    activity_id: int,
    data: ActivityInput,
    policy: ActivityPolicy,
    today: date,
    now: datetime | None = None,
) -> Activity:
    """Stage the replacement of an activity's fields inside the edit window, audited (the caller commits)."""
    now = now or utcnow()
    # locked: a coordinator's mark (which locks the row too) lands before the edit, which drops it, or after it
    activity = await own_activity(session, member_id=member_id, activity_id=activity_id, lock=True)
    check_editable(activity, policy, now)
    check_day_fields(activity, data)
    kept = len(await activity_voices(session, activity.id))
    validate_input(data, policy=policy, today=today, accepted_date=activity.activity_date, voices_kept=kept)
    check_people_verified(data.people, activity.verified_people)  # people who checked in stay counted
    before = f"{activity.kind} {activity.activity_date} {activity.place} {activity.people}"
    # what the plausibility rules look at: changed, a coordinator's marks judged something else
    judged = (activity.kind, activity.activity_date, activity.place, activity.people, activity.summary)
    if judged != (data.kind, data.activity_date, data.place, data.people, data.summary):
        await clear_marks(session, activity_id=activity.id, actor=f"member:{member_id}", now=now)
    point_id = await _resolve_place(session, member_id, data)
    quarter = Quarter.of(data.activity_date)
    if data.kind != activity.kind:
        activity.points = points_for(policy.kind_points, data.kind)
    activity.kind, activity.activity_date = data.kind, data.activity_date
    activity.year, activity.quarter = quarter.year, quarter.q
    activity.place, activity.contact_point_id = data.place, point_id
    activity.people, activity.summary, activity.updated_at = data.people, data.summary, now
    activity.summary_key = summary_key(data.summary)
    await _set_photos(session, activity.id, data.photos)
    if data.voices:  # an edit adds voice notes; those kept stay
        await media.add_voices(session, data.voices, now=now, activity_id=activity.id, start=kept)
    if data.photos or data.voices:
        await media.queue_activity(session, activity_id=activity.id, now=now)
    session.add(AuditEvent(actor=f"member:{member_id}", action="activity.edit", entity="activity",
                           entity_id=str(activity.id), detail=f"before: {before}"))
    await session.flush()
    return activity


async def delete_activity(
    session: AsyncSession, *, member_id: int, activity_id: int, policy: ActivityPolicy, now: datetime | None = None
) -> Activity:
    """Stage a soft delete inside the edit window (the caller commits); deleted activities count nowhere."""
    now = now or utcnow()
    activity = await own_activity(session, member_id=member_id, activity_id=activity_id)
    check_editable(activity, policy, now)
    activity.deleted_at = now
    session.add(AuditEvent(actor=f"member:{member_id}", action="activity.delete", entity="activity",
                           entity_id=str(activity.id),
                           detail=f"{activity.kind} {activity.activity_date} {activity.place} {activity.people}"))
    await session.flush()
    return activity


async def activity_photos(session: AsyncSession, activity_id: int) -> list[tuple[str, str]]:
    rows = await session.exec(
        select(ActivityPhoto.file_id, ActivityPhoto.file_unique_id)
        .where(ActivityPhoto.activity_id == activity_id)
        .order_by(ActivityPhoto.position)
    )
    return [tuple(r) for r in rows.all()]  # type: ignore[misc] - (file_id, unique_id) rows


_ACTIVITY = Activity.__table__
# /my runs these on every call: built once (building a statement costs more than running it on SQLite)
_RECENT = (
    select(_ACTIVITY, func.count().over().label("live_total"))
    .where(_ACTIVITY.c.member_id == bindparam("b_member"), _ACTIVITY.c.deleted_at.is_(None))
    .order_by(_ACTIVITY.c.activity_date.desc(), _ACTIVITY.c.id.desc())
    .limit(bindparam("b_limit"))
    .offset(bindparam("b_offset"))
)
_LIVE_COUNT = select(func.count()).select_from(_ACTIVITY).where(
    _ACTIVITY.c.member_id == bindparam("b_member"), _ACTIVITY.c.deleted_at.is_(None)
)


async def recent_activities(
    session: AsyncSession, *, member_id: int, offset: int, limit: int
) -> tuple[list[Activity], int]:
    """A page of the member's activities, newest first, and how many there are (one statement
    unless the page is past the end). The rows have Activity's attributes, read-only."""
    params = {"b_member": member_id, "b_limit": limit, "b_offset": offset}
    rows = list((await session.exec(_RECENT, params=params)).all())
    if rows:
        return rows, rows[0].live_total  # type: ignore[return-value] - Row objects behave as Activity for rendering
    total = (await session.exec(_LIVE_COUNT, params={"b_member": member_id})).one() if offset else 0
    return [], total


@dataclass(frozen=True)
class Standing:
    quarter: Quarter
    quarter_activities: int
    quarter_people: int
    quarter_points: float
    year_activities: int
    year_people: int
    year_points: float
    quarter_target: int
    year_target: int
    expected_people: int
    rank: int | None
    peers: int
    peer_label: str | None  # the activity group's name; None: the member's sector
    quarter_verified: int = 0  # of quarter_people, checked in at the door of a reception day (扫码核实)
    year_verified: int = 0  # of year_people, likewise
    # every quarter of the year: quarter -> {measure: value} (`models.tally.MEASURES`), from the same row
    quarters: Mapping[int, Mapping[str, float]] = field(default_factory=dict)
    current: bool = True  # the quarter is today's quarter
    year_over: bool = False  # the quarter's year has ended

    @property
    def quarter_met(self) -> bool:
        return self.quarter_activities >= self.quarter_target

    @property
    def year_met(self) -> bool:
        return self.year_people >= self.year_target

    @property
    def on_pace(self) -> bool:
        return self.year_people >= self.expected_people


_QUARTER_COLUMNS = [tally_column(m, q) for q in QUARTERS for m in MEASURES]  # per quarter, MEASURES in order


def _peers_branch(*, grouped: bool):  # noqa: ANN202 - one half of _STANDING
    """The member's peers, each with this year's tally row (kept on every activity write: no aggregate).

    Peers sit on the same committee: same level and region, NULL regions alike (a roster may hold
    several committees whose groups share names, e.g. 第3界别活动组 of the province and of a city);
    within it, the member's activity group, or without one, the members of the same sector without
    one. Active members, and the member even if not active. `grouped` picks one of the two cases (the
    other half returns nothing), so each half is an indexed lookup (activity group or sector)."""
    me, peer = Member.__table__.alias("me"), Member.__table__.alias("peer")
    tally, group = Tally.__table__, ActivityGroup.__table__
    # NULL regions compare equal; as an expression, so that no planner takes the region's index over the group's
    same_committee = and_(peer.c.level == me.c.level,
                          func.coalesce(peer.c.region_id, -1) == func.coalesce(me.c.region_id, -1))
    if grouped:
        peers = and_(peer.c.activity_group_id == me.c.activity_group_id, same_committee)
        label = group.c.name  # the group's name
    else:
        peers = and_(me.c.activity_group_id.is_(None), peer.c.sector_id == me.c.sector_id,
                     peer.c.activity_group_id.is_(None), same_committee)
        label = sa_null()  # rendered as "本界别"
    joined = me.join(peer, and_(peers, or_(peer.c.active.is_(True), peer.c.id == me.c.id))).join(
        tally, and_(tally.c.member_id == peer.c.id, tally.c.year == bindparam("b_year")), isouter=True)
    if grouped:
        joined = joined.join(group, group.c.id == me.c.activity_group_id, isouter=True)
    return (
        select(peer.c.id, func.coalesce(tally.c.points, 0.0), *[tally.c[name] for name in _QUARTER_COLUMNS],
               label, me.c.activity_group_id)
        .select_from(joined)
        .where(me.c.id == bindparam("b_member"))
    )


# /my's standing in one statement, built once: the member's peers with this year's points, the
# member's own row among them carrying its quarters' figures (None: nothing logged this year), the
# activity group's name and whether there is a group. Core columns: rows are only read.
_STANDING = union_all(_peers_branch(grouped=True), _peers_branch(grouped=False))


async def standing(
    session: AsyncSession,
    *,
    member_id: int,
    quarter: Quarter,
    today: date,
    quarter_target: int,
    year_target: int,
) -> Standing:
    """Where a member stands in `quarter` and its year: counts, 人次, points, rank among peers (one statement)."""
    rows = (await session.exec(_STANDING, params={"b_member": member_id, "b_year": quarter.year})).all()
    own = next((row for row in rows if row[0] == member_id), None)
    if own is None:  # no such member (the member is always among their own peers)
        raise ActivityProblem("not_found")
    width = len(MEASURES)
    figures = own[2:2 + width * len(QUARTERS)]
    per_quarter = {q: dict(zip(MEASURES, (v or 0 for v in figures[width * i: width * (i + 1)]), strict=True))
                   for i, q in enumerate(QUARTERS)}
    this = per_quarter[quarter.q]
    points = {row[0]: float(row[1]) for row in rows}
    label, grouped = own[2 + width * len(QUARTERS):]
    if grouped is not None and label is None:  # a group without a name
        label = ""
    if today.year == quarter.year:
        expected = expected_people_by(today, year_target)
    else:
        expected = year_target if today.year > quarter.year else 0
    return Standing(
        quarter=quarter,
        quarter_activities=int(this["activities"]),
        quarter_people=int(this["people"]),
        quarter_points=float(this["points"]),
        year_activities=sum(int(v["activities"]) for v in per_quarter.values()),
        year_people=sum(int(v["people"]) for v in per_quarter.values()),
        year_points=sum(float(v["points"]) for v in per_quarter.values()),
        quarter_verified=int(this["verified"]),
        year_verified=sum(int(v["verified"]) for v in per_quarter.values()),
        quarters=per_quarter,
        quarter_target=quarter_target,
        year_target=year_target,
        expected_people=expected,
        rank=duty_ranks(points).get(member_id),
        peers=len(points),
        peer_label=label,
        current=quarter == Quarter.of(today),
        year_over=today.year > quarter.year,
    )


async def activity_voices(session: AsyncSession, activity_id: int) -> list[Voice]:
    """An activity's voice notes, in order."""
    rows = await session.exec(select(VoiceNote).where(VoiceNote.activity_id == activity_id)
                              .order_by(VoiceNote.position, VoiceNote.id))
    return [Voice(v.file_id, v.file_unique_id, v.duration, v.kind) for v in rows.all()]
