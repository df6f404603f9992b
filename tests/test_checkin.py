"""Check-in at the door of a reception day: tokens, the window at its boundaries, once per account, the
burst flag, the card sent once, and the activity the day becomes (bot/services/checkin.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.services import checkin as svc
from bot.services.activities import ActivityInput, ActivityPolicy
from bot.services.checkin import CardProblem, CheckinOutcome, CheckinPolicy
from bot.services.outbox import Button
from models import Activity, Member, OutboxMessage, Reception, ReceptionCheckin, ReceptionStatus, Resident
from tests.support.receptions import reception_day, residents

TZ = ZoneInfo("Asia/Shanghai")
POLICY = CheckinPolicy(opens_before=timedelta(minutes=60), closes_after=timedelta(minutes=120), burst=30, tz=TZ)
START = datetime(2026, 12, 8, 9, 0, tzinfo=TZ)
END = datetime(2026, 12, 8, 11, 30, tzinfo=TZ)
SECOND = timedelta(seconds=1)
SUMMARY_EDIT = "接待群众，了解校车需求，已联系教育局。"


async def check(db, token: str, resident_id: int, now: datetime) -> svc.CheckinResult:
    async with db.session() as session:
        result = await svc.check_in(session, token=token, resident_id=resident_id, now=now, policy=POLICY)
        await session.commit()
    return result


async def count(db, reception_id: int) -> int:
    async with db.session() as session:
        return await svc.checkin_count(session, reception_id)


def test_the_payload_is_c_and_a_token_of_at_least_80_bits() -> None:
    token = "A" * 22
    assert svc.parse_checkin_payload(svc.checkin_payload(token)) == token
    for bad in ("m_" + token, "c_short", "c_" + "A" * 44, "c_" + "好" * 22, token, "c_" + "A" * 21 + ":"):
        assert svc.parse_checkin_payload(bad) is None
    assert len(svc.hash_token(token)) == 64 and svc.TOKEN_BYTES * 8 >= 80


async def test_only_the_hash_is_kept_and_a_new_token_replaces_the_old(db, roster) -> None:
    day = await reception_day(db, starts=START, ends=END)
    async with db.session() as session:
        reception = await session.get(Reception, day.reception_id)
        assert reception.checkin_token_hash == svc.hash_token(day.token) != day.token
        newer = await svc.issue_token(session, reception=reception, now=START)
        await session.commit()
    (resident,) = await residents(db, 1)
    assert (await check(db, day.token, resident, START)).outcome == CheckinOutcome.invalid
    assert (await check(db, newer, resident, START)).outcome == CheckinOutcome.counted


async def test_the_window_at_its_boundaries(db, roster) -> None:
    day = await reception_day(db, starts=START, ends=END)
    people = await residents(db, 3)
    early = await check(db, day.token, people[0], START - timedelta(minutes=60) - SECOND)
    assert early.outcome == CheckinOutcome.not_open and early.opens_at == START - timedelta(minutes=60)
    assert (await check(db, day.token, people[0], START - timedelta(minutes=60))).outcome == CheckinOutcome.counted
    assert (await check(db, day.token, people[1], END + timedelta(minutes=120) - SECOND)).outcome == "counted"
    assert (await check(db, day.token, people[2], END + timedelta(minutes=120))).outcome == CheckinOutcome.closed
    assert await count(db, day.reception_id) == 2


async def test_once_per_account_and_nothing_for_forged_or_cancelled(db, roster) -> None:
    day = await reception_day(db, starts=START, ends=END)
    other = await reception_day(db, starts=START + timedelta(days=1), ends=END + timedelta(days=1),
                                topic="另一场")
    (resident,) = await residents(db, 1)
    assert (await check(db, day.token, resident, START)).outcome == CheckinOutcome.counted
    again = await check(db, day.token, resident, START + timedelta(minutes=5))
    assert again.outcome == CheckinOutcome.already and again.view.id == day.reception_id
    assert (await check(db, "x" * 22, resident, START)).outcome == CheckinOutcome.invalid
    forged = await check(db, day.token[:-1] + ("A" if day.token[-1] != "A" else "B"), resident, START)
    assert forged.outcome == CheckinOutcome.invalid and forged.view is None  # nothing said about any event
    # another day's token counts at that day only, in its own window
    assert (await check(db, other.token, resident, START)).outcome == CheckinOutcome.not_open
    async with db.session() as session:
        reception = await session.get(Reception, other.reception_id)
        reception.status = ReceptionStatus.cancelled
        await session.commit()
    cancelled = await check(db, other.token, resident, START + timedelta(days=1))
    assert cancelled.outcome == CheckinOutcome.invalid and cancelled.view is None
    assert await count(db, day.reception_id) == 1 and await count(db, other.reception_id) == 0


@pytest.mark.parametrize("arrivals, flagged", [(30, False), (31, True)])
async def test_more_than_the_burst_within_a_minute_flags_the_day(db, roster, arrivals, flagged) -> None:
    day = await reception_day(db, starts=START, ends=END)
    people = await residents(db, arrivals + 1)
    results = [await check(db, day.token, p, START + n * timedelta(seconds=1.9)) for n, p in enumerate(people[:-1])]
    assert all(r.outcome == CheckinOutcome.counted for r in results)
    assert sum(r.flagged for r in results) == (1 if flagged else 0)
    async with db.session() as session:
        reception = await session.get(Reception, day.reception_id)
    assert (reception.burst_flagged_at is not None) is flagged
    # the same number spread over more than a minute is no burst
    if not flagged:
        late = await check(db, day.token, people[-1], START + timedelta(seconds=61))
        assert late.outcome == CheckinOutcome.counted and not late.flagged


def render(card: svc.ReceptionCard) -> tuple[str, list[list[Button]]]:
    return f"card {card.view.station.name} {card.checkins}", [[Button("补充并提交", callback_data=f"ck:card:{card.view.id}")]]


async def test_the_card_goes_once_when_check_in_has_closed(db, roster) -> None:
    day = await reception_day(db, starts=START, ends=END)
    async with db.session() as session:
        member = await session.get(Member, day.member_id)
        member.telegram_id = 8021
        await session.commit()
    people = await residents(db, 2)
    for p in people:
        await check(db, day.token, p, START)

    async def stage(now: datetime) -> list[int]:
        async with db.session() as session:
            done = await svc.stage_cards(session, now=now, policy=POLICY, render=render)
            await session.commit()
        return done

    assert await stage(END + timedelta(minutes=120) - SECOND) == []
    assert await stage(END + timedelta(minutes=120)) == [day.reception_id]
    assert await stage(END + timedelta(hours=5)) == []
    async with db.session() as session:
        (row,) = (await session.exec(select(OutboxMessage))).all()
        reception = await session.get(Reception, day.reception_id)
    assert row.chat_id == 8021 and row.key == f"reception-card:{day.reception_id}" and "2" in row.text
    assert reception.card_sent_at is not None


async def test_the_day_becomes_one_activity_with_verified_people(db, roster) -> None:
    day = await reception_day(db, starts=START, ends=END)
    for p in await residents(db, 3):
        await check(db, day.token, p, START)
    policy = ActivityPolicy(kind_points={"reception_day": 3.0}, grace_days=10)
    data = ActivityInput(kind="other", activity_date=date(2020, 1, 1), place="别处", people=99,
                         summary="接待群众，了解校车需求。")
    closed = END + timedelta(minutes=120)

    async def save(now: datetime, walk_ins: int = 2) -> Activity:
        async with db.session() as session:
            activity = await svc.save_reception_activity(
                session, member_id=day.member_id, reception_id=day.reception_id, data=data, walk_ins=walk_ins,
                policy=policy, checkin_policy=POLICY, today=closed.date(), now=now)
            await session.commit()
            return activity

    with pytest.raises(CardProblem) as early:
        await save(closed - SECOND)
    assert early.value.code == "too_early"
    with pytest.raises(CardProblem) as bad:
        await save(closed, walk_ins=-1)
    assert bad.value.code == "walk_ins_range"
    activity = await save(closed)
    # kind, date and place are the day's own, whatever the draft said
    assert (activity.kind, activity.activity_date, activity.people, activity.verified_people) == (
        "reception_day", date(2026, 12, 8), 5, 3)
    assert activity.place == "合作市坚木克尔街委员工作站" and activity.reception_id == day.reception_id
    with pytest.raises(CardProblem) as twice:
        await save(closed + SECOND)
    assert twice.value.code == "saved"
    async with db.session() as session:
        reception = await session.get(Reception, day.reception_id)
        activities = (await session.exec(select(func.count()).select_from(Activity))).one()
        checkins = (await session.exec(select(func.count()).select_from(ReceptionCheckin))).one()
    assert reception.activity_id == activity.id and reception.status == ReceptionStatus.held
    assert activities == 1 and checkins == 3
    # an edit keeps at least the people who checked in
    from bot.services.activities import ActivityProblem, update_activity

    for people, refused in ((2, True), (3, False)):
        edited = ActivityInput(kind="reception_day", activity_date=date(2026, 12, 8), place=activity.place,
                               people=people, summary=SUMMARY_EDIT)
        async with db.session() as session:
            if refused:
                with pytest.raises(ActivityProblem) as below:
                    await update_activity(session, member_id=day.member_id, activity_id=activity.id, data=edited,
                                          policy=policy, today=closed.date(), now=closed)
                assert below.value.code == "people_below_verified" and below.value.detail["verified"] == 3
            else:
                await update_activity(session, member_id=day.member_id, activity_id=activity.id, data=edited,
                                      policy=policy, today=closed.date(), now=closed)
                await session.commit()
    # kind, date and place are the day's: an edit of any of them is refused, and nothing changes
    for change in ({"kind": "visit"}, {"activity_date": date(2026, 12, 7)}, {"place": "别的社区"}):
        moved = ActivityInput(**{"kind": "reception_day", "activity_date": date(2026, 12, 8), "place": activity.place,
                                 "people": 6, "summary": SUMMARY_EDIT, **change})
        async with db.session() as session:
            with pytest.raises(ActivityProblem) as fixed:
                await update_activity(session, member_id=day.member_id, activity_id=activity.id, data=moved,
                                      policy=ActivityPolicy(kind_points={"reception_day": 3.0, "visit": 2.0},
                                                            grace_days=10), today=closed.date(), now=closed)
            assert fixed.value.code == "reception_fixed", change
    async with db.session() as session:
        kept = await session.get(Activity, activity.id)
    assert (kept.kind, kept.activity_date, kept.place, kept.people, kept.verified_people) == (
        "reception_day", date(2026, 12, 8), "合作市坚木克尔街委员工作站", 3, 3)
    with pytest.raises(CardProblem) as other:
        async with db.session() as session:
            await svc.own_card(session, member_id=day.member_id + 1, reception_id=day.reception_id, now=closed,
                               policy=POLICY)
    assert other.value.code == "not_yours"


def test_the_poster_from_the_command_line(database_url, roster, tmp_path, capsys) -> None:
    import asyncio

    from PIL import Image

    from bot.cli import main
    from bot.db import Database
    from models import utcnow
    from tests.conftest import offline_settings

    async def setup() -> tuple[int, str]:
        database = Database(database_url)
        try:
            now = utcnow()
            day = await reception_day(database, starts=now + timedelta(days=1), ends=now + timedelta(days=1, hours=2))
            async with database.session() as session:
                return day.reception_id, (await session.get(Reception, day.reception_id)).checkin_token_hash
        finally:
            await database.dispose()

    async def token_hash(reception_id: int) -> str:
        database = Database(database_url)
        try:
            async with database.session() as session:
                return (await session.get(Reception, reception_id)).checkin_token_hash
        finally:
            await database.dispose()

    reception_id, before = asyncio.run(setup())
    settings = offline_settings(database_url, bot_username="lianxin_test_bot")
    out = tmp_path / "签到.png"
    assert main(["stations", "qr", "--reception", str(reception_id + 99), "--out", str(out)], settings=settings) == 1
    assert "没有编号为" in capsys.readouterr().err and not out.exists()
    assert main(["stations", "qr", "--reception", str(reception_id), "--out", str(tmp_path / "x.pdf")],
                settings=settings) == 1
    assert asyncio.run(token_hash(reception_id)) == before  # refused: the poster in use still works
    assert main(["stations", "qr", "--reception", str(reception_id), "--out", str(out)], settings=settings) == 0
    assert "已生成签到海报" in capsys.readouterr().out
    with Image.open(out) as image:
        assert image.size == (1748, 2480) and round(image.info["dpi"][0]) == 300  # A5 at 300 DPI
    assert asyncio.run(token_hash(reception_id)) not in (None, before)  # a new token: the old poster stops
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


async def test_a_request_after_check_in_goes_to_the_member_on_duty_for_a_day(db, roster) -> None:
    day = await reception_day(db, starts=START, ends=END)
    people = await residents(db, 2)
    await check(db, day.token, people[0], START)
    async with db.session() as session:
        telegram = {r.id: r.telegram_id for r in (await session.exec(select(Resident))).all()}

    async def via(resident_id: int, now: datetime) -> svc.RequestVia | None:
        async with db.session() as session:
            return await svc.request_via(session, reception_id=day.reception_id, telegram_id=telegram[resident_id],
                                         now=now, policy=POLICY)

    found = await via(people[0], START)
    assert (found.member_id, found.region_id, found.reception_id) == (day.member_id, day.region_id, day.reception_id)
    assert found.region_path.endswith("合作市") and found.station_name == "合作市坚木克尔街委员工作站"
    last = END + timedelta(minutes=120) + svc.REQUEST_AFTER_CLOSE
    assert await via(people[0], last - SECOND) is not None
    assert await via(people[0], last) is None  # long after the day
    assert await via(people[1], START) is None  # never checked in there
