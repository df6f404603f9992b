"""The rules of reception days (bot/services/receptions.py), directly: dates and spans as typed, past and
reversed times refused at the Shanghai boundary, the distance order, sign-ups (once, full, again after a
cancel), the reminder's window, and which stations a coordinator's scope covers."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.services import receptions as svc
from bot.services.access import touch_resident
from bot.services.receptions import ReceptionProblem, Scheduler
from bot.services.scopes import Scope
from models import Member, OutboxMessage, Reception, ReceptionSignup, ScopeKind
from tests.support.receptions import CHENGGUAN, POLICY, QILIHE, SHANGHAI, seed_stations

# --- typed answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "today", "expected"), [
    ("12月10日", date(2026, 12, 6), date(2026, 12, 10)),
    ("2026-12-10", date(2026, 12, 6), date(2026, 12, 10)),
    ("26-12-10", date(2026, 12, 6), date(2026, 12, 10)),  # a short year, as the log form takes it
    ("２０２６年１２月１０号", date(2026, 12, 6), date(2026, 12, 10)),
    ("12/10", date(2026, 12, 6), date(2026, 12, 10)),
    ("明天", date(2026, 12, 31), date(2027, 1, 1)),
    ("1-5", date(2026, 12, 20), date(2027, 1, 5)),  # more than a month ago this year: next year's
    ("12-1", date(2026, 12, 6), date(2026, 12, 1)),  # just past stays past, to be refused with the reason
    ("2026-02-30", date(2026, 1, 6), None),
    ("下周", date(2026, 12, 6), None),
])
def test_parse_day(text: str, today: date, expected: date | None) -> None:
    assert svc.parse_day(text, today) == expected


def test_a_day_that_does_not_exist_is_told_apart_from_words() -> None:
    from bot.services.rules import is_date_shape

    assert is_date_shape("2026-02-30") and is_date_shape("２月３０日") and is_date_shape("2/30") and is_date_shape("26-2-30")
    assert not is_date_shape("下周") and not is_date_shape("明天") and not is_date_shape("12月")


@pytest.mark.parametrize(("text", "expected"), [
    ("9:00-11:30", (time(9), time(11, 30))),
    ("09：00～11：30", (time(9), time(11, 30))),
    ("14:00至16:00", (time(14), time(16))),
    ("9点-11点", (time(9), time(11))),
    ("9点30分-11点", (time(9, 30), time(11))),
    ("11:30-9:00", (time(11, 30), time(9))),  # parsed; refused by check_times with the reason
    ("25:00-26:00", None),
    ("9:70-10:00", None),
    ("9:00", None),
    ("9点半到11点半", (time(9, 30), time(11, 30))),
    ("9点到11点半", (time(9), time(11, 30))),
    ("下午2点到4点", (time(14), time(16))),
    ("下午2点半-下午5点", (time(14, 30), time(17))),
    ("上午9点到下午1点", (time(9), time(13))),
    ("中午12点到1点", (time(12), time(13))),
    ("晚上7点到8点半", (time(19), time(20, 30))),
    ("下午13:00-15:00", (time(13), time(15))),  # already on the 24-hour clock
    ("9点70分-10点", None),
])
def test_parse_span(text: str, expected) -> None:
    assert svc.parse_span(text) == expected


def test_topic_and_capacity() -> None:
    assert svc.check_topic("  老旧小区   改造 ") == "老旧小区 改造"
    for bad in ("改", "字" * (svc.TOPIC_MAX + 1)):
        with pytest.raises(ReceptionProblem, match="topic_length"):
            svc.check_topic(bad)
    assert svc.check_capacity("30") == 30 and svc.check_capacity("３０人") == 30
    for bad in ("0", "-1", "十", "10001", "²"):
        with pytest.raises(ReceptionProblem, match="capacity"):
            svc.check_capacity(bad)


# --- the times: past and reversed refused, at the local (Shanghai) boundary ---------------------------


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_a_start_at_or_before_now_is_past_and_a_minute_later_is_not() -> None:
    now = at(2026, 12, 10, 9, 0)
    with pytest.raises(ReceptionProblem) as refused:
        svc.check_times(day=date(2026, 12, 10), start=time(9, 0), end=time(10, 0), tz=SHANGHAI, now=now)
    assert refused.value.code == "past" and "12月10日（周四）09:00–10:00" in refused.value.values["when"]
    starts, ends = svc.check_times(day=date(2026, 12, 10), start=time(9, 1), end=time(10, 0), tz=SHANGHAI, now=now)
    assert starts == datetime(2026, 12, 10, 1, 1, tzinfo=UTC) and ends == datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
    # 07:30 on the 11th in Shanghai is still the 10th in UTC: judged by the local day, not refused
    late = at(2026, 12, 10, 23, 59)
    starts, _ = svc.check_times(day=date(2026, 12, 11), start=time(7, 30), end=time(8, 0), tz=SHANGHAI, now=late)
    assert starts.date() == date(2026, 12, 10)
    with pytest.raises(ReceptionProblem, match="past"):
        svc.check_times(day=date(2026, 12, 9), start=time(23, 0), end=time(23, 30), tz=SHANGHAI, now=late)


def test_an_end_not_after_the_start_is_refused_with_both_times() -> None:
    now = at(2026, 12, 1, 9, 0)
    for start, end in ((time(11, 30), time(9)), (time(9), time(9))):
        with pytest.raises(ReceptionProblem) as refused:
            svc.check_times(day=date(2026, 12, 10), start=start, end=end, tz=SHANGHAI, now=now)
        assert refused.value.code == "end_before_start"
        assert refused.value.values == {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}


def test_too_far_ahead() -> None:
    now = at(2026, 12, 1, 9, 0)
    svc.check_times(day=date(2026, 12, 1) + timedelta(days=svc.AHEAD_DAYS), start=time(9), end=time(10), tz=SHANGHAI,
                    now=now)
    with pytest.raises(ReceptionProblem, match="too_far"):
        svc.check_times(day=date(2026, 12, 1) + timedelta(days=svc.AHEAD_DAYS + 1), start=time(9), end=time(10),
                        tz=SHANGHAI, now=now)


def test_haversine() -> None:
    assert svc.haversine_km(*QILIHE, *QILIHE) == 0
    lanzhou_beijing = svc.haversine_km(36.0611, 103.8343, 39.9042, 116.4074)
    assert 1170 < lanzhou_beijing < 1195  # ≈ 1180 km by the great circle
    assert svc.haversine_km(*CHENGGUAN, *QILIHE) == pytest.approx(svc.haversine_km(*QILIHE, *CHENGGUAN))
    assert 3.9 < svc.haversine_km(*CHENGGUAN, *QILIHE) < 4.0


def test_the_reminder_moment_is_the_local_day_before() -> None:
    # 00:30 on 11 March in Shanghai is 16:30 UTC on the 10th: the reminder is at 18:00 Shanghai on the 10th
    starts = at(2027, 3, 11, 0, 30).astimezone(UTC)
    assert POLICY.reminder_moment(starts) == at(2027, 3, 10, 18, 0)


# --- with the database --------------------------------------------------------------------------------


@pytest.fixture
async def world(db, roster):
    stations = await seed_stations(db)
    async with db.session() as session:
        members = {n: (await session.exec(select(Member.id).where(Member.number == n))).one()
                   for n in ("GS0071", "GS0058")}
    return stations, members


async def make(db, world, code: str, number: str, *, starts: datetime, capacity: int | None = None,
               now: datetime | None = None) -> int:
    stations, members = world
    async with db.session() as session:
        reception = await svc.schedule(
            session, who=Scheduler(telegram_id=1, member_id=members[number]), station_id=stations[code],
            starts_at=starts, ends_at=starts + timedelta(hours=2), topic=f"{code} 的接待日", capacity=capacity,
            now=now or at(2026, 12, 1, 9), policy=POLICY)
        await session.commit()
        return reception.id


async def resident(db, telegram_id: int) -> int:
    async with db.session() as session:
        person = await touch_resident(session, telegram_id=telegram_id, display_name=str(telegram_id), username=None)
        await session.commit()
        return person.id


async def test_nearest_first_by_distance_then_without_coordinates(db, world) -> None:
    first = await make(db, world, "ZS099", "GS0071", starts=at(2026, 12, 5, 9))  # soonest, no coordinates
    chengguan = await make(db, world, "ZS001", "GS0071", starts=at(2026, 12, 9, 9))
    qilihe_late = await make(db, world, "ZS002", "GS0058", starts=at(2026, 12, 20, 9))
    qilihe_soon = await make(db, world, "ZS002", "GS0058", starts=at(2026, 12, 8, 9))
    now = at(2026, 12, 2, 9)
    async with db.session() as session:
        near_qilihe = await svc.nearest(session, latitude=QILIHE[0], longitude=QILIHE[1], now=now)
        near_chengguan = await svc.nearest(session, latitude=CHENGGUAN[0], longitude=CHENGGUAN[1], now=now)
        later = await svc.nearest(session, latitude=QILIHE[0], longitude=QILIHE[1], now=at(2026, 12, 9, 10))
    assert [v.id for v in near_qilihe] == [qilihe_soon, qilihe_late, chengguan, first]
    assert [v.id for v in near_chengguan] == [chengguan, qilihe_soon, qilihe_late, first]
    assert near_qilihe[-1].distance_km is None and near_qilihe[0].distance_km == 0
    # two asked: found within the first radius, the farther ones never read
    async with db.session() as session:
        two = await svc.nearest(session, latitude=QILIHE[0], longitude=QILIHE[1], now=now, limit=2)
        far = await svc.nearest(session, latitude=39.9042, longitude=116.4074, now=now)  # Beijing: fewer than ten within any radius
    assert [v.id for v in two] == [qilihe_soon, qilihe_late]
    assert [v.id for v in far] == [chengguan, qilihe_soon, qilihe_late, first]
    assert 1180 < far[0].distance_km < 1200
    # a day that has started is still listed until it ends; one that has ended is not
    assert [v.id for v in later] == [qilihe_late, chengguan]


@pytest.mark.parametrize("latitude", [0.0, 37.0, 60.0])
@pytest.mark.parametrize("radius", [10, 640, 2560])
def test_the_box_holds_the_whole_circle(latitude, radius) -> None:
    """The box `nearest` narrows by reaches the circle's widest point in longitude (which lies poleward of
    the centre's latitude), and no further than needed: just past it is outside the radius."""
    reach = svc.longitude_reach(latitude, radius)
    # the great circle touching the meridian at the widest reach, at the latitude where it touches
    touch = math.degrees(math.asin(math.sin(math.radians(latitude)) / math.cos(radius / svc.EARTH_RADIUS_KM)))
    widest = svc.haversine_km(latitude, 100.0, touch, 100.0 + reach)
    assert radius * 0.999 < widest < radius * 1.001
    assert all(svc.haversine_km(latitude, 100.0, lat / 10, 100.0 + reach * 1.01) > radius for lat in range(-890, 891))
    if radius == 2560 and latitude == 37.0:  # r / (111 km · cos φ) would cut the circle short here
        assert reach > radius / (svc.KM_PER_DEGREE * math.cos(math.radians(latitude))) * 1.01
    assert svc.longitude_reach(89.0, 200) == 180.0  # the circle reaches over the pole: every longitude


