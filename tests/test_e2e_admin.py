"""End to end: /member for admins (find, record, re-issue an invite, deactivate, reactivate) and /queue
for admins and coordinators (group and region scope): listing against an independent recount, assign and
re-route with the timeline checked, forged buttons refused and logged.

Sample roster: 孙凯凯 (GS0021, 教育界, 第5界别活动组, 合作市) and 尹伟文 (GS0050, 教育界, 第5界别活动组, 甘肃省);
阎俊 (GS0020, 农业界, 第4界别活动组, 酒泉市).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.services.access import ScopeKind, grant_role, touch_resident
from bot.services.cases import CaseInput, accept_case, answer_case, create_case, resolve_case
from bot.services.lifecycle import Actor
from models import (
    ActivityGroup,
    AuditEvent,
    Case,
    CaseEvent,
    CaseStatus,
    InviteCode,
    Member,
    Region,
    utcnow,
)
from tests.conftest import ADMIN_ID, bind, issue_code
from tests.support.scopes import grant_group_everywhere

DESCRIPTION = "村里的小学缺少老师，孩子们一个年级只有一个代课老师，希望能协调解决。"
GROUP_COORD, REGION_COORD = 7101, 7102
NOW = utcnow()


async def member(db, number: str) -> Member:
    async with db.session() as session:
        return (await session.exec(select(Member).where(Member.number == number))).one()


async def timeline(db, case_id: int) -> list[str]:
    async with db.session() as session:
        return list((await session.exec(
            select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id))).all())


async def audits(db, action: str) -> list[AuditEvent]:
    async with db.session() as session:
        return list((await session.exec(select(AuditEvent).where(AuditEvent.action == action))).all())


async def new_case(db, app, *, resident: int, category: str, region: str | None, days_ago: float = 0,
                   description: str = DESCRIPTION) -> Case:
    """A resident's case filed `days_ago` (created and routed by the services, as the request form does)."""
    async with db.session() as session:
        person = await touch_resident(session, telegram_id=resident, display_name="群众", username=None)
        region_id = (await session.exec(select(Region.id).where(Region.path == region))).one() if region else None
        intake = await create_case(
            session, data=CaseInput(category=category, description=f"{description}（{resident}）", region_id=region_id),
            table=app.routing, now=NOW - timedelta(days=days_ago), admin_ids=[ADMIN_ID], resident_id=person.id)
        await session.commit()
        return intake.case


def link_code(text: str) -> str:
    found = re.search(r"https://t\.me/\w+\?start=([0-9A-Z]+)", text)
    assert found, text
    return found.group(1)


# --- /member ---------------------------------------------------------------------------------------


