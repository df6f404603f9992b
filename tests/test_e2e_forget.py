"""End to end: /forget removes a resident's personal data after a confirmation; the cases stay, withdrawn when open,
their handling member told through the outbox; cancel changes nothing.

Routing on the sample roster: 教育 from 合作市 goes to 孙凯凯 (GS0021).
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.services import cases as case_svc
from bot.services.lifecycle import Actor
from handlers.case_cards import card_text
from models import AuditEvent, Case, CaseEvent, CasePhoto, CaseStatus, InboxUpdate, OutboxMessage, Resident
from tests.conftest import ADMIN_ID, bind, settle
from tests.support.case_flows import DESCRIPTION, file_request, press

PLACEHOLDER = "（群众已申请删除个人信息）"


@pytest.fixture
async def member(fake, db, roster, app):
    return await bind(fake, db, 8021, "GS0021", "孙凯凯")


async def one_case(db) -> Case:
    async with db.session() as session:
        return (await session.exec(select(Case))).one()


async def filed(fake, member, user_id: int):
    resident = fake.user(user_id, first_name="张")
    card = await file_request(resident)
    await press(resident, "确认提交", card)
    assert "您有一件新的诉求件" in (await member.expect_message()).text  # the member's card
    await member.expect_message()  # its photo
    return resident


async def test_forget_after_confirmation_keeps_the_case_and_tells_the_member(fake, db, member, app) -> None:
    resident = await filed(fake, member, 9101)
    case = await one_case(db)
    assert case.phone == "13912345678" and case.resident_id is not None

    # asked first; cancel changes nothing
    await resident.send("/forget")
    ask = await resident.expect_message()
    assert "删除我的个人信息" in ask.text and "1 件诉求" in ask.text and "尚未办结的 1 件" in ask.text
    assert ask.buttons == [["🗑 删除个人信息（保留诉求内容）"], ["🗑 连同我发送的文字和照片一起删除"], ["取消"]]
    await resident.press("取消", message=ask)
    assert "已取消" in (await resident.expect_message()).text
    await settle(app)
    async with db.session() as session:
        assert (await session.exec(select(Resident))).all()
    assert (await one_case(db)).status is CaseStatus.routed

    await resident.send("/forget")
    ask = await resident.expect_message()
    await resident.press("🗑 删除个人信息（保留诉求内容）", message=ask)
    done = await resident.expect_message()
    assert "已删除您的个人信息" in done.text and "1 件尚未办结的已撤回" in done.text
    told = await member.expect_message()
    assert case.number in told.text and "已申请删除个人信息" in told.text and "无需再办理" in told.text
    await settle(app)

    case = await one_case(db)
    assert case.status is CaseStatus.closed and case.closed_at is not None and case.forgotten_at is not None
    assert case.resident_id is None and case.phone is None and case.requester_name is None
    assert case.description == DESCRIPTION  # the case's substance stays unless asked for
    async with db.session() as session:
        assert not (await session.exec(select(Resident))).all()
        assert (await session.exec(select(CasePhoto))).all()
        actions = (await session.exec(select(CaseEvent.action).where(CaseEvent.case_id == case.id)
                                      .order_by(CaseEvent.id))).all()
        assert actions[-1] == "withdraw"
        (audit,) = (await session.exec(select(AuditEvent).where(AuditEvent.action == "resident.forget"))).all()
        assert audit.actor == "resident" and audit.entity_id is None
        detail = json.loads(audit.detail)
        assert detail["cases"] == 1 and detail["withdrawn"] == 1 and detail["via"] == "chat"
        assert "9101" not in audit.detail and "1391234" not in audit.detail
        # nothing kept for their chat; the handled updates they sent no longer carry them
        assert not (await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == 9101))).all()
        payloads = (await session.exec(select(InboxUpdate.payload).order_by(InboxUpdate.update_id))).all()
        assert len(payloads) > 10 and all("9101" not in p and "1391234" not in p for p in payloads)
        detail_view = await case_svc.case_detail(session, case_id=case.id, actor=Actor.admin(ADMIN_ID))
    card = card_text(detail_view, ZoneInfo("Asia/Shanghai"))
    assert PLACEHOLDER in card and "1391234" not in card and "139****" not in card

    # the member's old card no longer acts; the resident has no cases and is a stranger again
    await member.press("✅ 接收")
    assert "已接收" not in (await member.expect_answer()).text
    assert (await one_case(db)).status is CaseStatus.closed
    await resident.send("/mycases")
    assert "您还没有提交过诉求" in (await resident.expect_message()).text
    await resident.send("/forget")
    assert "没有保存您" in (await resident.expect_message()).text


async def test_forget_with_content_removes_texts_and_photos(fake, db, member, app) -> None:
    resident = await filed(fake, member, 9102)
    await resident.send("/forget")
    ask = await resident.expect_message()
    await resident.press("🗑 连同我发送的文字和照片一起删除", message=ask)
    done = await resident.expect_message()
    assert "文字和照片也已删除" in done.text
    await member.expect_message()
    await settle(app)
    case = await one_case(db)
    assert case.description == "（群众已申请删除所发内容）" and case.place_text == ""
    async with db.session() as session:
        assert not (await session.exec(select(CasePhoto))).all()
        (audit,) = (await session.exec(select(AuditEvent).where(AuditEvent.action == "resident.forget"))).all()
    assert json.loads(audit.detail)["content"] is True and json.loads(audit.detail)["photos"] == 1