async def test_sign_up_once_full_and_again_after_a_cancel(db, world) -> None:
    reception = await make(db, world, "ZS001", "GS0071", starts=at(2026, 12, 9, 9), capacity=2)
    a, b, c = [await resident(db, 9400 + i) for i in range(3)]
    now = at(2026, 12, 2, 9)
    async with db.session() as session:
        await svc.sign_up(session, reception_id=reception, resident_id=a, phone="13900000000", now=now)
        with pytest.raises(ReceptionProblem, match="already"):
            await svc.sign_up(session, reception_id=reception, resident_id=a, phone=None, now=now)
        await svc.sign_up(session, reception_id=reception, resident_id=b, phone=None, now=now)
        with pytest.raises(ReceptionProblem, match="full"):
            await svc.sign_up(session, reception_id=reception, resident_id=c, phone=None, now=now)
        assert await svc.cancel_signup(session, reception_id=reception, resident_id=a, now=now)
        assert not await svc.cancel_signup(session, reception_id=reception, resident_id=a, now=now)
        await svc.sign_up(session, reception_id=reception, resident_id=c, phone=None, now=now)
        with pytest.raises(ReceptionProblem, match="full"):
            await svc.sign_up(session, reception_id=reception, resident_id=a, phone=None, now=now)
        await session.commit()
        assert await svc.active_signups(session, reception) == 2
        with pytest.raises(ReceptionProblem, match="over"):
            await svc.sign_up(session, reception_id=reception, resident_id=a, phone=None, now=at(2026, 12, 9, 11))