async def test_admin_finds_reissues_deactivates_and_reactivates_a_member(fake, db, roster, app, caplog) -> None:
    admin = fake.user(ADMIN_ID, first_name="管理员")
    # a partial name: every member whose name contains it, as buttons (independent recount over the roster)
    async with db.session() as session:
        names = sorted((m.name, m.number) for m in (await session.exec(select(Member))).all() if "文" in m.name)
    assert len(names) > 1
    await admin.send("/member 文")
    listing = await admin.expect_message()
    assert f"找到 {len(names)} 位委员" in listing.text
    shown = [row[0] for row in listing.buttons if "（" in row[0]]
    assert [re.match(r"(.+)（(\w+)）", b).groups() for b in shown] == names[:8]
    # more than a page: 8 buttons and 下一页, which edits the list to the rest; an older search's page is stale
    async with db.session() as session:
        many = sorted((m.name, m.number) for m in (await session.exec(select(Member))).all() if "辉" in m.name)
    assert len(many) > 8
    await admin.send("/member 辉")
    page = await admin.expect_message()
    assert [re.match(r"(.+)（(\w+)）", row[0]).groups() for row in page.buttons[:-1]] == many[:8]
    assert page.buttons[-1] == ["下一页"]
    await admin.press("下一页", message=page)
    rest = await admin.expect_edit()
    assert [re.match(r"(.+)（(\w+)）", row[0]).groups() for row in rest.buttons[:-1]] == many[8:]
    assert rest.buttons[-1] == ["上一页"]
    await admin.send("/member 文")
    await admin.expect_message()
    await admin.press("上一页", message=rest)
    assert "失效" in (await admin.expect_answer()).text

    # nothing found, and no argument at all
    await admin.send("/member 不存在的人")
    assert "没有姓名包含「不存在的人」" in (await admin.expect_message()).text
    await admin.send("/member")
    assert "/member 张" in (await admin.expect_message()).text

    # the exact 编号 (any case) opens the record: roster fields, full phone, binding, figures, buttons
    old_code = await issue_code(db, "GS0021")
    await admin.send("/member gs0021")
    record = await admin.expect_message()
    assert "孙凯凯" in record.text and "教育界" in record.text and "第5界别活动组" in record.text
    assert "13204063757" in record.text and "黄河村" in record.text and "未绑定" in record.text
    assert "1 个有效" in record.text and "最近活动：无" in record.text
    assert record.buttons == [["🔑 重发邀请", "⛔ 停用"]]

    # re-issue: the link and the QR image arrive; the old code no longer binds, the new one does
    await admin.press("🔑 重发邀请", message=record)
    text = await admin.expect_message()
    qr = await admin.expect_message()
    new_code = link_code(text.text)
    assert "1 个未使用的邀请码已作废" in text.text
    assert qr.photo and qr.photo_bytes.startswith(b"\x89PNG") and "GS0021" in qr.caption
    assert new_code not in caplog.text
    (reissued,) = [a for a in await audits(db, "member.invites") if a.actor != "cli"]
    assert reissued.actor == f"tg:{ADMIN_ID}" and reissued.entity_id == "GS0021" and "replaced=1" in reissued.detail
    async with db.session() as session:
        sun = (await session.exec(select(Member).where(Member.number == "GS0021"))).one()
        codes = (await session.exec(select(InviteCode).where(InviteCode.member_id == sun.id))).all()
    assert len(codes) == 2 and sum(1 for c in codes if c.revoked_at is None and c.used_at is None) == 1
    stranger = fake.user(8121, first_name="孙")
    await stranger.send(f"/start {old_code}")
    assert "邀请码无效" in (await stranger.expect_message()).text
    assert (await member(db, "GS0021")).telegram_id is None
    await stranger.send(f"/start {new_code}")
    await stranger.expect_messages(2)
    assert (await member(db, "GS0021")).telegram_id == 8121

    # a bound member with an open case: no re-issue; the confirm step names the case
    wide = await bind(fake, db, 8050, "GS0050", "尹伟文")
    resident = fake.user(9301, first_name="群众")
    case = await new_case(db, app, resident=9301, category="教育", region="甘肃省/甘南藏族自治州/合作市")
    assert case.member_id == sun.id and case.status is CaseStatus.routed
    await admin.send("/member GS0021")
    record = await admin.expect_message()
    assert "已绑定" in record.text and "可送达" in record.text and case.number in record.text
    assert record.buttons == [["⛔ 停用"]]
    await admin.press("⛔ 停用", message=record)
    confirm = await admin.expect_message()
    assert "正在办理 1 件诉求件" in confirm.text and case.number in confirm.text
    # 取消 shows the record again and changes nothing
    await admin.press("取消", message=confirm)
    assert "孙凯凯" in (await admin.expect_message()).text
    assert (await member(db, "GS0021")).active
    replay = confirm.inline_keyboard[0][0]["callback_data"]
    await admin.press("确认停用", message=confirm)
    done = await admin.expect_message()
    assert "已停用 孙凯凯" in done.text and "1 件诉求件已重新分派" in done.text
    # the case went back to the engine, without the deactivated member, and the new handler got it
    assert case.number in (await wide.expect_message()).text
    assert "改由 尹伟文" in (await resident.expect_message()).text
    sun = await member(db, "GS0021")
    assert not sun.active and sun.telegram_id == 8121 and sun.open_cases == 0
    # their command menu drops the member commands at once (no /start needed)
    await fake.wait_until(lambda: "log" not in [c for c, _ in fake.commands_for(8121)], message="menu not refreshed")
    menu = [c for c, _ in fake.commands_for(8121)]
    assert "my" not in menu and "request" in menu and "mycases" in menu
    async with db.session() as session:
        moved = await session.get(Case, case.id)
        assert moved.member_id == (await member(db, "GS0050")).id and moved.status is CaseStatus.routed
        reroute = (await session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                               CaseEvent.action == "reroute"))).one()
    assert reroute.actor_kind == "admin" and reroute.actor_id == ADMIN_ID and "孙凯凯" in reroute.note
    assert await timeline(db, case.id) == ["submit", "route", "reroute", "route"]
    (audit,) = await audits(db, "member.deactivate")
    assert audit.entity_id == "GS0021" and audit.actor == f"tg:{ADMIN_ID}" and "cases=1" in audit.detail
    # a second press of the old confirm button changes nothing
    await admin.press_data(replay, message=record)
    assert "已经是停用状态" in (await admin.expect_answer()).text

    # reactivate: back at once (still bound), audited
    await admin.send("/member GS0021")
    record = await admin.expect_message()
    assert "已停用" in record.text and record.buttons == [["♻️ 恢复"]]
    await admin.press("♻️ 恢复", message=record)
    confirm = await admin.expect_message()
    await admin.press("确认恢复", message=confirm)
    assert "已恢复 孙凯凯" in (await admin.expect_message()).text
    assert (await member(db, "GS0021")).active
    await fake.wait_until(lambda: "log" in [c for c, _ in fake.commands_for(8121)], message="menu not restored")
    (audit,) = await audits(db, "member.reactivate")
    assert audit.entity_id == "GS0021"


