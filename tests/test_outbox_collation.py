"""Outbox key ranges on a PostgreSQL whose text sorts by a language's rules, not by bytes.

A database created with a locale such as zh_CN.UTF-8 or en_US.UTF-8 compares `:` and `;` the way
that language does: in CLDR's order `;` comes before `:`, so the range `remind:12:` … `remind:12;`
(what `outbox.keys_starting` asks for) is empty there unless the comparison is made bytewise.
CI's cluster is C.UTF-8, so the test gives the key column an ICU collation of its own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import and_, text
from sqlmodel import select

from bot.services import outbox
from bot.services.reminders import Occasion, reminder_history
from models import OutboxMessage, utcnow

KEYS = [
    "remind:12:2026Q3:mid",
    "remind:12:2026Q4:late",
    "remind:12:2026Q4:nudge:2026-11-20",
    "remind:120:2026Q4:mid",  # another member whose id starts the same
    "remind:1:2026Q4:mid",
    "remind:12;odd",  # just past the range in byte order
    "report:2026Q3",
]


async def test_key_ranges_hold_under_a_language_collation(db) -> None:
    async with db.session() as session:
        if session.bind.dialect.name != "postgresql":
            pytest.skip("SQLite always compares text bytewise (BINARY)")
        collations = (await session.exec(text(
            "SELECT collname FROM pg_collation WHERE collname = 'en-US-x-icu'"))).all()
        if not collations:
            pytest.skip("this PostgreSQL has no ICU collations")
        await session.exec(text('ALTER TABLE outboxmessage ALTER COLUMN key TYPE varchar COLLATE "en-US-x-icu"'))
        now = utcnow()
        for i, key in enumerate(KEYS):
            await outbox.enqueue(session, key=key, chat_id=100 + i, kind="reminder", text=key,
                                 now=now + timedelta(minutes=i))
        await session.commit()

    async with db.session() as session:
        # the language's order really is not byte order here: the naive range finds nothing
        naive = (await session.exec(select(OutboxMessage.key).where(
            and_(OutboxMessage.key >= "remind:12:", OutboxMessage.key < "remind:12;")))).all()
        assert naive == []
        found = (await session.exec(select(OutboxMessage.key).where(
            outbox.keys_starting(session, "remind:12:")))).all()
        assert sorted(found) == ["remind:12:2026Q3:mid", "remind:12:2026Q4:late", "remind:12:2026Q4:nudge:2026-11-20"]
        history = await reminder_history(session, member_id=12)
    assert [(r.quarter, r.occasion) for r in history] == [
        ("2026Q4", Occasion.nudge), ("2026Q4", Occasion.late), ("2026Q3", Occasion.mid)]