async def test_the_database_refuses_a_second_sign_up_row(db, world) -> None:
    reception = await make(db, world, "ZS001", "GS0071", starts=at(2026, 12, 9, 9))
    person = await resident(db, 9410)
    async with db.session() as session:
        session.add(ReceptionSignup(reception_id=reception, resident_id=person))
        await session.commit()
        session.add(ReceptionSignup(reception_id=reception, resident_id=person))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_the_reminder_window_and_once(db, world) -> None:
    starts = at(2026, 12, 10, 9, 0)
    reception = await make(db, world, "ZS001", "GS0071", starts=starts)
    person = await resident(db, 9420)
    async with db.session() as session:
        await svc.sign_up(session, reception_id=reception, resident_id=person, phone=None, now=at(2026, 12, 2))
        await session.commit()
        assert await svc.due_reminders(session, now=at(2026, 12, 9, 17, 59, 59), policy=POLICY) == []
        assert await svc.due_reminders(session, now=at(2026, 12, 9, 18, 0), policy=POLICY) == [reception]
        assert await svc.due_reminders(session, now=at(2026, 12, 10, 9, 0), policy=POLICY) == []  # started
        assert await svc.remind(session, reception_id=reception, now=at(2026, 12, 9, 18, 5), policy=POLICY) == 1
        assert await svc.remind(session, reception_id=reception, now=at(2026, 12, 9, 18, 6), policy=POLICY) is None
        await session.commit()
        assert await svc.due_reminders(session, now=at(2026, 12, 9, 20, 0), policy=POLICY) == []