async def test_members_are_for_admins_only_even_with_forged_buttons(fake, db, roster, app, caplog) -> None:
    async with db.session() as session:
        await grant_group_everywhere(session, GROUP_COORD, "第5界别活动组")
        await session.commit()
    coordinator = fake.user(GROUP_COORD, first_name="协调员")
    await coordinator.send("/member 孙凯凯")
    assert "只有管理员" in (await coordinator.expect_message()).text
    target = await member(db, "GS0021")
    # a message of their own with buttons to forge on: their queue (a 教育 case nobody fitted is theirs)
    await new_case(db, app, resident=9302, category="教育", region=None)
    await coordinator.send("/queue")
    anchor = await coordinator.expect_message()
    assert anchor.buttons, anchor.describe()
    caplog.set_level(logging.WARNING)
    for data in (f"mbr:v:{target.id}:0", f"mbr:inv:{target.id}:0", f"mbr:offok:{target.id}:0"):
        await coordinator.press_data(data, message=anchor)
        assert "只有管理员" in (await coordinator.expect_answer()).text
    assert "members action refused to coordinator" in caplog.text
    after = await member(db, "GS0021")
    assert after.active and await audits(db, "member.invites") == [] and await audits(db, "member.deactivate") == []


# --- /queue ----------------------------------------------------------------------------------------


def expected_queue(cases, events, members, regions, *, now, overdue_days, scope=None, coordinator=None):
    """The queue recounted in plain Python from the raw rows: (number, reasons) oldest first."""
    open_states = {"new", "unassigned", "routed", "accepted", "reopened"}
    region_of = {r.id: r.path for r in regions}
    by_id = {m.id: m for m in members}

    def under(path, value):
        return path is not None and (path == value or path.startswith(value + "/"))

    def covered(case) -> bool:
        if scope is None:
            return True
        kind, value = scope
        handler = by_id.get(case.member_id)
        if kind == "region" and (under(region_of.get(case.region_id), value)
                                 or (handler and under(region_of.get(handler.region_id), value))):
            return True
        if kind == "group" and handler and handler.group == value:
            return True
        return any(e.case_id == case.id and e.action == "escalate" and (e.detail or {}).get("fallback") == "coordinators"
                   and coordinator in (e.detail or {}).get("to", []) for e in events)

    found = []
    for case in sorted(cases, key=lambda c: (c.created_at, c.id)):
        status = CaseStatus(case.status).value
        reasons = [status] if status in ("unassigned", "reopened") else []
        if status in open_states and case.created_at <= now - timedelta(days=overdue_days):
            reasons.append("overdue")
        if reasons and covered(case):
            found.append((case.number, reasons))
    return found


async def snapshot(db):
    async with db.session() as session:
        cases = list((await session.exec(select(Case))).all())
        events = list((await session.exec(select(CaseEvent))).all())
        rows = (await session.exec(select(Member, ActivityGroup.name).join(
            ActivityGroup, ActivityGroup.id == Member.activity_group_id, isouter=True))).all()
        regions = list((await session.exec(select(Region))).all())
    from types import SimpleNamespace

    members = [SimpleNamespace(id=m.id, region_id=m.region_id, group=group) for m, group in rows]
    return cases, events, members, regions


def listed(text: str) -> list[str]:
    return re.findall(r"\d+\. (\d{4}-\d{6})", text)


