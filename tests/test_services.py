"""Domain services on a real database, without Telegram: binding, standing and ranking, persistence."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.persistence import SQLPersistence
from bot.services.access import (
    BindOutcome,
    bind_member,
    hash_code,
    issue_invites,
    overview,
)
from bot.services.activities import (
    ActivityInput,
    ActivityPolicy,
    ActivityProblem,
    delete_activity,
    save_activity,
    standing,
    update_activity,
)
from bot.services.rules import Quarter
from bot.services.scopes import Committee, Scope
from models import ActivityGroup, InviteCode, Level, Member, Region, ScopeKind, utcnow
from tests.support.scopes import group_everywhere

KINDS = {"visit": 2.0, "inspection": 3.0, "other": 1.0}
LOCK = timedelta(minutes=60)


async def member_ids(db, *numbers: str) -> list[int]:
    async with db.session() as session:
        rows = dict((await session.exec(select(Member.number, Member.id).where(Member.number.in_(numbers)))).all())
    return [rows[n] for n in numbers]


async def test_codes_are_random_hashed_and_single_use(db, roster) -> None:
    async with db.session() as session:
        invites = (await issue_invites(session, ttl_days=30)).issued
        await session.commit()
    codes = [i.code for i in invites]
    assert len(codes) == 120 == len(set(codes))
    async with db.session() as session:
        hashes = set((await session.exec(select(InviteCode.code_hash))).all())
    assert hash_code(codes[0]) in hashes and codes[0] not in hashes
    # lower case and separators are tolerated when typed by hand
    code = codes[0]
    typed = f"{code[:4].lower()}-{code[4:8]} {code[8:]}"
    async with db.session() as session:
        first = await bind_member(session, telegram_id=1, code=typed, max_failures=5, lockout=LOCK)
        await session.commit()
    assert first.outcome is BindOutcome.bound
    async with db.session() as session:
        again = await bind_member(session, telegram_id=2, code=code, max_failures=5, lockout=LOCK)
    assert again.outcome is BindOutcome.used


async def test_one_code_used_twice_at_once_binds_once(db, roster) -> None:
    async with db.session() as session:
        (invite,) = (await issue_invites(session, ttl_days=30, numbers=["GS0009"])).issued
        await session.commit()

    async def attempt(telegram_id: int) -> BindOutcome:
        async with db.session() as session:
            result = await bind_member(session, telegram_id=telegram_id, code=invite.code, max_failures=5,
                                       lockout=LOCK)
            await session.commit()
            return result.outcome

    outcomes = await asyncio.gather(attempt(11), attempt(12))
    # exactly one binds; the other sees the code used or the member taken, depending on timing
    assert sorted(o.value for o in outcomes)[0] == "bound"
    assert sorted(o.value for o in outcomes)[1] in ("used", "member_taken")
    async with db.session() as session:
        bound = (await session.exec(select(Member.telegram_id).where(Member.number == "GS0009"))).one()
    assert bound in (11, 12)


async def test_reissuing_revokes_older_codes_and_skips_bound_members(db, roster) -> None:
    async with db.session() as session:
        (old,) = (await issue_invites(session, ttl_days=30, numbers=["GS0001"])).issued
        (new,) = (await issue_invites(session, ttl_days=30, numbers=["GS0001"], replace=True)).issued
        await session.commit()
    async with db.session() as session:
        assert (await bind_member(session, telegram_id=3, code=old.code, max_failures=5, lockout=LOCK)).outcome \
            is BindOutcome.invalid
        assert (await bind_member(session, telegram_id=3, code=new.code, max_failures=5, lockout=LOCK)).outcome \
            is BindOutcome.bound
        remaining = (await issue_invites(session, ttl_days=30)).issued
    assert "GS0001" not in {i.number for i in remaining} and len(remaining) == 119


async def test_inactive_member_cannot_bind(db, roster) -> None:
    async with db.session() as session:
        (invite,) = (await issue_invites(session, ttl_days=30, numbers=["GS0002"])).issued
        await session.exec(update(Member).where(Member.number == "GS0002").values(active=False))
        await session.commit()
        result = await bind_member(session, telegram_id=4, code=invite.code, max_failures=5, lockout=LOCK)
    assert result.outcome is BindOutcome.invalid


async def test_overview_scopes(db, roster) -> None:
    async with db.session() as session:
        everything = await overview(session)
        # the group on one committee (省·甘肃省), on each of its committees, and naming none (nobody)
        group = await overview(session, [Scope(ScopeKind.group, "第1界别活动组", Committee(Level.province, "甘肃省"))])
        whole_group = await overview(session, await group_everywhere(session, "第1界别活动组"))
        unresolved = await overview(session, [Scope(ScopeKind.group, "第1界别活动组")])
        region = await overview(session, [Scope(ScopeKind.region, "甘肃省/临夏回族自治州")])
        nothing = await overview(session, [])
        rows = (await session.exec(
            select(Member.level, Region.path).join(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
            .join(Region, Region.id == Member.region_id, isouter=True)
            .where(ActivityGroup.name == "第1界别活动组"))).all()
    in_group = len(rows)
    on_province = sum(1 for level, path in rows if (level, path) == (Level.province, "甘肃省"))
    assert everything.members == 120 and whole_group.members == in_group and 0 < in_group < 120
    assert group.members == on_province and 0 < on_province < in_group and unresolved.members == 0
    assert 0 < region.members < 120 and nothing.members == 0


def data(day: date, people: int = 5, kind: str = "visit", place: str = "祁连村") -> ActivityInput:
    return ActivityInput(kind=kind, activity_date=day, place=place, people=people, summary="一次联系活动的记录")


async def test_standing_counts_points_and_ties(db, roster) -> None:
    a, b, c = await member_ids(db, "GS0001", "GS0002", "GS0003")
    async with db.session() as session:
        committee = await session.get(Member, a)
        for mid in (a, b, c):
            await session.exec(update(Member).where(Member.id == mid).values(
                activity_group_id=1, level=committee.level, region_id=committee.region_id))
        await session.commit()
        day = date(2026, 11, 20)
        await save_activity(session, member_id=a, data=data(day, 30, "inspection"), policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=day)
        await save_activity(session, member_id=b, data=data(day, 1, "inspection"), policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=day)
        await save_activity(session, member_id=c, data=data(day, 1, "visit"), policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=day)
        st_a = await standing(session, member_id=a, quarter=Quarter(2026, 4), today=day, quarter_target=1,
                              year_target=40)
        st_b = await standing(session, member_id=b, quarter=Quarter(2026, 4), today=day, quarter_target=1,
                              year_target=40)
        st_c = await standing(session, member_id=c, quarter=Quarter(2026, 4), today=day, quarter_target=1,
                              year_target=40)
        st_c_q1 = await standing(session, member_id=c, quarter=Quarter(2026, 1), today=day, quarter_target=1,
                                 year_target=40)
    assert (st_a.rank, st_b.rank, st_c.rank) == (1, 1, 3)  # 3, 3 and 2 points: a tie shares first place
    assert st_a.peers == st_b.peers == st_c.peers
    assert st_a.quarter_met and st_a.year_people == 30 and not st_a.year_met
    assert st_a.expected_people == 36  # ceil(40 * 324 / 365)
    assert not st_a.on_pace
    assert st_c_q1.quarter_activities == 0 and not st_c_q1.quarter_met and st_c_q1.year_activities == 1


async def test_edit_window_and_soft_delete(db, roster) -> None:
    (mid,) = await member_ids(db, "GS0005")
    day = date(2026, 11, 20)
    now = utcnow()
    async with db.session() as session:
        activity = await save_activity(session, member_id=mid, data=data(day), policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=day, now=now)
        edited = await update_activity(
            session, member_id=mid, activity_id=activity.id, data=data(day, 9, "inspection"), policy=ActivityPolicy(kind_points=KINDS, grace_days=0, edit_window_days=7),
            today=day, now=now + timedelta(days=6, hours=23),
        )
        assert edited.people == 9 and edited.points == 3
        with pytest.raises(ActivityProblem) as locked:
            await delete_activity(session, member_id=mid, activity_id=activity.id, policy=ActivityPolicy(edit_window_days=7),
                                  now=now + timedelta(days=7))
        assert locked.value.code == "locked"
        (other,) = await member_ids(db, "GS0006")
        with pytest.raises(ActivityProblem) as foreign:
            await delete_activity(session, member_id=other, activity_id=activity.id, policy=ActivityPolicy(edit_window_days=7), now=now)
        assert foreign.value.code == "not_found"
        await delete_activity(session, member_id=mid, activity_id=activity.id, policy=ActivityPolicy(edit_window_days=7), now=now)
        st = await standing(session, member_id=mid, quarter=Quarter(2026, 4), today=day, quarter_target=1,
                            year_target=40)
    assert st.quarter_activities == 0 and st.year_points == 0


async def test_save_refuses_what_the_form_would(db, roster) -> None:
    (mid,) = await member_ids(db, "GS0007")
    today = date(2026, 4, 11)
    cases = [
        (data(date(2026, 3, 31)), "date_too_old_grace_over"),  # grace of 10 days is over on 04-11
        (data(date(2025, 12, 31)), "date_too_old_grace_over"),
        (data(date(2026, 4, 12)), "date_future"),
        (data(today, 0), "people_range"),
        (data(today, 5001), "people_range"),
        (ActivityInput("visit", today, "祁连村", 5, "短"), "summary_short"),
        (data(today, kind="dancing"), "kind_unknown"),
    ]
    within_grace = date(2026, 4, 5)
    async with db.session() as session:
        with pytest.raises(ActivityProblem) as problem:  # Q1 is still open: no word about a closed grace
            await save_activity(session, member_id=mid, data=data(date(2025, 12, 31)), policy=ActivityPolicy(kind_points=KINDS, grace_days=10),
                                today=within_grace)
        assert problem.value.code == "date_too_old"
        for case, code in cases:
            with pytest.raises(ActivityProblem) as problem:
                await save_activity(session, member_id=mid, data=case, policy=ActivityPolicy(kind_points=KINDS, grace_days=10), today=today)
            assert problem.value.code == code
        ok = await save_activity(session, member_id=mid, data=data(date(2026, 3, 31)), policy=ActivityPolicy(kind_points=KINDS, grace_days=10),
                                 today=date(2026, 4, 10))
    assert (ok.year, ok.quarter) == (2026, 1)


async def test_persistence_round_trip(db) -> None:
    store = SQLPersistence(db)
    await store.update_user_data(42, {"log_draft": {"nonce": "abc", "people": 12, "summary": "中文 <b>"}})
    await store.update_conversation("log_activity", (42, 42), 3)
    await store.update_conversation("log_activity", (7, 7), 1)
    await store.update_conversation("log_activity", (7, 7), None)
    fresh = SQLPersistence(db)  # as after a restart
    assert await fresh.get_user_data() == {42: {"log_draft": {"nonce": "abc", "people": 12, "summary": "中文 <b>"}}}
    assert await fresh.get_conversations("log_activity") == {(42, 42): 3}
    await fresh.update_user_data(42, {})
    assert await fresh.get_user_data() == {}
    assert await fresh.get_chat_data() == {} and await fresh.get_bot_data() == {}


async def test_lockout_lasts_an_hour_from_the_fifth_failure(db, roster) -> None:
    async with db.session() as session:
        (invite,) = (await issue_invites(session, ttl_days=30, numbers=["GS0012"])).issued
        await session.commit()
    start = utcnow()

    async def attempt(code: str, minutes: float) -> BindOutcome:
        async with db.session() as session:
            result = await bind_member(session, telegram_id=77, code=code, max_failures=5, lockout=LOCK,
                                       now=start + timedelta(minutes=minutes))
            await session.commit()
        return result.outcome

    # failures at 0, 10, 20, 30 and 50 minutes: the fifth, at 50, starts an hour's lock
    for minute in (0, 10, 20, 30, 50):
        assert await attempt("WRONGCODE", minute) is BindOutcome.invalid
    assert await attempt(invite.code, 65) is BindOutcome.locked  # the first failure aged out, still locked
    assert await attempt(invite.code, 109) is BindOutcome.locked
    assert await attempt(invite.code, 111) is BindOutcome.bound


async def test_rank_stays_within_one_committee_and_needs_points(db, roster) -> None:
    from models import Level

    a, b, c = await member_ids(db, "GS0001", "GS0002", "GS0003")
    async with db.session() as session:
        province = await session.get(Member, a)
        # b: same group, same committee; c: same group name but a city committee elsewhere
        await session.exec(update(Member).where(Member.id.in_([a, b])).values(
            activity_group_id=1, level=province.level, region_id=province.region_id))
        await session.exec(update(Member).where(Member.id == c).values(activity_group_id=1, level=Level.city))
        await session.commit()
        day = date(2026, 11, 20)
        await save_activity(session, member_id=c, data=data(day, 50, "inspection"), policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=day)
        await save_activity(session, member_id=b, data=data(day, 1, "visit"), policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=day)
        st_a = await standing(session, member_id=a, quarter=Quarter(2026, 4), today=day, quarter_target=1,
                              year_target=40)
        st_b = await standing(session, member_id=b, quarter=Quarter(2026, 4), today=day, quarter_target=1,
                              year_target=40)
    assert st_a.rank is None  # nothing logged: no rank, not "first of many zeros"
    assert st_b.rank == 1  # c's points are in another committee
    assert st_a.peers == st_b.peers


async def test_one_unit_of_work_a_failure_half_way_leaves_nothing(db, roster) -> None:
    """Services stage, the caller commits: an activity whose photo cannot be stored leaves no activity,
    no remembered place and no photo behind — and the form state staged with it is not written either."""
    from sqlalchemy.exc import IntegrityError

    from models import Activity, ActivityPhoto, BotState, ContactPoint

    (mid,) = await member_ids(db, "GS0008")
    day = date(2026, 11, 20)
    bad = ActivityInput("visit", day, "一个新的地点", 5, "走访了解情况", photos=[("file-1", None)])  # type: ignore[list-item]
    store = SQLPersistence(db)
    async with db.session() as session:
        points_before = len((await session.exec(select(ContactPoint.id))).all())
        await store.stage_form_state(session, user_id=8, user_data={}, conversation="log_activity", key=(8, 8),
                                     state="confirm")
        with pytest.raises(IntegrityError):
            await save_activity(session, member_id=mid, data=bad, policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=day)
            await session.commit()
    async with db.session() as session:
        assert (await session.exec(select(Activity.id))).all() == []
        assert (await session.exec(select(ActivityPhoto.id))).all() == []
        assert len((await session.exec(select(ContactPoint.id))).all()) == points_before
        assert (await session.exec(select(BotState.key))).all() == []
    # and the same input with a valid photo goes through in one commit
    good = ActivityInput("visit", day, "一个新的地点", 5, "走访了解情况", photos=[("file-1", "u-1")])
    async with db.session() as session:
        activity = await save_activity(session, member_id=mid, data=good, policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=day)
        await session.commit()
    async with db.session() as session:
        assert (await session.exec(select(ActivityPhoto.activity_id))).all() == [activity.id]


async def test_bind_failure_is_staged_not_committed(db, roster) -> None:
    """A failed attempt is written only by the caller's commit: a rolled-back use case counts no failure."""
    from models import BindAttempt

    async with db.session() as session:
        result = await bind_member(session, telegram_id=91, code="WRONGCODE", max_failures=5, lockout=LOCK)
        assert result.outcome is BindOutcome.invalid
        await session.rollback()
    async with db.session() as session:
        assert (await session.exec(select(BindAttempt.id))).all() == []
        await bind_member(session, telegram_id=91, code="WRONGCODE", max_failures=5, lockout=LOCK)
        await session.commit()
    async with db.session() as session:
        assert len((await session.exec(select(BindAttempt.id))).all()) == 1