async def test_past_refused_when_saving_and_who_may_schedule(db, world) -> None:
    stations, members = world
    now = at(2026, 12, 10, 9, 0)
    async with db.session() as session:
        with pytest.raises(ReceptionProblem, match="past"):
            await svc.schedule(session, who=Scheduler(telegram_id=1, member_id=members["GS0071"]),
                               station_id=stations["ZS001"], starts_at=now, ends_at=now + timedelta(hours=1),
                               topic="接待", capacity=None, now=now, policy=POLICY)
        with pytest.raises(ReceptionProblem, match="not_allowed"):  # not on duty at 七里河
            await svc.schedule(session, who=Scheduler(telegram_id=1, member_id=members["GS0071"]),
                               station_id=stations["ZS002"], starts_at=now + timedelta(days=1),
                               ends_at=now + timedelta(days=1, hours=1), topic="接待", capacity=None, now=now,
                               policy=POLICY)
        # a coordinator of 兰州市/七里河区 covers that station only; an admin every station
        region = Scheduler(telegram_id=2, staff=True, scopes=(Scope(ScopeKind.region, "甘肃省/兰州市/七里河区"),))
        assert [s.id for s in await svc.stations_for(session, region)] == [stations["ZS002"]]
        sector = Scheduler(telegram_id=3, staff=True, scopes=(Scope(ScopeKind.sector, "九三学社"),))  # 范国's
        assert {s.id for s in await svc.stations_for(session, sector)} == {stations["ZS001"], stations["ZS099"]}
        admin = Scheduler(telegram_id=4, staff=True, scopes=None)
        assert len(await svc.stations_for(session, admin)) == 3
        # a coordinator's day is held by the station's member on duty, who is told through the outbox
        (await session.get(Member, members["GS0058"])).telegram_id = 8058
        reception = await svc.schedule(session, who=region, station_id=stations["ZS002"],
                                       starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=1),
                                       topic="接待", capacity=None, now=now, policy=POLICY)
        assert reception.member_id == members["GS0058"] and reception.created_by == 2
        (notice,) = (await session.exec(select(OutboxMessage).where(OutboxMessage.key == f"rcp-new:{reception.id}"))).all()
        assert notice.chat_id == 8058 and "七里河区社区委员工作站" in notice.text
        # the coordinator changes its topic: the member on duty is told too
        await svc.edit(session, who=region, reception_id=reception.id, starts_at=reception.starts_at,
                       ends_at=reception.ends_at, topic="接待群众", capacity=None, now=now, policy=POLICY)
        (changed,) = (await session.exec(select(OutboxMessage).where(
            OutboxMessage.key.startswith(f"rcp-edit:{reception.id}:"), OutboxMessage.chat_id == 8058))).all()
        assert "政协办公室修改了您的接待日" in changed.text and "接待群众" in changed.text


