"""End to end: /laggards for a coordinator (their activity group only) and an admin (everyone), paging,
a personal nudge through the outbox once a day (in the member's /my), forged buttons refused and logged."""

from __future__ import annotations

import logging
import math
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.callbacks import LagAction, LagButton
from bot.services.rules import Quarter, local_today
from bot.texts import t
from models import Activity, ActivityGroup, Member, OutboxMessage, Reachability, utcnow
from tests.conftest import ADMIN_ID
from tests.support.scopes import grant_group_everywhere

TZ = ZoneInfo("Asia/Shanghai")
COORDINATOR = 880001
GROUPS = ("第2界别活动组", "第8界别活动组")  # 11 members each in the sample roster: pages of 10


def today() -> date:
    return local_today(utcnow(), TZ)


def expected_people(day: date, target: int = 40) -> int:
    days = (date(day.year, 12, 31) - date(day.year, 1, 1)).days + 1
    return math.ceil(target * day.timetuple().tm_yday / days - 1e-9)


async def seed(db) -> dict:
    """Group 2: one member well ahead (not lagging), one active only last quarter, one behind on pace only;
    some bound, one of them blocked. Returns what the test recounts from."""
    day = today()
    quarter = Quarter.of(day)
    earlier = quarter.first_day - timedelta(days=10)  # last quarter (last year in Q1: counts for no pace)
    async with db.session() as session:
        groups = (await session.exec(select(ActivityGroup.id).where(ActivityGroup.name.in_(GROUPS)))).all()
        members = (await session.exec(select(Member).where(Member.activity_group_id.in_(groups))
                                      .order_by(Member.number))).all()
        other = (await session.exec(select(Member).where(Member.activity_group_id.not_in(groups))
                                    .order_by(Member.number))).first()
        ahead, last_quarter, behind_pace = members[0], members[1], members[2]
        activities = [
            (ahead.id, day, 60),  # this quarter, far above any pace
            (last_quarter.id, earlier, 3),
            (behind_pace.id, day, 1),  # active this quarter, but 1 人次 is behind the pace (after 1 January)
        ]
        for member_id, when, people in activities:
            q = Quarter.of(when)
            session.add(Activity(member_id=member_id, kind="visit", activity_date=when, year=q.year, quarter=q.q,
                                 place="某社区", people=people, summary="走访群众", points=2.0))
        for i, member in enumerate(members[:6]):
            member.telegram_id = 610000 + i
            session.add(member)
        other.telegram_id = 619999
        session.add(other)
        session.add(Reachability(telegram_id=610004, blocked_at=utcnow(), updated_at=utcnow()))
        for name in GROUPS:  # the group on each of its committees
            await grant_group_everywhere(session, COORDINATOR, name)
        await session.commit()
        return {
            "group": [(m.id, m.number, m.name, m.telegram_id) for m in members],
            "other": (other.id, other.number, other.name),
            "activities": activities,
        }


def recount_laggards(data: dict, day: date) -> dict[str, date | None]:
    """Independently: number -> last activity date, for group members with nothing this quarter or behind pace."""
    quarter = Quarter.of(day)
    expected = expected_people(day)
    lagging = {}
    for member_id, number, _, _ in data["group"]:
        mine = [(when, people) for mid, when, people in data["activities"] if mid == member_id]
        in_quarter = [w for w, _ in mine if Quarter.of(w) == quarter]
        year_people = sum(p for w, p in mine if w.year == day.year)
        if not in_quarter or year_people < expected:
            lagging[number] = max((w for w, _ in mine), default=None)
    return lagging


