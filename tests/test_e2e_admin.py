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
import time_machine
from sqlmodel import select

from bot.services.access import ScopeKind, grant_role, touch_resident
from bot.services.cases import Actor, CaseInput, accept_case, answer_case, create_case, resolve_case
from models import (
    ActivityGroup, AuditEvent, Case, CaseEvent, CaseStatus, InviteCode, Member, Region, utcnow,
)
from tests.conftest import ADMIN_ID, bind, issue_code

DESCRIPTION = "村里的小学缺少老师，孩子们一个年级只有一个代课老师，希望能协调解决。"
GROUP_COORD, REGION_COORD = 7101, 7102
NOW = utcnow()


async def member(db, number: str) -> Member:  # noqa: ANN001
    async with db.session() as session:
        return (await session.exec(select(Member).where(Member.number == number))).one()


async def timeline(db, case_id: int) -> list[str]:  # noqa: ANN001
    async with db.session() as session:
        return list((await session.exec(
            select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id))).all())


async def audits(db, action: str) -> list[AuditEvent]:  # noqa: ANN001
    async with db.session() as session:
        return list((await session.exec(select(AuditEvent).where(AuditEvent.action == action))).all())


async def new_case(db, app, *, resident: int, category: str, region: str | None, days_ago: float = 0,  # noqa: ANN001
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
    (audit,) = await audits(db, "member.reactivate")
    assert audit.entity_id == "GS0021"


async def test_members_are_for_admins_only_even_with_forged_buttons(fake, db, roster, app, caplog) -> None:
    async with db.session() as session:
        await grant_role(session, telegram_id=GROUP_COORD, kind=ScopeKind.group, value="第5界别活动组")
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