async def test_the_last_seats_taken_at_once_are_taken_once(db, world) -> None:
    """Twelve residents press 报名 at the same moment for a day with five seats: five get one."""
    reception = await make(db, world, "ZS001", "GS0071", starts=at(2026, 12, 9, 9), capacity=5)
    people = [await resident(db, 9500 + i) for i in range(12)]
    now = at(2026, 12, 2, 9)

    async def attempt(person: int) -> str:
        async with db.session() as session:
            try:
                await svc.sign_up(session, reception_id=reception, resident_id=person, phone=None, now=now)
            except ReceptionProblem as problem:
                await session.rollback()
                return problem.code
            await session.commit()
            return "ok"

    outcomes = await asyncio.gather(*(attempt(p) for p in people))
    assert sorted(outcomes) == ["full"] * 7 + ["ok"] * 5
    async with db.session() as session:
        assert await svc.active_signups(session, reception) == 5
    # the same resident twice at once: one sign-up
    other = await make(db, world, "ZS001", "GS0071", starts=at(2026, 12, 10, 9))

    async def twice() -> str:
        async with db.session() as session:
            try:
                await svc.sign_up(session, reception_id=other, resident_id=people[0], phone=None, now=now)
            except ReceptionProblem as problem:
                await session.rollback()
                return problem.code
            await session.commit()
            return "ok"

    assert sorted(await asyncio.gather(twice(), twice())) == ["already", "ok"]