@pytest.fixture
async def queue_world(fake, db, roster, app):
    """Bound members, two coordinators and seven cases of every kind the queue knows (and one it does not)."""
    people = {number: await bind(fake, db, 8000 + int(number[2:]), number, name) for number, name in (
        ("GS0021", "孙凯凯"), ("GS0050", "尹伟文"), ("GS0020", "阎俊"), ("GS0066", "许艳"))}
    async with db.session() as session:
        await grant_group_everywhere(session, GROUP_COORD, "第5界别活动组")  # the group on each of its committees
        await grant_role(session, telegram_id=REGION_COORD, kind=ScopeKind.region, value="酒泉市")
        await session.commit()
    for n in range(9401, 9408):
        fake.user(n, first_name="群众")
    made = {
        "old_unassigned": await new_case(db, app, resident=9401, category="医疗", region="甘肃省/甘南藏族自治州/合作市",
                                         days_ago=30),
        "overdue_routed": await new_case(db, app, resident=9402, category="教育",
                                         region="甘肃省/甘南藏族自治州/合作市", days_ago=20),
        "overdue_accepted": await new_case(db, app, resident=9403, category="农业农村", region="甘肃省/酒泉市",
                                           days_ago=18),
        "unassigned": await new_case(db, app, resident=9404, category="医疗", region="甘肃省/酒泉市", days_ago=10),
        "reopened": await new_case(db, app, resident=9405, category="教育", region=None, days_ago=5),
        "unassigned_new": await new_case(db, app, resident=9406, category="出行", region="甘肃省/甘南藏族自治州/合作市",
                                         days_ago=2),
        "fresh_routed": await new_case(db, app, resident=9407, category="农业农村", region="甘肃省/酒泉市", days_ago=1),
    }
    async with db.session() as session:
        accepted = await session.get(Case, made["overdue_accepted"].id)
        await accept_case(session, case=accepted, member_id=accepted.member_id, now=NOW - timedelta(days=17))
        reopened = await session.get(Case, made["reopened"].id)
        await accept_case(session, case=reopened, member_id=reopened.member_id, now=NOW - timedelta(days=4))
        await resolve_case(session, case=reopened, member_id=reopened.member_id, result="已协调解决", now=NOW - timedelta(days=3))
        await answer_case(session, case=reopened, actor=Actor.resident(reopened.resident_id), solved=False,
                          now=NOW - timedelta(days=2))
        await session.commit()
    async with db.session() as session:
        statuses = {k: CaseStatus((await session.get(Case, c.id)).status) for k, c in made.items()}
    assert statuses == {
        "old_unassigned": CaseStatus.unassigned, "overdue_routed": CaseStatus.routed,
        "overdue_accepted": CaseStatus.accepted, "unassigned": CaseStatus.unassigned,
        "reopened": CaseStatus.reopened, "unassigned_new": CaseStatus.unassigned, "fresh_routed": CaseStatus.routed,
    }
    return people, made


async def test_queue_lists_each_scope_as_an_independent_recount_says(fake, db, queue_world, settings) -> None:
    people, made = queue_world
    cases, events, members, regions = await snapshot(db)
    days = settings.case_overdue_days
    everything = expected_queue(cases, events, members, regions, now=utcnow(), overdue_days=days)
    # the recount agrees with what the fixture built: six in the queue, the fresh routed one not
    assert [n for n, _ in everything] == [made[k].number for k in (
        "old_unassigned", "overdue_routed", "overdue_accepted", "unassigned", "reopened", "unassigned_new")]
    assert everything[0][1] == ["unassigned", "overdue"]

    admin = fake.user(ADMIN_ID, first_name="管理员")
    await admin.send("/queue")
    first = await admin.expect_message()
    assert f"共 {len(everything)} 件" in first.text
    assert listed(first.text) == [n for n, _ in everything[:5]]
    assert "未分派、已超期" in first.text
    await admin.press("下一页", message=first)
    second = await admin.expect_edit()
    assert listed(second.text) == [n for n, _ in everything[5:]]

    for telegram_id, scope in ((GROUP_COORD, ("group", "第5界别活动组")), (REGION_COORD, ("region", "甘肃省/酒泉市"))):
        want = expected_queue(cases, events, members, regions, now=utcnow(), overdue_days=days, scope=scope,
                              coordinator=telegram_id)
        coordinator = fake.user(telegram_id, first_name="协调员")
        await coordinator.send("/queue")
        page = await coordinator.expect_message()
        assert want and listed(page.text) == [n for n, _ in want][:5], (scope, want, page.text)
        assert f"共 {len(want)} 件" in page.text
        assert len(want) < len(everything)
    # the service's one-query staff list agrees with the per-case visibility rule
    from bot.services.cases import cases_for_staff, visible_to
    from bot.services.lifecycle import Actor as CaseActor
    from bot.services.scopes import Scope
    from tests.support.scopes import group_everywhere

    async with db.session() as session:
        for actor in (CaseActor.coordinator(GROUP_COORD, await group_everywhere(session, "第5界别活动组")),
                      CaseActor.coordinator(REGION_COORD, [Scope(ScopeKind.region, "甘肃省/酒泉市")]),
                      CaseActor.admin(ADMIN_ID)):
            listed_ids = [c.id for c in await cases_for_staff(session, actor=actor, statuses=list(CaseStatus))]
            one_by_one = [c.id for c in sorted(cases, key=lambda c: (c.created_at, c.id))
                          if await visible_to(session, case=c, actor=actor)]
            assert listed_ids == one_by_one


