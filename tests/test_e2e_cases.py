"""End to end: a resident's request from the form to a rated answer, and every way a case moves in the chat.

Routing on the sample roster: 教育 goes to 教育界 (then 民进) members, nearest region first —
孙凯凯 (GS0021, 教育界, 甘肃省/甘南藏族自治州/合作市) for a case from 合作市, 尹伟文 (GS0050,
教育界, 甘肃省) otherwise.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import select

from bot.callbacks import CaseAction, CaseButton
from bot.services.cases import link_payload, member_link_token
from models import Activity, Case, CaseEvent, CaseMessage, CaseStatus, Member
from tests.conftest import ADMIN_ID, bind, make_settings
from tests.support.case_flows import DESCRIPTION, file_request, press


async def cases(db) -> list[Case]:
    async with db.session() as session:
        return list((await session.exec(select(Case).order_by(Case.id))).all())


async def timeline(db, case_id: int) -> list[str]:
    async with db.session() as session:
        return list((await session.exec(
            select(CaseEvent.action).where(CaseEvent.case_id == case_id).order_by(CaseEvent.at, CaseEvent.id))).all())


@pytest.fixture
async def members(fake, db, roster, app):
    """孙凯凯 (GS0021, 合作市) and 尹伟文 (GS0050, province), both 教育界, bound."""
    near = await bind(fake, db, 8021, "GS0021", "孙凯凯")
    wide = await bind(fake, db, 8050, "GS0050", "尹伟文")
    return near, wide


async def test_request_reaches_the_nearest_sector_member_and_is_seen_through(fake, db, members, settings) -> None:
    near, wide = members
    resident = fake.user(9101, first_name="张")
    card = await file_request(resident)
    assert "类别：教育" in card.text and "甘肃省/甘南藏族自治州/合作市" in card.text
    assert "照片：1 张" in card.text and "13912345678（委员看不到）" in card.text
    submitted = await press(resident, "确认提交", card)
    (case,) = await cases(db)
    assert f"诉求编号 {case.number}" in submitted.text
    assert "孙凯凯" in submitted.text and "教育界" in submitted.text
    assert case.status is CaseStatus.routed and case.phone == "13912345678" and not case.phone_consent
    async with db.session() as session:
        handler = await session.get(Member, case.member_id)
        region_path = (await session.exec(select(Case.region_id).where(Case.id == case.id))).one()
    assert handler.number == "GS0021" and region_path is not None
    assert await timeline(db, case.id) == ["submit", "route"]

    # the member's card: masked phone, the photo, 接收 / 转交 / 无法办理
    member_card = await near.expect_message()
    assert case.number in member_card.text and "139****5678" in member_card.text and "13912345678" not in member_card.text
    assert member_card.buttons == [["✅ 接收"], ["↪ 转交", "🚫 无法办理"]]
    photo = await near.expect_message()
    assert photo.photo and case.number in photo.caption
    await near.press("✅ 接收", message=member_card)
    assert "已接收" in (await near.expect_message()).text
    assert "孙凯凯 委员接收办理" in (await resident.expect_message()).text

    # relay both ways, stamped with the case number; nobody's Telegram account is shown
    await near.press("💬 回复", message=member_card)  # the card's buttons changed on 接收
    assert "发给群众的消息" in (await near.expect_message()).text
    await near.send("您好，我已联系教育局，下周答复。")
    relayed = await resident.expect_message()
    assert case.number in relayed.text and "下周答复" in relayed.text and "8021" not in relayed.text
    assert "已发送" in (await near.expect_message()).text
    await resident.press("➕ 补充", message=relayed)
    await resident.expect_message()
    await resident.send_photo(caption="这是那段山路")
    to_member = await near.expect_message()
    assert case.number in to_member.text and "这是那段山路" in to_member.text
    assert (await near.expect_message()).photo  # the photo itself follows
    await resident.expect_message()  # 已发送
    async with db.session() as session:
        directions = (await session.exec(select(CaseMessage.direction).order_by(CaseMessage.id))).all()
    assert directions == ["to_resident", "to_member"]

    # 办结 with a result and 3 人次; the resident confirms and rates
    await near.press("🏁 办结", message=to_member)
    assert "办理结果" in (await near.expect_message()).text
    await near.send("已协调开通校车，每天两趟。")
    assert "人次" in (await near.expect_message()).text
    await near.send("3")
    assert "等待群众确认" in (await near.expect_message()).text
    result = await resident.expect_message()
    assert "已协调开通校车" in result.text and result.buttons[0] == ["👍 已解决", "👎 未解决"]
    rating = await press(resident, "👍 已解决", result)
    await press(resident, "⭐⭐⭐⭐⭐", rating)
    assert "5 分" in resident.last_message.text
    assert "已计入您的履职记录" in (await near.expect_message()).text
    (case,) = await cases(db)
    assert case.status is CaseStatus.confirmed and case.rating == 5 and case.solved is True
    async with db.session() as session:
        (activity,) = (await session.exec(select(Activity).where(Activity.case_id == case.id))).all()
    assert activity.kind == "practical_help" and activity.people == 3 and activity.member_id == handler.id
    assert await timeline(db, case.id) == ["submit", "route", "accept", "resolve", "confirm"]

    # /mycases shows it with its timeline, in plain words
    await resident.send("/mycases")
    listing = await resident.expect_message()
    assert case.number in listing.text and "已确认解决" in listing.text
    detail = await press(resident, f"{case.number} 已确认解决", listing)
    assert "提交诉求" in detail.text and "系统分派" in detail.text and "确认解决" in detail.text


async def test_reopen_transfer_and_decline(fake, db, members, settings) -> None:
    near, wide = members
    admin = fake.user(ADMIN_ID, first_name="管理员")
    resident = fake.user(9102, first_name="王")
    await press(resident, "确认提交", await file_request(resident, phone=None, photos=0))
    (case,) = await cases(db)
    card = await near.expect_message()
    # 转交 to the next candidate (尹伟文, same sector, province-wide) with a reason
    targets = await press(near, "↪ 转交", card)
    assert "尹伟文" in targets.buttons[0][0]
    assert "转交原因" in (await press(near, targets.buttons[0][0], targets)).text
    await near.send("我下周出差，请尹委员帮忙")
    assert "已转交" in (await near.expect_message()).text
    moved = await wide.expect_message()
    assert case.number in moved.text
    assert "改由 尹伟文" in (await resident.expect_message()).text
    # the first member's old buttons no longer act on the case
    await near.press("✅ 接收", message=card)
    assert "无权" in (await near.expect_answer()).text
    # 无法办理 with a reason: nobody else of the sector is left → the staff get it with candidates
    farmer = await bind(fake, db, 8020, "GS0020", "阎俊")  # 农业界: not for 教育, but someone staff may pick
    await wide.press("🚫 无法办理", message=moved)
    await wide.expect_message()
    await wide.send("不在我的联系范围")
    assert "已退回" in (await wide.expect_message()).text
    staff = await admin.expect_message()
    assert case.number in staff.text and "没有合适的委员" in staff.text
    assert "等待协调员分派" in (await resident.expect_message()).text
    assert await timeline(db, case.id) == ["submit", "route", "transfer", "decline", "escalate"]
    # staff assign by hand from the engine's candidates (any sector now)
    assert staff.buttons, staff.describe()
    await admin.press(staff.buttons[0][0], message=staff)
    assert "已把诉求件" in (await admin.expect_message()).text
    assert case.number in (await farmer.expect_message()).text
    assert "阎俊" in (await resident.expect_message()).text
    (case,) = await cases(db)
    assert case.status is CaseStatus.routed and case.member_id is not None
    assert await timeline(db, case.id) == ["submit", "route", "transfer", "decline", "escalate", "assign"]


async def test_unsolved_reopens_to_the_same_member_and_tells_the_staff(fake, db, members, settings) -> None:
    near, _ = members
    admin = fake.user(ADMIN_ID, first_name="管理员")
    resident = fake.user(9103, first_name="赵")
    await press(resident, "确认提交", await file_request(resident, phone=None, photos=0))
    card = await near.expect_message()
    await press(near, "✅ 接收", card)
    await resident.expect_message()
    await near.press("🏁 办结", message=card)
    await near.expect_message()
    await near.send("已经沟通过了，请等待。")
    await near.expect_message()
    await near.press("1 人次")
    await near.expect_message()
    result = await resident.expect_message()
    assert "重新办理" in (await press(resident, "👎 未解决", result)).text
    reopened = await near.expect_message()
    assert "未解决" in reopened.text and "🏁 办结" in [b for row in reopened.buttons for b in row]
    assert "退回重新办理" in (await admin.expect_message()).text
    (case,) = await cases(db)
    assert case.status is CaseStatus.reopened and case.reopen_count == 1 and case.member_id is not None
    async with db.session() as session:
        assert (await session.exec(select(Activity.id).where(Activity.case_id == case.id))).all() == []


async def test_forged_buttons_for_other_peoples_cases_are_refused(fake, db, members, settings) -> None:
    near, wide = members
    resident = fake.user(9104, first_name="钱")
    other = fake.user(9105, first_name="孙")
    await other.send("/start")
    await other.expect_message()
    await press(resident, "确认提交", await file_request(resident, phone="13912345678", photos=0))
    (case,) = await cases(db)
    card = await near.expect_message()
    for data in (f"case:acc:{case.id}:0", f"case:res:{case.id}:0", f"case:rep:{case.id}:0", f"case:v:{case.id}:0"):
        await wide.press_data(data, message=wide.last_message)
        answer = await wide.expect_answer()
        assert "不是您的" in answer.text or "无权" in answer.text, (data, answer.text)
    for data in (f"case:ok:{case.id}:0", f"case:rate:{case.id}:5", f"case:add:{case.id}:0", f"case:v:{case.id}:0",
                 f"case:asg:{case.id}:{case.member_id}"):
        await other.press_data(data, message=other.last_message)
        answer = await other.expect_answer()
        assert "不是您的" in answer.text or "无权" in answer.text or "没有使用此功能的权限" in answer.text, (data, answer)
    for data in ("case:acc:99999999999999999999999:0", "case:ok:²:0", "case:rate:1:9", "case:zz:1:0"):
        await other.press_data(data, message=other.last_message)
        assert (await other.expect_answer()).text
    (after,) = await cases(db)
    assert after.status is CaseStatus.routed and after.member_id == case.member_id and after.rating is None
    assert await timeline(db, case.id) == ["submit", "route"]
    await near.expect_silence()
    assert card.buttons[0] == ["✅ 接收"]


async def test_phone_is_shown_only_with_consent(fake, db, members) -> None:
    near, _ = members
    resident = fake.user(9106, first_name="周")
    await press(resident, "确认提交", await file_request(resident, phone="13912345678", consent=True, photos=0))
    card = await near.expect_message()
    assert "13912345678" in card.text


async def test_member_link_routes_straight_to_that_member(fake, db, members) -> None:
    near, wide = members
    async with db.session() as session:
        wide_id = (await session.exec(select(Member.id).where(Member.number == "GS0050"))).one()
        token = await member_link_token(session, member_id=wide_id)
        await session.commit()
    resident = fake.user(9107, first_name="吴")
    await resident.send(f"/start {link_payload(token)}")
    assert "尹伟文" in (await resident.expect_message()).text
    await resident.expect_message()  # the welcome
    card = await file_request(resident, phone=None, photos=0)  # from 合作市, where 孙凯凯 would be nearer
    assert "尹伟文" in (await press(resident, "确认提交", card)).text
    (case,) = await cases(db)
    assert case.member_id == wide_id and case.via_member_link
    assert case.number in (await wide.expect_message()).text


async def test_duplicate_is_held_and_daily_limit_refused(fake, db, roster, runner, database_url) -> None:
    settings = make_settings(database_url, fake, max_requests_per_day=2)
    await runner.start(settings)
    await bind(fake, db, 8021, "GS0021", "孙凯凯")
    resident = fake.user(9108, first_name="郑")
    await press(resident, "确认提交", await file_request(resident, phone=None, photos=0))
    card = await file_request(resident, phone=None, photos=0, description=DESCRIPTION + " ")
    held = await press(resident, "确认提交", card)
    assert "相似的诉求" in held.text and len(await cases(db)) == 1
    back = await press(resident, "返回修改", held)
    assert "请确认诉求信息" in back.text
    await resident.press("确认提交", message=back)
    again = await resident.expect_message()
    assert "相似的诉求" in again.text
    assert "已提交" in (await press(resident, "仍要提交", again)).text
    assert len(await cases(db)) == 2
    await press(resident, "确认提交", await file_request(resident, phone=None, photos=0,
                                                     description="村口的路灯坏了三个月，晚上出行很不方便。"))
    assert "每天最多 2 件" in resident.last_message.text and len(await cases(db)) == 2


async def test_double_press_of_submit_creates_one_case(fake, db, members) -> None:
    resident = fake.user(9109, first_name="冯")
    card = await file_request(resident, phone=None, photos=0)
    data = card.button_data["确认提交"]
    await resident.press_data(data, message=card)
    await resident.press_data(data, message=card)
    assert "已提交" in (await resident.expect_message()).text
    await resident.expect_edit()  # the card shows the choice once
    await resident.expect_silence(0.5)
    # the second press is answered with a toast, not a message: wait for it (a slow commit under load
    # can keep it waiting behind the first past the half second of silence)
    stale = await fake._wait_for(
        lambda: next((a for a in fake.callback_answers.values() if a.text and "已失效" in a.text), None), 5)
    assert stale is not None and "已失效" in getattr(stale, "text", ""), [a.text for a in fake.callback_answers.values()]
    assert len(await cases(db)) == 1


async def test_request_form_restart_mid_form_and_bad_inputs(fake, db, roster, runner, settings) -> None:
    first = await runner.start(settings)
    await bind(fake, db, 8021, "GS0021", "孙凯凯")
    resident = fake.user(9110, first_name="陈")
    await resident.send("/request")
    categories = await resident.expect_message()
    await resident.send("教育")  # typing at a button step
    assert "请点选" in (await resident.expect_message()).text
    await press(resident, "教育", categories)
    await resident.send("火星")  # one character too few is refused; an unknown place is kept as typed
    await resident.expect_message()
    await resident.send("/my")
    assert "您正在提交诉求" in (await resident.expect_message()).text
    await runner.stop(first, clean=False)
    await runner.start(settings)
    await resident.send("短")
    assert "10–2000" in (await resident.expect_message()).text
    await resident.send(DESCRIPTION)
    photos = await resident.expect_message()
    await resident.send("没有照片")
    assert "请发送照片" in (await resident.expect_message()).text
    await press(resident, "跳过", photos)
    await resident.expect_message()
    card = await press(resident, "跳过")
    assert "地点：火星" in card.text
    await press(resident, "确认提交", card)
    (case,) = await cases(db)
    assert case.place_text == "火星" and case.region_id is None


async def test_one_form_at_a_time_across_flows(fake, db, members) -> None:
    near, _ = members
    await near.send("/log")
    await near.expect_message()
    await near.send("/request")
    assert "您正在登记联系活动" in (await near.expect_message()).text
    await near.send("/cancel")
    await near.expect_message()
    await near.send("/request")
    await near.expect_message()
    await near.send("/log")
    assert "您正在提交诉求" in (await near.expect_message()).text


async def test_member_records_a_request_heard_in_person(fake, db, members) -> None:
    near, _ = members
    await near.send("/record")
    assert "反映人的姓名" in (await near.expect_message()).text
    await near.send("马大爷")
    await near.expect_message()
    await near.send("13800001111")
    categories = await near.expect_message()
    step = await press(near, "养老", categories)
    step = await press(near, "不确定 / 跳过", step)
    await near.send("老人独居，希望社区定期上门探访。")
    step = await near.expect_message()
    card = await press(near, "跳过", step)
    assert "反映人：马大爷（13800001111）" in card.text
    assert "由您本人办理" in (await press(near, "确认提交", card)).text
    (case,) = await cases(db)
    assert case.status is CaseStatus.accepted and case.requester_name == "马大爷" and case.resident_id is None
    await near.send("/cases")
    assert case.number in (await near.expect_message()).text


STEPS = ["category", "region", "region_deeper", "description", "photos", "contact", "consent", "card"]


@pytest.mark.parametrize("step", STEPS)
async def test_cancel_at_every_step_of_the_request_form(fake, db, members, step: str) -> None:
    resident = fake.user(9120 + STEPS.index(step), first_name="褚")

    async def cancel_here() -> None:
        await resident.send("/cancel")
        assert "本次诉求没有提交" in (await resident.expect_message()).text
        await resident.send("/cancel")  # nothing left open
        assert "当前没有进行中的操作" in (await resident.expect_message()).text
        assert await cases(db) == []

    await resident.send("/request")
    message = await resident.expect_message()
    if step == "category":
        return await cancel_here()
    message = await press(resident, "教育", message)
    if step == "region":
        return await cancel_here()
    message = await press(resident, "甘肃省", message)
    if step == "region_deeper":
        return await cancel_here()
    message = await press(resident, "✔ 就在甘肃省", message)
    if step == "description":
        return await cancel_here()
    await resident.send(DESCRIPTION)
    message = await resident.expect_message()
    if step == "photos":
        return await cancel_here()
    await press(resident, "跳过", message)
    await resident.expect_message()
    if step == "contact":
        return await cancel_here()
    await resident.share_contact("13912345678")
    await resident.expect_message()
    consent = await resident.expect_message()
    if step == "consent":
        return await cancel_here()
    card = await press(resident, "不允许（默认）", consent)
    assert "请确认诉求信息" in card.text
    await cancel_here()


async def test_the_card_shows_the_day_the_request_came_in_the_offices_time_zone(
        fake, db, roster, runner, settings) -> None:
    """07:04 on 7 December in Shanghai is still 6 December in UTC: the card says 提交：2026-12-07."""
    with time_machine.travel(datetime(2026, 12, 7, 7, 4, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True):
        await runner.start(settings)
        member = await bind(fake, db, 8021, "GS0021", "孙凯凯")
        resident = fake.user(9101, first_name="张")
        await press(resident, "确认提交", await file_request(resident, photos=0))
        card = await member.expect_message()
        assert "提交：2026-12-07" in card.text and "来源" not in card.text  # not from a reception day
        (case,) = await cases(db)
        await member.press_data(CaseButton(CaseAction.view, case.id).pack(), message=card)  # opened again
        assert "提交：2026-12-07" in (await member.expect_message()).text