async def test_one_members_overlapping_days_are_refused_naming_the_other(db, world) -> None:
    """Two overlapping days of one member would count the same residents twice: refused when scheduling or
    moving one, at the same station or another; touching ends, a cancelled day and another member's are not."""
    stations, members = world
    first = await make(db, world, "ZS001", "GS0071", starts=at(2026, 12, 7, 9))  # 09:00–11:00
    me = Scheduler(telegram_id=1, member_id=members["GS0071"])

    async def schedule(code: str, start: datetime, end: datetime, who: Scheduler = me):
        async with db.session() as session:
            reception = await svc.schedule(session, who=who, station_id=stations[code], starts_at=start, ends_at=end,
                                           topic="接待", capacity=None, now=at(2026, 12, 1, 9), policy=POLICY)
            await session.commit()
            return reception.id

    for code, start, end in (("ZS001", at(2026, 12, 7, 9, 30), at(2026, 12, 7, 10, 30)),
                             ("ZS099", at(2026, 12, 7, 10, 59), at(2026, 12, 7, 12)),
                             ("ZS001", at(2026, 12, 7, 8), at(2026, 12, 7, 12))):
        with pytest.raises(ReceptionProblem) as refused:
            await schedule(code, start, end)
        assert refused.value.code == "overlap"
        assert refused.value.values == {"member": "范国", "station": "城关区街道委员工作室",
                                        "when": "12月7日（周一）09:00–11:00", "id": first}
    assert "城关区街道委员工作室，12月7日（周一）09:00–11:00（编号" in svc_text(refused.value)
    # touching ends, and another member's day at the same time: fine
    touching = await schedule("ZS099", at(2026, 12, 7, 11), at(2026, 12, 7, 12))
    await make(db, world, "ZS002", "GS0058", starts=at(2026, 12, 7, 9))
    # moving a day: onto another refused, within its own span fine
    async with db.session() as session:
        with pytest.raises(ReceptionProblem, match="overlap"):
            await svc.edit(session, who=me, reception_id=touching, starts_at=at(2026, 12, 7, 10),
                           ends_at=at(2026, 12, 7, 12), topic="接待", capacity=None, now=at(2026, 12, 1, 9),
                           policy=POLICY)
        await session.rollback()
        await svc.edit(session, who=me, reception_id=first, starts_at=at(2026, 12, 7, 9, 30),
                       ends_at=at(2026, 12, 7, 11), topic="接待", capacity=None, now=at(2026, 12, 1, 9), policy=POLICY)
        await session.commit()
        # a cancelled day frees its time
        await svc.cancel(session, who=me, reception_id=first, now=at(2026, 12, 1, 9), policy=POLICY)
        await session.commit()
    assert await schedule("ZS001", at(2026, 12, 7, 9, 30), at(2026, 12, 7, 10, 30))


async def test_two_overlapping_schedulings_at_once_save_one(db, world, monkeypatch) -> None:
    """Both look before either writes (a pause after the look widens the window): the member's row is locked
    before the look, so the second waits for the first's commit and is refused — on SQLite, whose reads start
    no transaction, as on PostgreSQL."""
    stations, members = world
    me = Scheduler(telegram_id=1, member_id=members["GS0071"])
    real = svc.overlapping

    async def slow(*args, **kwargs):
        found = await real(*args, **kwargs)
        await asyncio.sleep(0.3)
        return found

    monkeypatch.setattr(svc, "overlapping", slow)

    async def schedule(start: datetime) -> str:
        async with db.session() as session:
            try:
                await svc.schedule(session, who=me, station_id=stations["ZS001"], starts_at=start,
                                   ends_at=start + timedelta(hours=2), topic="接待", capacity=None,
                                   now=at(2026, 12, 1, 9), policy=POLICY)
            except ReceptionProblem as problem:
                await session.rollback()
                return problem.code
            await session.commit()
            return "ok"

    outcomes = await asyncio.gather(schedule(at(2026, 12, 7, 9)), schedule(at(2026, 12, 7, 9, 30)))
    assert sorted(outcomes) == ["ok", "overlap"]
    async with db.session() as session:
        assert len((await session.exec(select(Reception).where(Reception.member_id == members["GS0071"]))).all()) == 1


def svc_text(problem: ReceptionProblem) -> str:
    from bot.texts import t

    return t(f"rcp_problem_{problem.code}", **problem.values)


