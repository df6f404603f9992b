"""The rules behind /laggards and /broadcast, called directly: scope, once per day, the audience, the tally."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.services import broadcasts, outbox
from bot.services.outreach import OutOfScope, laggard_page, lagging, nudge, nudge_key
from bot.services.reminders import DutyPolicy, Occasion, reminder_history
from bot.services.rules import Quarter
from models import Activity, ActivityGroup, Broadcast, Member, OutboxMessage, OutboxStatus, Reachability
from tests.conftest import ADMIN_ID
from tests.support.scopes import group_everywhere

TZ = ZoneInfo("Asia/Shanghai")
POLICY = DutyPolicy(tz=TZ, admin_ids=(ADMIN_ID,))
DAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
GROUP_NAME = "第3界别活动组"


async def setup(db) -> dict:
    """Group 3 (8 members): the first is ahead, the second active last quarter; all bound, the third blocked."""
    async with db.session() as session:
        group = (await session.exec(select(ActivityGroup).where(ActivityGroup.name == GROUP_NAME))).one()
        members = (await session.exec(select(Member).where(Member.activity_group_id == group.id)
                                      .order_by(Member.number))).all()
        outsider = (await session.exec(select(Member).where(Member.activity_group_id != group.id)
                                       .order_by(Member.id))).first()
        for i, member in enumerate([*members, outsider]):
            member.telegram_id = 630000 + i
            session.add(member)
        for member_id, day, people in ((members[0].id, DAY, 60), (members[1].id, date(2026, 9, 3), 2),
                                       (members[1].id, date(2026, 8, 1), 1), (outsider.id, DAY, 60)):
            q = Quarter.of(day)
            session.add(Activity(member_id=member_id, kind="visit", activity_date=day, year=q.year, quarter=q.q,
                                 place="某社区", people=people, summary="走访群众", points=2.0))
        session.add(Reachability(telegram_id=members[2].telegram_id, blocked_at=NOW, updated_at=NOW))
        await session.commit()
        # the group on each of its committees (together: all of its members)
        scopes = await group_everywhere(session, GROUP_NAME)
        return {"members": [(m.id, m.number, m.telegram_id) for m in members], "outsider": outsider.id,
                "scopes": scopes}


async def test_laggard_page_details_and_paging(db, roster) -> None:
    data = await setup(db)
    async with db.session() as session:
        page = await laggard_page(session, today=DAY, policy=POLICY, scopes=data["scopes"], offset=0, limit=3)
        last = await laggard_page(session, today=DAY, policy=POLICY, scopes=data["scopes"], offset=99, limit=3)
    numbers = [number for _, number, _ in data["members"][1:]]  # everyone but the first lags
    assert page.total == len(numbers) == 7
    assert [row.laggard.number for row in page.rows] == numbers[:3]
    assert page.rows[0].last_activity == date(2026, 9, 3)  # the latest of their two
    assert page.rows[1].last_activity is None
    assert page.rows[1].blocked and not page.rows[1].reachable  # the third member of the group
    assert page.rows[0].reachable
    assert last.offset == 6 and [row.laggard.number for row in last.rows] == numbers[6:]


async def test_nudge_scope_once_a_day_and_history(db, roster) -> None:
    data = await setup(db)
    member_id, _, telegram_id = data["members"][1]
    async with db.session() as session:
        with pytest.raises(OutOfScope):
            await nudge(session, member_id=data["outsider"], scopes=data["scopes"], today=DAY, now=NOW, policy=POLICY,
                        sender="王")
        with pytest.raises(OutOfScope):  # a member id that does not exist is refused the same way
            await nudge(session, member_id=10**12, scopes=data["scopes"], today=DAY, now=NOW, policy=POLICY, sender="王")
        first = await nudge(session, member_id=member_id, scopes=data["scopes"], today=DAY, now=NOW, policy=POLICY,
                            sender="王<b>")
        second = await nudge(session, member_id=member_id, scopes=None, today=DAY, now=NOW, policy=POLICY, sender="管")
        tomorrow = await nudge(session, member_id=member_id, scopes=data["scopes"], today=DAY + timedelta(days=1),
                               now=NOW + timedelta(days=1), policy=POLICY, sender="王")
        blocked = await nudge(session, member_id=data["members"][2][0], scopes=data["scopes"], today=DAY, now=NOW,
                              policy=POLICY, sender="王")
        ahead = await nudge(session, member_id=data["members"][0][0], scopes=data["scopes"], today=DAY, now=NOW,
                            policy=POLICY, sender="王")
        await session.commit()
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        history = await reminder_history(session, member_id=member_id)
    assert [first.outcome, second.outcome, tomorrow.outcome, blocked.outcome, ahead.outcome] == [
        "queued", "already", "queued", "blocked", "not_lagging"]
    q4 = Quarter(2026, 4)
    assert [r.key for r in rows] == [nudge_key(member_id, q4, DAY), nudge_key(member_id, q4, DAY + timedelta(days=1))]
    assert all(r.chat_id == telegram_id for r in rows)
    assert "王&lt;b&gt;" in rows[0].text  # the sender's name is escaped
    assert [(h.quarter, h.occasion) for h in history] == [("2026Q4", Occasion.nudge)] * 2


async def test_audience_create_once_and_tally(db, roster) -> None:
    data = await setup(db)
    async with db.session() as session:
        everyone = await broadcasts.audience(session, kind="all", scopes=data["scopes"], today=DAY, policy=POLICY)
        behind = await broadcasts.audience(session, kind="lagging", scopes=data["scopes"], today=DAY, policy=POLICY)
        _, lagging_list = await lagging(session, today=DAY, policy=POLICY, scopes=data["scopes"])
        with pytest.raises(ValueError):
            await broadcasts.audience(session, kind="everyone", scopes=None, today=DAY, policy=POLICY)
    blocked_tg = data["members"][2][2]
    assert everyone.members == 8 and sorted(everyone.recipients) == sorted(
        (m, tg) for m, _, tg in data["members"] if tg != blocked_tg)
    assert behind.members == len(lagging_list) == 7 and behind.unreachable == 1
    assert (behind.unbound, behind.blocked) == (0, 1) and (everyone.unbound, everyone.blocked) == (0, 1)
    assert data["members"][0][0] not in {m for m, _ in behind.recipients}

    async with db.session() as session:
        made = []
        for _ in range(2):  # the same form's key twice: one broadcast, one message per member
            made.append(await broadcasts.create(
                session, key="1:abc", created_by=1, chat_id=1, progress_message_id=5, text="通知", photo_id="PHOTO",
                kind="lagging", scopes=data["scopes"], scope_label="活动组", today=DAY, policy=POLICY, now=NOW))
            await session.commit()
        broadcast = made[0]
        assert made[1].id == broadcast.id
        # rows of other broadcasts whose ids start with the same digit are not counted
        for other in (broadcast.id * 10, broadcast.id * 10 + 1):
            await outbox.enqueue(session, key=f"bc:{other}:1", chat_id=1, kind="broadcast", text="x", now=NOW)
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.photo_id == "PHOTO")
                                   .order_by(OutboxMessage.id))).all()
        assert len(rows) == broadcast.total == 6
        for row, status in zip(rows, [OutboxStatus.sent] * 3 + [OutboxStatus.blocked, OutboxStatus.failed]):
            row.status = status
            session.add(row)
        await session.commit()
        counts = await broadcasts.tally(session, broadcast)
        assert (counts.total, counts.sent, counts.blocked, counts.failed, counts.finished) == (6, 3, 1, 1, False)
        rows[-1].status = OutboxStatus.sent
        session.add(rows[-1])
        await session.commit()
        counts = await broadcasts.tally(session, broadcast)
        assert counts.finished
        await broadcasts.finish(session, broadcast, counts, now=NOW)
        await session.commit()
        assert await broadcasts.in_progress(session) == []
        saved = (await session.exec(select(Broadcast))).one()
        assert (saved.sent, saved.blocked, saved.failed) == (4, 1, 1)


async def test_enqueue_many_limits_and_once(db) -> None:
    async with db.session() as session:
        with pytest.raises(ValueError):  # a photo's caption is at most 1,024 characters
            await outbox.enqueue_many(session, [("k:1", 1)], kind="broadcast", text="字" * 1025, now=NOW, photo_id="P")
        await outbox.enqueue_many(session, [(f"k:{i}", i) for i in range(1, 2501)], kind="broadcast", text="字" * 1025,
                                  now=NOW, chunk=1000)
        await outbox.enqueue_many(session, [(f"k:{i}", i) for i in range(2400, 2601)], kind="broadcast", text="再",
                                  now=NOW)
        await session.commit()
        assert sum((await outbox.counts(session)).values()) == 2600
        assert (await session.exec(select(OutboxMessage.text).where(OutboxMessage.key == "k:2450"))).one() == "字" * 1025
