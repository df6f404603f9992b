"""Unit tests of the members and queue services: admins only, search rules, the lifecycle's staff re-route,
and a coordinator's assignment limited to members in scope — on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.services import member_admin, queue
from bot.services.access import touch_resident
from bot.services.cases import CaseInput, accept_case, create_case
from bot.services.lifecycle import TRANSITIONS, Actor, CaseNotAllowed, CaseProblem, Role
from bot.services.member_admin import MemberAdminProblem
from bot.services.routing import load_routing_table
from models import Case, CaseStatus, Member, utcnow
from tests.support.scopes import group_everywhere

ADMIN = Actor.admin(1)
NOW = utcnow()


def test_staff_may_send_back_a_stuck_case_and_members_and_the_system_may_not() -> None:
    for status in (CaseStatus.unassigned, CaseStatus.routed, CaseStatus.accepted, CaseStatus.reopened):
        for role in (Role.coordinator, Role.admin):
            assert TRANSITIONS[(status, role, "reroute")] is CaseStatus.new
    assert (CaseStatus.accepted, Role.system, "reroute") not in TRANSITIONS  # the 72 h job only re-routes routed
    assert not any(key[2] == "reroute" and key[1] is Role.member for key in TRANSITIONS)
    assert (CaseStatus.resolved, Role.admin, "reroute") not in TRANSITIONS


async def test_only_admins_pass_the_members_service(db, roster, caplog) -> None:
    caplog.set_level(logging.WARNING)
    async with db.session() as session:
        coordinator = Actor.coordinator(7, await group_everywhere(session, "第5界别活动组"))
        member = (await session.exec(select(Member).where(Member.number == "GS0021"))).one()
        calls = (
            member_admin.find_members(session, actor=coordinator, query="孙"),
            member_admin.member_record(session, actor=coordinator, member_id=member.id, today=NOW.date(), now=NOW,
                                       quarter_target=1, year_target=40),
            member_admin.reissue_invite(session, actor=coordinator, member_id=member.id, ttl_days=30, now=NOW),
            member_admin.deactivate_member(session, actor=coordinator, member_id=member.id, table=None, now=NOW),
            member_admin.reactivate_member(session, actor=Actor.member(member.id), member_id=member.id, now=NOW),
        )
        for call in calls:
            with pytest.raises(MemberAdminProblem) as refused:
                await call
            assert refused.value.code == "admins_only"
        assert (await session.get(Member, member.id)).active
    assert caplog.text.count("members action refused") == len(calls)


async def test_search_is_exact_for_numbers_and_literal_for_names(db, roster) -> None:
    async with db.session() as session:
        everyone = (await session.exec(select(Member))).all()
        hits, total = await member_admin.find_members(session, actor=ADMIN, query="gs0021")
        assert [h.number for h in hits] == ["GS0021"] and total == 1
        for typed in ("gs 0021", "GS 00 21", "ＧＳ００２１"):  # spaces, and a Chinese keyboard's full-width mode
            hits, total = await member_admin.find_members(session, actor=ADMIN, query=typed)
            assert [h.number for h in hits] == ["GS0021"] and total == 1, typed
        # % and _ are letters here, not wildcards
        assert await member_admin.find_members(session, actor=ADMIN, query="%") == ([], 0)
        assert await member_admin.find_members(session, actor=ADMIN, query="_") == ([], 0)
        wanted = sorted((m.name, m.number) for m in everyone if "军" in m.name)
        first, total = await member_admin.find_members(session, actor=ADMIN, query=" 军 ", limit=3)
        rest, _ = await member_admin.find_members(session, actor=ADMIN, query="军", offset=3, limit=100)
        assert total == len(wanted) and [(h.name, h.number) for h in first + rest] == wanted
        for bad, code in (("  ", "query_empty"), ("长" * 65, "query_long")):
            with pytest.raises(MemberAdminProblem) as problem:
                await member_admin.find_members(session, actor=ADMIN, query=bad)
            assert problem.value.code == code


async def test_deactivation_sends_open_cases_back_and_keeps_resolved_ones(db, roster) -> None:
    async with db.session() as session:
        table = await load_routing_table(session)
    async with db.session() as session:
        await session.exec(update(Member).where(Member.number.in_(["GS0021", "GS0050"]))
                           .values(telegram_id=Member.id + 5000))
        await session.commit()
    async with db.session() as session:
        resident = await touch_resident(session, telegram_id=555, display_name="群众", username=None)
        sun = (await session.exec(select(Member).where(Member.number == "GS0021"))).one()
        from models import Region

        region = (await session.exec(select(Region.id).where(Region.path == "甘肃省/甘南藏族自治州/合作市"))).one()
        made = []
        for n in range(2):
            intake = await create_case(session, data=CaseInput("教育", f"学校缺少老师，第{n}件，希望协调解决。", region_id=region),
                                       table=table, now=NOW - timedelta(hours=n), resident_id=resident.id,
                                       allow_duplicate=True)
            made.append(intake.case)
        assert all(c.member_id == sun.id for c in made)
        await accept_case(session, case=made[0], member_id=sun.id, now=NOW)
        await session.commit()
    async with db.session() as session:
        done = await member_admin.deactivate_member(session, actor=ADMIN, member_id=sun.id, table=table, now=NOW)
        await session.commit()
    assert len(done.rerouted) == 2
    async with db.session() as session:
        rows = (await session.exec(select(Case).order_by(Case.id))).all()
        sun = await session.get(Member, sun.id)
    assert all(c.member_id != sun.id and c.status is CaseStatus.routed for c in rows)
    assert not sun.active and sun.open_cases == 0
    with pytest.raises(MemberAdminProblem):
        async with db.session() as session:
            await member_admin.deactivate_member(session, actor=ADMIN, member_id=sun.id, table=table, now=NOW)


async def test_a_coordinator_assigns_only_to_members_in_scope(db, roster) -> None:
    async with db.session() as session:
        table = await load_routing_table(session)
    async with db.session() as session:
        await session.exec(update(Member).values(telegram_id=Member.id + 5000))
        await session.commit()
    async with db.session() as session:
        resident = await touch_resident(session, telegram_id=556, display_name="群众", username=None)
        intake = await create_case(session, data=CaseInput("教育", "学校缺少老师，希望能协调解决这个问题。"), table=table,
                                   now=NOW, resident_id=resident.id)
        await session.commit()
    async with db.session() as session:
        group5 = Actor.coordinator(9, await group_everywhere(session, "第5界别活动组"))
        case = await session.get(Case, intake.case.id)
        candidates = await queue.staff_candidates(session, case=case, actor=group5, table=table, limit=5)
        assert candidates
        in_scope = await queue.members_in_scope(session, [c.member_id for c in candidates], group5)
        assert in_scope == {c.member_id for c in candidates}
        outsider = (await session.exec(select(Member.id).where(Member.number == "GS0020"))).one()  # 第4界别活动组
        with pytest.raises(CaseNotAllowed) as refused:
            await queue.assign_in_scope(session, actor=group5, case_id=case.id, to_member_id=outsider, now=NOW)
        assert refused.value.code == "member_out_of_scope"
        with pytest.raises(CaseProblem):
            await queue.case_queue(session, actor=Actor.member(outsider), now=NOW)


def test_a_record_names_at_most_ten_contact_points() -> None:
    from handlers.members import points_text

    many = tuple(f"联系点{i}" for i in range(12))
    assert points_text(many) == "、".join(many[:10]) + " 等 12 个"
    assert points_text(many[:3]) == "、".join(many[:3])