def test_the_reminder_is_promised_until_its_moment_and_says_today_or_tomorrow_by_the_local_date() -> None:
    starts = at(2026, 12, 8, 0, 30).astimezone(UTC)  # 16:30 UTC on the 7th
    assert POLICY.reminds_later(starts, at(2026, 12, 7, 17, 59, 59))
    assert not POLICY.reminds_later(starts, at(2026, 12, 7, 18, 0))
    assert POLICY.day_word(starts, at(2026, 12, 7, 23, 59, 59)) == "明天"
    assert POLICY.day_word(starts, at(2026, 12, 8, 0, 0)) == "今天"  # still the 7th in UTC


async def test_a_catch_up_reminder_on_the_day_itself_says_today(db, world) -> None:
    stations, members = world
    starts = at(2026, 12, 7, 8, 0)
    reception = await make(db, world, "ZS001", "GS0071", starts=starts, now=at(2026, 12, 7, 6, 55))
    async with db.session() as session:
        (await session.get(Member, members["GS0071"])).telegram_id = 8071
        await session.commit()
        assert await svc.due_reminders(session, now=at(2026, 12, 7, 6, 56), policy=POLICY) == [reception]
        assert await svc.remind(session, reception_id=reception, now=at(2026, 12, 7, 6, 56), policy=POLICY) == 1
        (row,) = (await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == 8071))).all()
        assert "今天您在 城关区街道委员工作室" in row.text and "明天" not in row.text


async def test_a_sign_up_to_a_cancelled_day_is_left_as_it_was(db, world) -> None:
    reception = await make(db, world, "ZS001", "GS0071", starts=at(2026, 12, 9, 9))
    person = await resident(db, 9430)
    _, members = world
    now = at(2026, 12, 2, 9)
    async with db.session() as session:
        await svc.sign_up(session, reception_id=reception, resident_id=person, phone=None, now=now)
        await svc.cancel(session, who=Scheduler(telegram_id=1, member_id=members["GS0071"]), reception_id=reception,
                         now=now, policy=POLICY)
        await session.commit()
        with pytest.raises(ReceptionProblem, match="day_cancelled"):
            await svc.cancel_signup(session, reception_id=reception, resident_id=person, now=now)
        row = (await session.exec(select(ReceptionSignup).where(ReceptionSignup.resident_id == person))).one()
        assert row.status.value == "active" and row.cancelled_at is None


async def test_staff_choose_among_several_members_on_duty_and_a_member_holds_their_own(db, world) -> None:
    from models import StationMember

    stations, members = world
    async with db.session() as session:  # 易英 also on duty at 城关区, after 范国, and bound; 范国 is not
        session.add(StationMember(station_id=stations["ZS001"], member_id=members["GS0058"], position=1))
        (await session.get(Member, members["GS0058"])).telegram_id = 8058
        await session.commit()
        admin = Scheduler(telegram_id=4, staff=True, scopes=None)
        assert [m.id for m in await svc.choosable_members(session, admin, stations["ZS001"])] == [
            members["GS0058"], members["GS0071"]]  # bound first
        assert await svc.choosable_members(session, admin, stations["ZS002"]) == []  # one member on duty
        on_duty = Scheduler(telegram_id=8071, member_id=members["GS0071"], staff=True, scopes=None)
        assert await svc.choosable_members(session, on_duty, stations["ZS001"]) == []  # holds their own
        start = at(2026, 12, 9, 9)
        reception = await svc.schedule(session, who=admin, station_id=stations["ZS001"], starts_at=start,
                                       ends_at=start + timedelta(hours=1), topic="接待", capacity=None,
                                       now=at(2026, 12, 1, 9), policy=POLICY, member_id=members["GS0071"])
        assert reception.member_id == members["GS0071"]
        with pytest.raises(ReceptionProblem, match="member_not_on_duty"):  # 易英 is not on duty at ZS099
            await svc.schedule(session, who=admin, station_id=stations["ZS099"], starts_at=start,
                               ends_at=start + timedelta(hours=1), topic="接待", capacity=None,
                               now=at(2026, 12, 1, 9), policy=POLICY, member_id=members["GS0058"])