async def test_coordinators_assign_and_reroute_within_scope_and_forged_buttons_are_refused(
        fake, db, queue_world, caplog) -> None:
    people, made = queue_world
    caplog.set_level(logging.WARNING)
    group = fake.user(GROUP_COORD, first_name="组协调员")
    region = fake.user(REGION_COORD, first_name="地区协调员")
    sun, yin, yan, xu = [await member(db, n) for n in ("GS0021", "GS0050", "GS0020", "GS0066")]

    # the group coordinator opens the overdue case of 孙凯凯: candidates only from their group
    await group.send("/queue")
    page = await group.expect_message()
    routed = made["overdue_routed"]
    await group.press(next(b for row in page.buttons for b in row if routed.number in b), message=page)
    card = await group.expect_message()
    assert routed.number in card.text and "系统分派" in card.text
    offered = [b for row in card.buttons for b in row if b.startswith("分派给")]
    assert offered and all("尹伟文" in b for b in offered)  # 教育界 of 第5界别活动组, not 孙凯凯 again
    assert card.buttons[-1] == ["🔄 重新分派"]
    await group.press(offered[0], message=card)
    assert "已把诉求件" in (await group.expect_message()).text
    assert routed.number in (await people["GS0050"].expect_message()).text
    async with db.session() as session:
        moved = await session.get(Case, routed.id)
        assert moved.member_id == yin.id and moved.status is CaseStatus.routed
        assign = (await session.exec(select(CaseEvent).where(CaseEvent.case_id == routed.id,
                                                              CaseEvent.action == "assign"))).one()
    assert assign.actor_kind == "coordinator" and assign.actor_id == GROUP_COORD
    assert await timeline(db, routed.id) == ["submit", "route", "assign"]

    # the region coordinator re-routes the overdue accepted case: the engine picks someone else of 农业界
    accepted = made["overdue_accepted"]
    await region.send("/queue")
    page = await region.expect_message()
    await region.press(next(b for row in page.buttons for b in row if accepted.number in b), message=page)
    card = await region.expect_message()
    offered = [b for row in card.buttons for b in row if b.startswith("分派给")]
    assert all("许艳" not in b for b in offered)  # 甘肃省-wide: outside 酒泉市
    await region.press("🔄 重新分派", message=card)
    assert "改由 许艳" in (await region.expect_message()).text
    assert accepted.number in (await people["GS0066"].expect_message()).text
    assert await timeline(db, accepted.id) == ["submit", "route", "accept", "reroute", "route"]
    async with db.session() as session:
        moved = await session.get(Case, accepted.id)
    assert moved.member_id == xu.id and moved.status is CaseStatus.routed
    assert (await member(db, "GS0020")).open_cases == 1  # 阎俊 keeps only the fresh case

    # forged buttons: a case outside the group's scope, a member outside it, a re-route outside it
    before = {c.id: (c.status, c.member_id) for c in (await snapshot(db))[0]}
    outside = made["unassigned"]  # 医疗 in 酒泉市, escalated to the region coordinator only
    for data in (f"que:o:{outside.id}:0", f"que:rr:{outside.id}:0"):
        await group.press_data(data, message=await last_keyboard(group))
        assert "无权" in (await group.expect_answer()).text
    await group.press_data(f"case:asg:{made['reopened'].id}:{yan.id}", message=await last_keyboard(group))
    assert "不在您的管辖范围" in (await group.expect_answer()).text
    await group.press_data(f"que:o:{outside.id}:x", message=await last_keyboard(group))
    assert "失效" in (await group.expect_answer()).text
    assert {c.id: (c.status, c.member_id) for c in (await snapshot(db))[0]} == before
    assert f"case id {outside.id} refused to coordinator {GROUP_COORD}" in caplog.text
    assert f"assignment to member {yan.id} outside the scope of coordinator {GROUP_COORD}" in caplog.text
    assert sun.id != yin.id


async def last_keyboard(user):
    """The user's latest bot message with buttons (to forge a press on)."""
    return next(m for m in reversed(user.messages) if m.inline_keyboard)
