"""The case lifecycle on a real database (SQLite and PostgreSQL): the transition table, intake limits, exactly-once duty."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import col, select

import bot.services.cases as cases_service
import bot.services.lifecycle as lifecycle
from bot.services.cases import (
    CaseInput,
    CasePolicy,
    accept_case,
    add_message,
    answer_case,
    assign_case,
    case_detail,
    cases_for_member,
    cases_for_resident,
    cases_for_staff,
    close_expired,
    create_case,
    decline_case,
    get_case,
    link_payload,
    mask_phone,
    member_for_link,
    member_link_token,
    parse_link_payload,
    resolve_case,
    transfer_candidates,
    transfer_case,
    transition,
    visible_to,
)
from bot.services.lifecycle import HANDLER_OPEN, SYSTEM, TRANSITIONS, Action, Actor, CaseNotAllowed, CaseProblem, Role
from bot.services.routing import load_routing_table
from bot.services.scopes import Scope
from models import Activity, Case, CaseEvent, CaseSkip, CaseStatus, Member, Region, Resident, ScopeKind, Sector

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
ADMIN = 9000001
DISTRICT = "甘肃省/兰州市/城关区"
POLICY = CasePolicy()
TEXT = "学校门口的道路积水严重，孩子们每天上学都要绕远路"


async def bind_all(db) -> None:
    async with db.session() as session:
        await session.exec(update(Member).values(telegram_id=Member.id + 700000))
        await session.commit()


@pytest.fixture
async def world(db, roster):
    """Every sample member bound, two residents, the default routing table."""
    await bind_all(db)
    async with db.session() as session:
        residents = [Resident(telegram_id=11), Resident(telegram_id=12)]
        session.add_all(residents)
        await session.commit()
        table = await load_routing_table(session)
        district = (await session.exec(select(Region.id).where(Region.path == DISTRICT))).one()
    return {"db": db, "table": table, "r1": residents[0].id, "r2": residents[1].id, "district": district}


async def new_case(w, *, resident: str = "r1", category: str = "教育", text: str = TEXT, now: datetime = T0,
                   **kw) -> Case:
    async with w["db"].session() as session:
        intake = await create_case(
            session, data=CaseInput(category=category, description=text, region_id=w["district"],
                                    place_text="城关区某小学", **kw.pop("data", {})),
            table=w["table"], now=now, resident_id=w[resident], admin_ids=[ADMIN], **kw,
        )
        await session.commit()
        return intake.case


async def events_of(db, case_id: int) -> list[CaseEvent]:
    async with db.session() as session:
        return list((await session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )).all())


async def load_is_consistent(db) -> None:
    """Member.open_cases equals the cases actually with each member."""
    async with db.session() as session:
        counted = dict((await session.exec(
            select(Case.member_id, func.count()).where(col(Case.status).in_(list(HANDLER_OPEN)))
            .group_by(Case.member_id)
        )).all())
        kept = dict((await session.exec(select(Member.id, Member.open_cases).where(Member.open_cases != 0))).all())
    assert kept == counted


# --- the table -----------------------------------------------------------------------------------------


async def test_every_role_state_action(world) -> None:
    """Allowed moves succeed and write one timeline row; every other one is refused and writes nothing."""
    db = world["db"]
    case = await new_case(world)
    handler = case.member_id
    async with db.session() as session:
        other = (await session.exec(
            select(Member.id).where(Member.id != handler, Member.active.is_(True)).order_by(Member.id)
        )).first()
    actors = {
        Role.resident: Actor.resident(world["r1"]),
        Role.member: Actor.member(handler),
        Role.coordinator: Actor.coordinator(77, [Scope(ScopeKind.region, "甘肃省/兰州市")]),
        Role.admin: Actor.admin(ADMIN),
        Role.system: SYSTEM,
    }
    allowed = refused = 0
    for state in CaseStatus:
        for role, actor in actors.items():
            for action in Action:
                async with db.session() as session:
                    resolved_at = T0 - timedelta(days=10 if action == "close" else 1)
                    member = None if state in (CaseStatus.new, CaseStatus.unassigned) else handler
                    await session.exec(update(Case).where(Case.id == case.id)
                                       .values(status=state, member_id=member, resolved_at=resolved_at))
                    row = await session.get(Case, case.id)
                    await session.refresh(row)
                    before = (await session.exec(select(func.count()).select_from(CaseEvent)
                                                 .where(CaseEvent.case_id == case.id))).one()
                    expected = TRANSITIONS.get((state, role, action))
                    kwargs = dict(note="理由：不在本人联系范围", to_member_id=other, result="已协调相关部门处理完毕",
                                  rating=4)
                    if expected is None:
                        with pytest.raises(CaseNotAllowed) as caught:
                            await transition(session, case=row, actor=actor, action=action, now=T0, **kwargs)
                        assert caught.value.code == "not_allowed"
                        refused += 1
                    else:
                        event = await transition(session, case=row, actor=actor, action=action, now=T0, **kwargs)
                        assert (event.from_status, event.to_status) == (state.value, expected.value)
                        stored = (await session.exec(select(Case.status).where(Case.id == case.id))).one()
                        assert CaseStatus(stored) is expected and row.status is expected
                        allowed += 1
                    after = (await session.exec(select(func.count()).select_from(CaseEvent)
                                                .where(CaseEvent.case_id == case.id))).one()
                    assert after - before == (0 if expected is None else 1), (state, role, action)
                    await session.rollback()
    assert allowed == len(TRANSITIONS) and refused == len(CaseStatus) * len(actors) * len(Action) - allowed


async def test_only_the_case_s_own_people_may_move_it(world) -> None:
    db = world["db"]
    case = await new_case(world)
    async with db.session() as session:
        row = await session.get(Case, case.id)
        stranger = (await session.exec(select(Member.id).where(Member.id != case.member_id))).first()
        for actor in (
            Actor.member(stranger),
            Actor.coordinator(77, [Scope(ScopeKind.region, "甘肃省/酒泉市"), Scope(ScopeKind.sector, "农业界")]),
        ):
            with pytest.raises(CaseNotAllowed) as caught:
                await transition(session, case=row, actor=actor, action="accept" if actor.role is Role.member
                                 else "assign", to_member_id=stranger, now=T0)
            assert caught.value.code == "not_yours"
        await session.exec(update(Case).where(Case.id == case.id).values(status=CaseStatus.resolved, resolved_at=T0))
        await session.refresh(row)
        with pytest.raises(CaseNotAllowed):
            await answer_case(session, case=row, actor=Actor.resident(world["r2"]), solved=True, rating=5, now=T0)
        await session.rollback()
    assert [e.action for e in await events_of(db, case.id)] == ["submit", "route"]


async def test_actions_check_their_input(world) -> None:
    db = world["db"]
    case = await new_case(world)
    member = case.member_id
    async with db.session() as session:
        row = await session.get(Case, case.id)
        for reason in (None, "   "):
            with pytest.raises(CaseProblem) as caught:
                await decline_case(session, case=row, member_id=member, reason=reason, table=world["table"], now=T0)
            assert caught.value.code == "note_required"
        await accept_case(session, case=row, member_id=member, now=T0)
        for result, people, code in (("", None, "result_required"), ("已办好", 0, "people_range")):
            with pytest.raises(CaseProblem) as caught:
                await resolve_case(session, case=row, member_id=member, result=result, people=people, now=T0)
            assert caught.value.code == code
        await resolve_case(session, case=row, member_id=member, result="已协调修好排水", people=3, now=T0)
        for rating in (None, 0, 6):
            with pytest.raises(CaseProblem) as caught:
                await answer_case(session, case=row, actor=Actor.resident(world["r1"]), solved=True, rating=rating,
                                  now=T0)
            assert caught.value.code == "rating_range"
        await session.commit()
    assert row.people == 3 and row.status is CaseStatus.resolved


# --- exactly once, all or nothing --------------------------------------------------------------------


async def resolved_case(world) -> Case:
    case = await new_case(world)
    async with world["db"].session() as session:
        row = await session.get(Case, case.id)
        await accept_case(session, case=row, member_id=row.member_id, now=T0)
        await resolve_case(session, case=row, member_id=row.member_id, result="已协调修好排水", people=2, now=T0)
        await session.commit()
    return row


async def test_confirm_makes_one_activity_even_when_pressed_twice(world) -> None:
    db = world["db"]
    case = await resolved_case(world)
    resident = Actor.resident(world["r1"])
    later = T0 + timedelta(days=2)
    async with db.session() as first, db.session() as second:
        one = await first.get(Case, case.id)
        two = await second.get(Case, case.id)  # loaded before the first press commits
        await answer_case(first, case=one, actor=resident, solved=True, rating=5, now=later)
        await first.commit()
        with pytest.raises(CaseProblem) as caught:
            await answer_case(second, case=two, actor=resident, solved=True, rating=4, now=later)
        assert caught.value.code == "changed"
        await second.rollback()
        with pytest.raises(CaseNotAllowed):  # the same object again: the table refuses confirmed -> confirm
            await answer_case(first, case=one, actor=resident, solved=True, rating=5, now=later)
    async with db.session() as session:
        activities = (await session.exec(select(Activity).where(Activity.case_id == case.id))).all()
        stored = await session.get(Case, case.id)
    assert len(activities) == 1
    activity = activities[0]
    assert (activity.member_id, activity.kind, activity.people, activity.points) == (case.member_id, "practical_help", 2, 3.0)
    assert activity.activity_date.isoformat() == "2026-11-22" and (activity.year, activity.quarter) == (2026, 4)
    assert case.number in activity.summary
    assert (stored.status, stored.solved, stored.rating) == (CaseStatus.confirmed, True, 5)
    assert [e.action for e in await events_of(db, case.id)] == ["submit", "route", "accept", "resolve", "confirm"]
    await load_is_consistent(db)


async def test_confirm_never_adds_a_second_activity_for_the_case(world) -> None:
    """The unique case_id holds even if an activity for the case already exists (e.g. restored data)."""
    db = world["db"]
    case = await resolved_case(world)
    async with db.session() as session:
        session.add(Activity(member_id=case.member_id, kind="practical_help", activity_date=T0.date(), year=2026,
                             quarter=4, place="城关区", people=1, summary="已有的记录", case_id=case.id))
        await session.commit()
        row = await session.get(Case, case.id)
        event = await answer_case(session, case=row, actor=Actor.resident(world["r1"]), solved=True, rating=3, now=T0)
        await session.commit()
        count = (await session.exec(select(func.count()).select_from(Activity).where(Activity.case_id == case.id))).one()
    assert count == 1 and "activity_id" not in (event.detail or {})


@pytest.mark.parametrize("broken", ["_keep_load", "_make_activity"])
async def test_a_failure_half_way_leaves_nothing_written(world, monkeypatch, broken) -> None:
    db = world["db"]
    case = await resolved_case(world) if broken == "_make_activity" else await new_case(world)
    state = case.status

    async def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cases_service, broken, boom)
    events_before = len(await events_of(db, case.id))
    with pytest.raises(RuntimeError):
        async with db.session() as session:
            row = await session.get(Case, case.id)
            if broken == "_keep_load":
                await accept_case(session, case=row, member_id=row.member_id, now=T0)
            else:
                await answer_case(session, case=row, actor=Actor.resident(world["r1"]), solved=True, rating=5, now=T0)
            await session.commit()  # never reached
    async with db.session() as session:
        stored = await session.get(Case, case.id)
        activities = (await session.exec(select(func.count()).select_from(Activity))).one()
    assert stored.status is state and stored.accepted_at == case.accepted_at
    assert len(await events_of(db, case.id)) == events_before and activities == 0
    await load_is_consistent(db)


# --- reopen and close ----------------------------------------------------------------------------------


async def test_unsolved_within_the_window_reopens_to_the_same_member_then_closes_after_it(world) -> None:
    db = world["db"]
    case = await resolved_case(world)
    resident = Actor.resident(world["r1"])
    async with db.session() as session:
        row = await session.get(Case, case.id)
        await answer_case(session, case=row, actor=resident, solved=False, rating=2, now=T0 + timedelta(days=7))
        await session.commit()
        assert (row.status, row.member_id, row.reopen_count, row.solved) == (
            CaseStatus.reopened, case.member_id, 1, False)
        await load_is_consistent(db)
        await resolve_case(session, case=row, member_id=row.member_id, result="再次疏通排水口", now=T0 + timedelta(days=8))
        await session.commit()
        with pytest.raises(CaseProblem) as caught:
            await transition(session, case=row, actor=resident, action="reopen", now=T0 + timedelta(days=16))
        assert caught.value.code == "reopen_expired"
        # too late to reopen: 未解决 closes it, recorded as unsolved
        await answer_case(session, case=row, actor=resident, solved=False, now=T0 + timedelta(days=16))
        await session.commit()
    assert (row.status, row.solved, row.closed_at) == (CaseStatus.closed, False, T0 + timedelta(days=16))
    await load_is_consistent(db)
    assert [e.action for e in await events_of(db, case.id)][-4:] == ["resolve", "reopen", "resolve", "close"]


async def test_unanswered_results_close_after_the_window(world) -> None:
    db = world["db"]
    case = await resolved_case(world)
    async with db.session() as session:
        assert await close_expired(session, now=T0 + timedelta(days=7)) == []
        closed = await close_expired(session, now=T0 + timedelta(days=7, minutes=1))
        await session.commit()
    assert [c.id for c in closed] == [case.id] and closed[0].status is CaseStatus.closed
    assert (await events_of(db, case.id))[-1].actor_kind == "system"


# --- intake ----------------------------------------------------------------------------------------------


async def test_numbers_are_per_year_readable_and_never_shared(world) -> None:
    first = await new_case(world)
    second = await new_case(world, text="小区路灯坏了半个月，晚上出行很不方便")
    assert (first.number, second.number) == ("2026-000001", "2026-000002")
    # 2026-12-31 16:30 UTC is already 2027 in Beijing
    new_year = await new_case(world, resident="r2", now=datetime(2026, 12, 31, 16, 30, tzinfo=UTC))
    assert new_year.number == "2027-000001"

    async def one(i: int) -> str:
        case = await new_case(world, resident="r2", text=f"第{i}件：楼道里堆满杂物，存在消防隐患{'！' * i}",
                              now=datetime(2027, 1, 2, 2, tzinfo=UTC), allow_duplicate=True)
        return case.number

    numbers = await asyncio.gather(one(1), one(2), one(3))
    assert sorted(numbers) == ["2027-000002", "2027-000003", "2027-000004"]


async def test_daily_limit_per_local_day(world) -> None:
    for i in range(5):
        await new_case(world, text=f"第{i}个问题：{'路灯水管井盖护栏绿化'[i * 2:i * 2 + 2]}需要维修，影响居民生活")
    with pytest.raises(CaseProblem) as caught:
        await new_case(world, text="第六个问题：垃圾清运不及时，气味很大")
    assert (caught.value.code, caught.value.detail) == ("daily_limit", {"count": 5, "limit": 5})
    # 16:30 UTC is 00:30 the next day in Beijing: a new day
    case = await new_case(world, text="第六个问题：垃圾清运不及时，气味很大", now=T0.replace(hour=16, minute=30))
    assert case.id is not None
    async with world["db"].session() as session:
        assert (await session.exec(select(func.count()).select_from(Case))).one() == 6


async def test_near_duplicate_is_held_with_a_question(world) -> None:
    first = await new_case(world)
    with pytest.raises(CaseProblem) as caught:
        await new_case(world, text=" 学校门口的道路积水严重！孩子们每天上学都要绕远路。", now=T0 + timedelta(hours=23))
    assert caught.value.code == "duplicate" and caught.value.detail["number"] == first.number
    # a day has passed, or the resident says 仍要提交, or it is another resident's
    await new_case(world, now=T0 + timedelta(hours=25))
    await new_case(world, now=T0 + timedelta(hours=26), allow_duplicate=True)
    await new_case(world, resident="r2")
    async with world["db"].session() as session:
        assert (await session.exec(select(func.count()).select_from(Case))).one() == 4


async def test_bad_requests_are_refused_before_anything_is_written(world) -> None:
    for kw, code in (
        ({"category": "天气"}, "category_unknown"),
        ({"text": "太短了"}, "description_length"),
        ({"text": "长" * 2001}, "description_length"),
        ({"data": {"photos": [("f", "u")] * 6}}, "photos_too_many"),
    ):
        with pytest.raises(CaseProblem) as caught:
            await new_case(world, **kw)
        assert caught.value.code == code
    async with world["db"].session() as session:
        assert (await session.exec(select(func.count()).select_from(Case))).one() == 0


# --- routing through the lifecycle ---------------------------------------------------------------------


async def test_decline_transfer_and_release_skip_the_member_and_keep_the_load(world) -> None:
    db = world["db"]
    table = world["table"]
    case = await new_case(world)
    first = case.member_id
    async with db.session() as session:
        row = await session.get(Case, case.id)
        intake = await decline_case(session, case=row, member_id=first, reason="不在我的联系范围", table=table, now=T0)
        second = intake.member_id
        assert second not in (None, first) and row.status is CaseStatus.routed
        candidates = await transfer_candidates(session, case=row, actor=Actor.member(second), table=table)
        assert first not in {c.member_id for c in candidates} and second not in {c.member_id for c in candidates}
        third = candidates[0].member_id
        await transfer_case(session, case=row, member_id=second, reason="该问题属于民进联系领域", to_member_id=third,
                            table=table, now=T0)
        await accept_case(session, case=row, member_id=third, now=T0)
        await transfer_case(session, case=row, member_id=third, reason="需要重新分派", table=table, now=T0)
        await session.commit()
        skipped = set((await session.exec(select(CaseSkip.member_id).where(CaseSkip.case_id == case.id))).all())
    assert skipped == {first, second, third} and row.member_id not in skipped
    assert [e.action for e in await events_of(db, case.id)] == [
        "submit", "route", "decline", "route", "transfer", "accept", "release", "route"]
    await load_is_consistent(db)


async def test_nobody_fits_goes_to_staff_who_assign_by_hand(world) -> None:
    db = world["db"]
    async with db.session() as session:
        education = select(Sector.id).where(col(Sector.name).in_(["教育界", "中国民主促进会"]))
        await session.exec(update(Member).where(col(Member.sector_id).in_(education)).values(telegram_id=None))
        await session.commit()
    case = await new_case(world)
    assert case.status is CaseStatus.unassigned and case.member_id is None
    escalated = (await events_of(db, case.id))[-1]
    assert escalated.detail == {"fallback": "admins", "to": [ADMIN]}
    admin = Actor.admin(ADMIN)
    async with db.session() as session:
        assert [c.id for c in await cases_for_staff(session, actor=admin)] == [case.id]
        outsider = Actor.coordinator(78, [Scope(ScopeKind.region, "甘肃省/酒泉市")])
        assert await cases_for_staff(session, actor=outsider) == []
        row = await session.get(Case, case.id)
        assert await transfer_candidates(session, case=row, actor=admin, table=world["table"]) == []
        chosen = (await session.exec(select(Member.id).where(Member.telegram_id.is_not(None)))).first()
        await assign_case(session, case=row, actor=admin, to_member_id=chosen, now=T0, note="请协助")
        await accept_case(session, case=row, member_id=chosen, now=T0)
        await session.commit()
    assert (row.status, row.member_id) == (CaseStatus.accepted, chosen)
    # with a coordinator for the region, the next one goes to them, and they may see it
    async with db.session() as session:
        from models import RoleGrant

        session.add(RoleGrant(telegram_id=79, scope_kind=ScopeKind.region, scope_value="甘肃省/兰州市"))
        await session.commit()
    later = await new_case(world, resident="r2")
    assert (await events_of(db, later.id))[-1].detail == {"fallback": "coordinators", "to": [79]}
    async with db.session() as session:
        coordinator = Actor.coordinator(79, [Scope(ScopeKind.region, "甘肃省/兰州市")])
        assert [c.id for c in await cases_for_staff(session, actor=coordinator)] == [later.id]
    await load_is_consistent(db)


async def test_recorded_on_behalf_starts_with_the_member_and_counts_once_confirmed(world) -> None:
    db = world["db"]
    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.number == "GS0010"))).one()
        intake = await create_case(
            session, data=CaseInput(category="养老", description="老人反映社区养老服务站周末不开门",
                                    requester_name="王大爷", requester_phone="13912345678"),
            table=world["table"], now=T0, recorded_by_member_id=member.id,
        )
        row = intake.case
        assert (row.status, row.member_id, row.resident_id) == (CaseStatus.accepted, member.id, None)
        member_view = await case_detail(session, case_id=row.id, actor=Actor.member(member.id))
        assert member_view.phone == "13912345678"
        await resolve_case(session, case=row, member_id=member.id, result="已联系街道恢复周末开放", now=T0)
        await answer_case(session, case=row, actor=Actor.admin(ADMIN), solved=True, now=T0)
        await session.commit()
        count = (await session.exec(select(func.count()).select_from(Activity).where(Activity.member_id == member.id))).one()
    assert count == 1
    assert [e.action for e in await events_of(db, row.id)] == ["submit", "route", "accept", "resolve", "confirm"]


async def test_direct_link_routes_to_its_member(world) -> None:
    db = world["db"]
    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.number == "GS0033"))).one()
        token = await member_link_token(session, member_id=member.id)
        assert await member_link_token(session, member_id=member.id) == token
        await session.commit()
    payload = link_payload(token)
    assert parse_link_payload(payload) == token and parse_link_payload("ABCD2345EFGH6789") is None
    async with db.session() as session:
        found = await member_for_link(session, token=parse_link_payload(payload))
    case = await new_case(world, category="医疗", via_member_id=found.id)
    assert (case.member_id, case.via_member_link, case.status) == (member.id, True, CaseStatus.routed)
    assert (await events_of(db, case.id))[-1].detail == {"direct": "link"}
    async with db.session() as session:
        rotated = await member_link_token(session, member_id=member.id, rotate=True)
        await session.commit()
        assert await member_for_link(session, token=token) is None
        await session.exec(update(Member).where(Member.id == member.id).values(active=False))
        await session.commit()
        assert await member_for_link(session, token=rotated) is None


# --- who sees what ---------------------------------------------------------------------------------------


async def test_visibility_phone_masking_and_relay(world) -> None:
    db = world["db"]
    case = await new_case(world, data={"phone": "13812345678", "phone_consent": False})
    owner, other = Actor.resident(world["r1"]), Actor.resident(world["r2"])
    handler = Actor.member(case.member_id)
    policy = CasePolicy(relay_max=3, relay_window_minutes=10)
    async with db.session() as session:
        row = await session.get(Case, case.id)
        assert await visible_to(session, case=row, actor=owner) and not await visible_to(session, case=row, actor=other)
        with pytest.raises(CaseNotAllowed) as caught:
            await get_case(session, case_id=row.id, actor=other)
        assert caught.value.code == "not_visible"
        assert (await case_detail(session, case_id=row.id, actor=owner)).phone == "13812345678"
        assert (await case_detail(session, case_id=row.id, actor=handler)).phone == "138****5678"
        assert (await case_detail(session, case_id=row.id, actor=Actor.admin(ADMIN))).phone == "138****5678"
        assert mask_phone("13812345678") == "138****5678"

        # the member replies only after accepting; the resident may add at any open step
        relay = await add_message(session, case=row, actor=owner, text="补充：早上七点最严重", now=T0, policy=policy)
        assert (relay.to_role, relay.to_id) == (Role.member, case.member_id)
        with pytest.raises(CaseProblem) as caught:
            await add_message(session, case=row, actor=handler, text="收到", now=T0, policy=policy)
        assert caught.value.code == "relay_closed"
        with pytest.raises(CaseNotAllowed):
            await add_message(session, case=row, actor=other, text="我也来说两句", now=T0, policy=policy)
        await accept_case(session, case=row, member_id=case.member_id, now=T0)
        relay = await add_message(session, case=row, actor=handler, text="已联系街道", photo_file_ids=["p1"],
                                  now=T0, policy=policy)
        assert (relay.to_role, relay.to_id) == (Role.resident, world["r1"])
        for minute in (1, 2):
            await add_message(session, case=row, actor=owner, text=f"第{minute}条补充", now=T0 + timedelta(minutes=minute),
                              policy=policy)
        with pytest.raises(CaseProblem) as caught:
            await add_message(session, case=row, actor=owner, text="再一条", now=T0 + timedelta(minutes=3), policy=policy)
        assert caught.value.code == "relay_limit"
        await add_message(session, case=row, actor=handler, text="会继续跟进", now=T0 + timedelta(minutes=3), policy=policy)
        await add_message(session, case=row, actor=owner, text="好的谢谢", now=T0 + timedelta(minutes=11), policy=policy)
        await session.commit()

        # consent shows the phone to the handler; a transfer takes the case (and its new messages) away
        await session.exec(update(Case).where(Case.id == row.id).values(phone_consent=True))
        await session.refresh(row)
        assert (await case_detail(session, case_id=row.id, actor=handler)).phone == "13812345678"
        nxt = (await transfer_candidates(session, case=row, actor=handler, table=world["table"]))[0].member_id
        await transfer_case(session, case=row, member_id=case.member_id, reason="转给更合适的委员", to_member_id=nxt,
                            table=world["table"], now=T0 + timedelta(hours=1))
        await session.commit()
        assert not await visible_to(session, case=row, actor=handler)
        with pytest.raises(CaseNotAllowed):
            await case_detail(session, case_id=row.id, actor=handler)
        detail = await case_detail(session, case_id=row.id, actor=Actor.member(nxt))
        assert detail.messages == [] and detail.member_name is not None
        assert [e.action for e in detail.timeline][-1] == "transfer" and detail.actions == ["accept", "decline",
                                                                                           "transfer", "release"]
        everything = await case_detail(session, case_id=row.id, actor=owner)
        assert len(everything.messages) == 6


async def test_lists_for_resident_and_member(world) -> None:
    db = world["db"]
    made = [await new_case(world, text=f"问题{i}：{'路灯水管井盖护栏'[i]}坏了很久没人修理，请帮忙",
                           now=T0 + timedelta(minutes=i)) for i in range(4)]
    async with db.session() as session:
        page, total = await cases_for_resident(session, resident_id=world["r1"], page=0, per_page=3)
        assert total == 4 and [c.number for c in page] == [m.number for m in reversed(made)][:3]
        page2, _ = await cases_for_resident(session, resident_id=world["r1"], page=1, per_page=3)
        assert [c.number for c in page2] == [made[0].number]
        assert (await cases_for_resident(session, resident_id=world["r2"]))[1] == 0
        mine = await cases_for_member(session, member_id=made[0].member_id)
        assert [c.id for c in mine] == sorted(c.id for c in made if c.member_id == made[0].member_id)


def test_every_problem_code_has_a_message() -> None:
    """Each code the services raise renders as one Chinese line, states by their Chinese names."""
    import re
    from pathlib import Path

    from bot.texts import case_problem

    source = "".join(Path(module.__file__).read_text(encoding="utf-8") for module in (cases_service, lifecycle))
    codes = set(re.findall(r'Case(?:Problem|NotAllowed)\("([a-z_]+)"', source))
    assert {"not_allowed", "not_yours", "changed", "daily_limit", "duplicate", "relay_limit"} <= codes
    sample = {"status": "resolved", "action": "accept", "low": 1, "high": 5, "length": 3, "days": 7, "count": 5,
              "limit": 5, "number": "2026-000001", "hours": "24", "minutes": "10"}
    for code in codes:
        text = case_problem(code, sample)
        assert text and "{" not in text and "\n" not in text
    assert case_problem("not_allowed", {"status": "resolved", "action": "accept"}) == "当前状态（已办结）下不能进行此操作。"
