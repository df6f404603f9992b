"""End to end: /my with quarter switch and paging, edit and delete inside/outside the window, /archive."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import select

from bot.services.activities import ActivityInput, ActivityPolicy, save_activity
from bot.services.rules import Quarter, local_today
from models import Activity, AuditEvent, Member, utcnow
from tests.conftest import bind

KINDS = {"visit": 2.0, "reception_day": 3.0, "consultation": 3.0, "practical_help": 3.0, "policy_explainer": 2.0,
         "inspection": 3.0, "public_opinion": 2.0, "sector_activity": 2.0, "other": 1.0}


@pytest.fixture
async def member(fake, db, roster, app):
    return await bind(fake, db, 5001, "GS0003", "胡刚")


async def member_id(db, number: str = "GS0003") -> int:
    async with db.session() as session:
        return (await session.exec(select(Member.id).where(Member.number == number))).one()


async def add(db, mid: int, *, day: date, people: int = 5, kind: str = "visit", place: str = "祁连村") -> Activity:
    async with db.session() as session:
        activity = await save_activity(
            session, member_id=mid, data=ActivityInput(kind, day, place, people, f"{place}走访记录，{people}人次"),
            policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=day,
        )
        await session.commit()
        return activity


async def add_historic(db, mid: int, day: date, people: int, kind: str = "visit") -> None:
    """A row from an earlier quarter, as if logged back then."""
    q = Quarter.of(day)
    async with db.session() as session:
        session.add(Activity(member_id=mid, kind=kind, activity_date=day, year=q.year, quarter=q.q, place="老地方",
                             people=people, summary="往季度的活动记录", points=KINDS[kind]))
        await session.commit()


def today() -> date:
    from zoneinfo import ZoneInfo

    return local_today(utcnow(), ZoneInfo("Asia/Shanghai"))


async def test_my_standing_paging_and_quarter_switch(fake, db, member) -> None:
    mid = await member_id(db)
    day = today()
    for n in range(7):
        await add(db, mid, day=day, people=n + 1, place=f"地点{n}")
    current = Quarter.of(day)
    await add_historic(db, mid, current.prev().first_day, 10)
    # a peer in the same activity group with more points ranks first
    peer = await member_id(db, "GS0019")
    async with db.session() as session:
        me = await session.get(Member, mid)
        await session.exec(update(Member).where(Member.id == peer).values(
            activity_group_id=me.activity_group_id, level=me.level, region_id=me.region_id))
        await session.commit()
    await add(db, peer, day=day, people=1, kind="inspection")
    for _ in range(6):
        await add(db, peer, day=day, people=1, kind="inspection", place=f"peer{_}")

    await member.send("/my")
    my = await member.expect_message()
    people_this_year = sum(range(1, 8)) + (10 if current.prev().year == current.year else 0)
    assert current.cn_label in my.text
    assert "本季度活动：7 次（要求 ≥1）✅" in my.text and "本季度人次：28" in my.text
    assert f"联系群众：{min(people_this_year, 999)}/40 人次" in my.text
    assert "排名第 2/" in my.text  # the peer has 21 points, we have 14 (+2)
    assert "第 1–5 条，共 8 条" in my.text
    assert my.buttons[0] == ["◀ 上一季度"]  # no "next" beyond the current quarter
    await member.press("下一页")
    page2 = await member.expect_edit()
    assert "第 6–8 条，共 8 条" in page2.text and "上一页" in [b for row in page2.buttons for b in row]
    await member.press("◀ 上一季度")
    previous = await member.expect_edit()
    assert current.prev().cn_label in previous.text and "该季度活动：1 次" in previous.text
    assert "全年活动：8 次" in previous.text
    assert "下一季度 ▶" in previous.buttons[0]
    # forged navigation data gets an answer, not silence
    await member.press_data("my:q:garbage:0")
    assert "已失效" in (await member.expect_answer()).text


async def test_view_edit_and_delete_inside_the_window(fake, db, member) -> None:
    mid = await member_id(db)
    activity = await add(db, mid, day=today(), people=12)
    await member.send("/my")
    await member.expect_message()
    await member.press(f"#{activity.id} {activity.activity_date:%m-%d} 查看/修改")
    detail = await member.expect_message()
    assert f"活动 #{activity.id}" in detail.text and "人次：12" in detail.text and "可在" in detail.text
    await member.press("编辑")
    card = await member.expect_message()
    assert f"修改活动 #{activity.id}" in card.text and "人次：12" in card.text
    await member.press("修改")
    await member.expect_message()
    await member.press("人次")
    await member.expect_message()
    await member.send("20")
    await member.expect_message()
    await member.press("确认提交")
    done = await member.expect_message()
    assert f"活动 #{activity.id} 已修改" in done.text and "联系群众：20/40" in done.text
    async with db.session() as session:
        stored = await session.get(Activity, activity.id)
        audit = (await session.exec(select(AuditEvent).where(AuditEvent.action == "activity.edit"))).one()
    assert stored.people == 20 and audit.entity_id == str(activity.id)
    assert len(await db_activities(db)) == 1  # edited, not duplicated

    await member.press("删除", message=detail)
    confirm = await member.expect_message()
    assert "确定删除" in confirm.text
    await member.press("确认删除")
    assert "已删除" in (await member.expect_edit()).text
    async with db.session() as session:
        stored = await session.get(Activity, activity.id)
        audits = (await session.exec(select(AuditEvent.action).where(AuditEvent.entity == "activity"))).all()
    assert stored.deleted_at is not None and "activity.delete" in audits
    await member.send("/my")
    assert "本季度活动：0 次" in (await member.expect_message()).text
    # the deleted activity cannot be opened again
    await member.press("编辑", message=detail)
    assert "没有找到" in (await member.expect_answer()).text


async def db_activities(db) -> list[Activity]:
    async with db.session() as session:
        return list((await session.exec(select(Activity).where(Activity.deleted_at.is_(None)))).all())


async def test_locked_after_the_window(fake, db, member) -> None:
    mid = await member_id(db)
    activity = await add(db, mid, day=today())
    async with db.session() as session:
        await session.exec(
            update(Activity).where(Activity.id == activity.id).values(created_at=utcnow() - timedelta(days=7, seconds=1))
        )
        await session.commit()
    await member.send("/my")
    await member.expect_message()
    await member.press(f"#{activity.id} {activity.activity_date:%m-%d} 查看")  # no longer "查看/修改"
    detail = await member.expect_message()
    assert "已锁定" in detail.text and detail.inline_keyboard == []
    # buttons from before the lock (or forged ones) are refused
    for data in (f"act:edit:{activity.id}", f"act:del:{activity.id}", f"act:delok:{activity.id}"):
        await member.press_data(data, message=detail.message_id - 1)
        answer = await member.expect_answer()
        assert "已锁定" in answer.text or "已超过" in answer.text, (data, answer.text)
    async with db.session() as session:
        assert (await session.get(Activity, activity.id)).deleted_at is None


async def test_someone_elses_activity_is_not_reachable(fake, db, member) -> None:
    other = await member_id(db, "GS0004")
    theirs = await add(db, other, day=today())
    await member.send("/my")
    my = await member.expect_message()
    for data in (f"act:view:{theirs.id}", f"act:edit:{theirs.id}", f"act:delok:{theirs.id}"):
        await member.press_data(data, message=my)
        assert "没有找到" in (await member.expect_answer()).text, data
    async with db.session() as session:
        assert (await session.get(Activity, theirs.id)).deleted_at is None


async def test_archive_xlsx_rows_and_totals(fake, db, member) -> None:
    mid = await member_id(db)
    await member.send("/archive")
    assert "暂无履职档案" in (await member.expect_message()).text
    current = Quarter.of(today())
    await add_historic(db, mid, current.prev().first_day, 10, kind="inspection")
    first = await add(db, mid, day=today(), people=12, kind="consultation")
    await add(db, mid, day=today(), people=3, kind="visit", place="临夏东岗社区")
    gone = await add(db, mid, day=today(), people=99, place="删掉的")
    async with db.session() as session:
        await session.exec(update(Activity).where(Activity.id == gone.id).values(deleted_at=utcnow()))
        await session.commit()
    await member.send("/archive")
    document = await member.expect_message()
    assert document.document_name.startswith("履职档案_GS0003_") and document.document_name.endswith(".xlsx")
    assert "共 3 次活动，25 人次，8 积分" in document.caption
    rows = list(load_workbook(io.BytesIO(document.document_bytes)).active.iter_rows(values_only=True))
    assert rows[0][0].startswith("胡刚（GS0003）履职档案 · 界别：") and " · 生成于 " in rows[0][0]
    header = rows.index(("季度", "编号", "日期", "活动类型", "地点/单位", "人次", "其中扫码核实", "积分", "照片数", "活动内容"))
    body = rows[header + 1 :]
    assert body[0][:8] == (current.prev().label, body[0][1], body[0][2], "调研视察", "老地方", 10, 0, 3)
    assert body[1] == (f"{current.prev().label} 小计", "1 次", None, None, None, 10, 0, 3, None, None)
    assert body[2][3:8] == ("协商议事", "祁连村", 12, 0, 3) and body[2][1] == first.id
    assert body[4][:8] == (f"{current.label} 小计", "2 次", None, None, None, 15, 0, 5)
    assert body[5][:8] == ("合计", "3 次", None, None, None, 25, 0, 8)
    assert all("删掉的" not in str(cell) for row in rows for cell in row)


async def test_edit_after_the_grace_period_keeps_the_old_date(fake, db, member) -> None:
    """Logged into the previous quarter during the grace days; a later typo fix must still save."""
    mid = await member_id(db)
    previous = Quarter.of(today()).prev()
    await add_historic(db, mid, previous.last_day, 6)
    async with db.session() as session:
        activity = (await session.exec(select(Activity))).one()
    await member.press_data(f"act:edit:{activity.id}", message=(await _my(member)))
    card = await member.expect_message()
    assert f"修改活动 #{activity.id}" in card.text
    await member.press("修改")
    await member.expect_message()
    await member.press("内容")
    await member.expect_message()
    await member.send("改正后的活动内容描述")
    await member.expect_message()
    await member.press("确认提交")
    assert "已修改" in (await member.expect_message()).text
    async with db.session() as session:
        stored = await session.get(Activity, activity.id)
    assert stored.summary == "改正后的活动内容描述" and stored.activity_date == previous.last_day


async def _my(member):
    await member.send("/my")
    return await member.expect_message()


async def test_archive_cells_are_text_never_formulas(fake, db, member) -> None:
    mid = await member_id(db)
    async with db.session() as session:
        await save_activity(
            session, member_id=mid,
            data=ActivityInput("visit", today(), "=HYPERLINK(\"http://x\")", 3, "=1+1 开会讨论\x0b"),
            policy=ActivityPolicy(kind_points=KINDS, grace_days=0), today=today(),
        )
        await session.commit()
    await member.send("/archive")
    document = await member.expect_message()
    sheet = load_workbook(io.BytesIO(document.document_bytes)).active
    values = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert {c.value for c in values} == {"=HYPERLINK(\"http://x\")", "=1+1 开会讨论"}
    assert all(c.data_type == "s" for c in values)
