"""End to end: editing an activity made from a reception day, through the fake Bot API. Its kind, date and
place are the day's: the edit form does not offer them, and a forged button for one is refused; 人次 below
the check-ins is refused at the 人次 step. An edit that makes a flagged activity worse drops the
coordinator's 已核实 mark: the flag is listed again, open, in /queue and in the report's 存疑活动 sheet."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import select

from bot.callbacks import FormButton
from bot.context import LianxinContext
from bot.services.reminders import DutyPolicy
from bot.services.report import quarter_stats, render_report
from bot.services.rules import Quarter, local_today
from bot.services.scopes import Scope
from models import (
    Activity,
    ActivityFlagMark,
    AuditEvent,
    Member,
    ReceptionCheckin,
    Region,
    RoleGrant,
    ScopeKind,
    utcnow,
)
from scheduler.checkin import send_cards
from tests.conftest import bind
from tests.support.case_flows import press
from tests.support.receptions import reception_day, residents

TZ = ZoneInfo("Asia/Shanghai")
STATION = "合作市坚木克尔街委员工作站"
SUMMARY = "接待群众反映校车和上学路问题，现场解答政策。"
COORDINATOR = 778301


async def day_activity(fake, db, app, *, checkins: int, walk_ins: int, forge: bool = False):
    """The member on duty (GS0021) and the activity their reception day became through its card: `checkins`
    people checked in at the door, `walk_ins` typed (`forge`: a forged 类型 button on the card refused first).
    Returns (the member's chat, the activity)."""
    member = await bind(fake, db, 8021, "GS0021", "孙凯凯")
    now = utcnow()
    day = await reception_day(db, starts=now - timedelta(hours=5), ends=now - timedelta(hours=4))
    async with db.session() as session:
        session.add_all([ReceptionCheckin(reception_id=day.reception_id, resident_id=r,
                                          checked_in_at=now - timedelta(hours=4, minutes=30))
                         for r in await residents(db, checkins)])
        await session.commit()
    await send_cards(LianxinContext(app))
    card = await member.expect_message(timeout=15)
    await member.press("📝 补充并提交", message=card)
    await member.expect_messages(2)
    await member.send(SUMMARY)
    await member.expect_message()
    await member.send(str(walk_ins))
    confirm = await press(member, "跳过", await member.expect_message())
    if forge:
        fields = await press(member, "修改", confirm)
        assert fields.buttons == [["内容", "未扫码人次", "照片"], ["返回"]]
        nonce = FormButton.parse(fields.button_data["内容"], "log").nonce
        await member.press_data(FormButton("log", nonce, "field", "kind").pack(), message=fields)
        assert "以接待日为准" in (await member.expect_answer()).text
        confirm = await press(member, "返回", fields)
        assert "类型：委员接待日" in confirm.text
    assert "已保存" in (await press(member, "确认提交", confirm)).text
    async with db.session() as session:
        (activity,) = (await session.exec(select(Activity))).all()
    assert (activity.people, activity.verified_people) == (checkins + walk_ins, checkins)
    return member, activity


async def open_edit(member, activity: Activity):
    """/my → 查看/修改 → 编辑: the edit card."""
    await member.send("/my")
    await member.expect_message()
    await member.press(f"#{activity.id} {activity.activity_date:%m-%d} 查看/修改")
    await member.expect_message()
    await member.press("编辑")
    return await member.expect_message()


async def test_a_reception_days_activity_keeps_its_day_and_check_ins(fake, db, roster, app) -> None:
    member, activity = await day_activity(fake, db, app, checkins=4, walk_ins=2, forge=True)
    card = await open_edit(member, activity)
    assert f"修改活动 #{activity.id}" in card.text and "人次：6（其中扫码核实 4 人次）" in card.text
    await member.press("修改", message=card)
    fields = await member.expect_message()
    # kind, date and place are the day's: not offered
    assert fields.buttons == [["人次", "内容", "照片"], ["返回"]]
    # a forged button for one of them: refused with the reason, nothing changes, the step stays
    nonce = FormButton.parse(fields.button_data["人次"], "log").nonce
    for name in ("kind", "date", "place"):
        await member.press_data(FormButton("log", nonce, "field", name).pack(), message=fields)
        refused = await member.expect_answer()
        assert "类型、日期和地点以接待日为准" in refused.text, name
    await member.expect_silence(0.5)
    # 人次 below the check-ins: refused at the step, with the reason, and asked again
    await member.press("人次", message=fields)
    assert "联系了多少人次" in (await member.expect_message()).text
    await member.send("3")
    refusal, again = await member.expect_messages(2)
    assert refusal.text == "这条活动有 4 人次是扫码签到核实的，人次不能少于 4。"
    assert "联系了多少人次" in again.text
    await member.send("4")
    back = await member.expect_message()
    assert "人次：4（其中扫码核实 4 人次）" in back.text and f"地点：{STATION}" in back.text
    assert "已修改" in (await press(member, "确认提交", back)).text
    async with db.session() as session:
        stored = await session.get(Activity, activity.id)
    assert (stored.kind, stored.activity_date, stored.place, stored.people, stored.verified_people,
            stored.reception_id) == ("reception_day", activity.activity_date, STATION, 4, 4, activity.reception_id)


async def test_an_edit_that_makes_a_flag_worse_reopens_it(fake, db, roster, app) -> None:
    member, activity = await day_activity(fake, db, app, checkins=2, walk_ins=25)
    async with db.session() as session:
        path = (await session.exec(select(Region.path).join(Member, Member.region_id == Region.id)
                                   .where(Member.id == activity.member_id))).one()
        session.add(RoleGrant(telegram_id=COORDINATOR, scope_kind=ScopeKind.region, scope_value=path))
        await session.commit()
    coordinator = fake.user(COORDINATOR, first_name="协调员")

    async def flags():
        await coordinator.send("/queue")
        queue = await coordinator.expect_message()
        await coordinator.press("⚠️ 存疑活动", message=queue)
        return await coordinator.expect_edit()

    listed = await flags()
    assert "未扫码补录 25 人次，远多于扫码签到 2 人次" in listed.text and "共 1 条" in listed.text
    await coordinator.press("✅ 1 已核实", message=listed)
    assert "已标为已核实" in (await coordinator.expect_answer()).text
    assert "共 1 条" not in (await coordinator.expect_edit()).text

    # the member makes it worse: 人次 27 → 100
    card = await open_edit(member, activity)
    await member.press("修改", message=card)
    await member.press("人次", message=await member.expect_message())
    await member.expect_message()
    await member.send("100")
    assert "已修改" in (await press(member, "确认提交", await member.expect_message())).text

    # the check made at 25 walk-ins approves nothing at 98: listed again, open
    again = await flags()
    assert "未扫码补录 98 人次，远多于扫码签到 2 人次" in again.text and "共 1 条" in again.text
    assert "〔" not in again.text and again.buttons[0] == ["✅ 1 已核实", "❓ 1 存疑"]
    async with db.session() as session:
        marks = (await session.exec(select(ActivityFlagMark))).all()
        audits = (await session.exec(select(AuditEvent.action, AuditEvent.detail)
                                     .where(AuditEvent.action.in_(["activity.flag", "activity.flag_clear"]))
                                     .order_by(AuditEvent.id))).all()
    assert marks == []
    assert [tuple(a) for a in audits] == [("activity.flag", "walk:verified"), ("activity.flag_clear", "walk:verified")]

    # the report's 存疑活动 sheet: the flag at 98, not checked
    today = local_today(utcnow(), TZ)
    async with db.session() as session:
        stats = await quarter_stats(session, quarter=Quarter.of(today), today=today, policy=DutyPolicy(tz=TZ),
                                    scopes=[Scope(ScopeKind.region, path)])
    sheet = load_workbook(io.BytesIO(render_report(stats, kind_names={"reception_day": "委员接待日"}).xlsx))["存疑活动"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    (row,) = [r for r in rows[2:-1] if r[7] and str(r[7]).startswith("未扫码补录")]
    assert row[7] == "未扫码补录 98 人次，远多于扫码签到 2 人次" and row[4] == 100
    assert not str(row[8]).startswith("已核实")