async def test_coordinator_sees_their_group_pages_and_nudges_once(fake, db, roster, app, caplog) -> None:
    data = await seed(db)
    day = today()
    lagging = recount_laggards(data, day)
    assert 20 <= len(lagging) <= 30  # two or three pages (the pace member lags from 10 January on)
    names = {number: name for _, number, name, _ in data["group"]}
    coordinator = fake.user(COORDINATOR, first_name="王协调")
    await coordinator.send("/laggards")
    first = await coordinator.expect_message()
    assert f"共 {len(lagging)} 位，第 1–10 位" in first.text
    other_number = data["other"][1]
    assert other_number not in first.text  # another group's member is never listed
    assert data["group"][0][1] not in first.text  # the member who is ahead
    listed = sorted(lagging)[:10]
    assert "应达进度" in first.text.split("\n")[1]  # what the pace figure is, once, under the header
    lines = first.text.split("\n")[2:]
    entries = [lines[i:i + 3] for i in range(0, len(lines), 3)]  # name, how far behind, last activity
    assert [next(n for n in lagging if n in entry[0]) for entry in entries] == listed
    for entry, number in zip(entries, listed):
        last = lagging[number]
        assert names[number] in entry[0]
        assert f"最近活动：{last.isoformat() if last else '今年及以前都没有'}" in entry[2]
    # last activity dates and reachability, per member
    last_quarter_member = data["group"][1][1]
    assert lagging[last_quarter_member] is not None
    assert f"最近活动：{lagging[last_quarter_member].isoformat()}" in first.text
    # bound (610001…610005) and not blocked (610004 is) get a nudge button; the rest do not
    nudgeable = {number for _, number, _, tg in data["group"] if tg is not None and tg != 610004 and number in lagging}
    buttons = [b for row in first.buttons for b in row if b.startswith("🔔")]
    assert sorted(b.split(". ", 1)[1] for b in buttons) == sorted(names[n] for n in nudgeable if n in listed)
    assert first.text.count("已屏蔽机器人，无法提醒") == (1 if data["group"][4][1] in listed else 0)
    # the second page
    await coordinator.press("下一页", message=first)
    await coordinator.expect_answer()
    second = await coordinator.expect_edit()
    assert "第 11–20 位" in second.text
    for number in sorted(lagging)[10:20]:
        assert number in second.text
    await coordinator.press("上一页", message=second)
    await coordinator.expect_answer()
    back = await coordinator.expect_edit()
    assert "第 1–10 位" in back.text

    # a nudge: through the outbox to the member, once today
    target_id, target_number, target_name, target_tg = data["group"][1]
    target = fake.user(target_tg)
    await coordinator.press(next(b for b in buttons if b.endswith(target_name)), message=back)
    answer = await coordinator.expect_answer()
    assert answer.show_alert and f"已向 {target_name} 发送提醒" in answer.text
    nudge = await target.expect_message(timeout=15)
    assert "联络员 王协调 提醒您" in nudge.text and "本季度还没有登记联系活动" in nudge.text
    assert nudge.buttons == [["📝 登记联系活动"]]
    await coordinator.press(next(b for b in buttons if b.endswith(target_name)), message=back)
    again = await coordinator.expect_answer()
    assert "今天已经提醒过" in again.text
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == target_tg))).all()
    assert [r.key for r in rows] == [f"remind:{target_id}:{Quarter.of(day).label}:nudge:{day.isoformat()}"]
    await target.expect_silence(0.5)
    # it shows in the member's /my like any reminder
    await target.send("/my")
    my = await target.expect_message()
    assert "联络员提醒：已发送" in my.text

    # forged: a nudge for a member of another group is refused, logged, and writes nothing
    caplog.set_level(logging.WARNING)
    forged = LagButton(LagAction.nudge, data["other"][0], 0).pack()
    await coordinator.press_data(forged, message=back)
    refused = await coordinator.expect_answer()
    assert "不在您的管理范围内" in refused.text
    assert any("越权" in r.getMessage() and forged in r.getMessage() for r in caplog.records)
    async with db.session() as session:
        assert (await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == 619999))).all() == []
    await coordinator.press_data(LagButton(LagAction.nudge, 10**15, 0).pack(), message=back)  # beyond any id
    assert "不在您的管理范围内" in (await coordinator.expect_answer()).text
    # a member who is no longer lagging is not nudged
    ahead_id = data["group"][0][0]
    await coordinator.press_data(LagButton(LagAction.nudge, ahead_id, 0).pack(), message=back)
    assert "已不再落后" in (await coordinator.expect_answer()).text
    # malformed data is a stale button, not an error
    await coordinator.press_data("lag:n:0:0", message=back)
    assert (await coordinator.expect_answer()).text == t("stale_button")


async def test_admin_sees_everyone_and_others_are_refused(fake, db, roster, app, caplog) -> None:
    data = await seed(db)
    day = today()
    async with db.session() as session:
        everyone = (await session.exec(select(Member.id, Member.number).where(Member.active.is_(True)))).all()
        activity = (await session.exec(select(Activity.member_id, Activity.activity_date, Activity.people)
                                       .where(Activity.deleted_at.is_(None)))).all()
    quarter, expected = Quarter.of(day), expected_people(day)
    lagging = 0
    for member_id, _ in everyone:
        mine = [(w, p) for mid, w, p in activity if mid == member_id]
        if not any(Quarter.of(w) == quarter for w, _ in mine) or sum(p for w, p in mine if w.year == day.year) < expected:
            lagging += 1
    admin = fake.user(ADMIN_ID)
    await admin.send("/laggards")
    page = await admin.expect_message()
    assert f"共 {lagging} 位，第 1–10 位" in page.text and "全部委员" in page.text
    # the admin may nudge the other group's member (bound, lagging)
    await admin.press_data(LagButton(LagAction.nudge, data["other"][0], 0).pack(), message=page)
    assert f"已向 {data['other'][2]} 发送提醒" in (await admin.expect_answer()).text

    # someone without a role: the command and a forged page button are refused, the button logged
    caplog.set_level(logging.WARNING)
    nobody = fake.user(777555)
    await nobody.send("/laggards")
    assert "没有使用此功能的权限" in (await nobody.expect_message()).text
    coordinator_page = LagButton(LagAction.page, 10, 10).pack()
    await nobody.send("/start")
    await nobody.expect_messages(1)
    await nobody.press_data(coordinator_page, message=nobody.last_message)
    assert "没有使用此功能的权限" in (await nobody.expect_answer()).text
    assert any("越权" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("data", ["lag:n:1:x", "lag:p:10:0", "lag:q:1:0", "lag:n:99999999999999999999:0"])
def test_lag_button_codec_refuses_malformed_data(data: str) -> None:
    assert LagButton.parse(data) is None


def test_lag_button_round_trip() -> None:
    for button in (LagButton(LagAction.page, 20, 20), LagButton(LagAction.nudge, 123, 10)):
        assert LagButton.parse(button.pack()) == button