async def test_standing_peers_rank_and_figures_match_a_recount_for_every_member(db, roster) -> None:
    """/my's standing (one statement, `activities._STANDING`) for every member against a recount from the
    activities themselves: peers are the same level and region (NULL regions alike), then the same activity
    group or, without one, the sector's members without one; active members and the member. Members without a
    group, without a region and inactive ones are mixed in."""
    from models import Activity

    day = date(2026, 11, 20)
    async with db.session() as session:
        ids = list((await session.exec(select(Member.id).order_by(Member.id))).all())
        await session.exec(update(Member).where(Member.id.in_(ids[0::4])).values(activity_group_id=None))
        await session.exec(update(Member).where(Member.id.in_(ids[1::5] + ids[0::8])).values(region_id=None))
        await session.exec(update(Member).where(Member.id.in_(ids[2::7])).values(active=False))
        await session.commit()
        for n, member_id in enumerate(ids[::3]):
            when = day - timedelta(days=60 * (n % 2))  # this quarter and the one before
            await save_activity(session, member_id=member_id, data=data(when, 1 + n % 7, "inspection" if n % 2 else "visit"),
                                policy=ActivityPolicy(kind_points=KINDS, grace_days=60), today=day)
        await session.commit()
        members = (await session.exec(select(Member.id, Member.level, Member.region_id, Member.activity_group_id,
                                             Member.sector_id, Member.active))).all()
        groups = dict((await session.exec(select(ActivityGroup.id, ActivityGroup.name))).all())
        activities = (await session.exec(select(Activity.member_id, Activity.quarter, Activity.people, Activity.points)
                                         .where(Activity.year == 2026, Activity.deleted_at.is_(None)))).all()
        results = {m: await standing(session, member_id=m, quarter=Quarter(2026, 4), today=day, quarter_target=1,
                                     year_target=40) for m in ids}
    points = {m: 0.0 for m in ids}
    for member_id, _, _, earned in activities:
        points[member_id] += earned
    by_id = {m.id: m for m in members}
    kinds = set()
    for me in members:
        peers = [p.id for p in members
                 if p.level == me.level and p.region_id == me.region_id and (p.active or p.id == me.id)
                 and (p.activity_group_id == me.activity_group_id if me.activity_group_id is not None
                      else p.activity_group_id is None and p.sector_id == me.sector_id)]
        rank = 1 + sum(points[p] > points[me.id] for p in peers) if points[me.id] > 0 else None
        mine = [a for a in activities if a.member_id == me.id]
        st = results[me.id]
        assert (st.peers, st.rank) == (len(peers), rank), me
        assert st.peer_label == (groups[me.activity_group_id] if me.activity_group_id is not None else None)
        assert (st.quarter_activities, st.quarter_people) == (len([a for a in mine if a.quarter == 4]),
                                                              sum(a.people for a in mine if a.quarter == 4))
        assert (st.year_activities, st.year_people) == (len(mine), sum(a.people for a in mine))
        assert st.year_points == pytest.approx(points[me.id])
        kinds.add((me.activity_group_id is None, me.region_id is None, by_id[me.id].active, rank is None))
    assert len(kinds) >= 10  # the mixture above really is mixed
