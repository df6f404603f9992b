"""Whether the bot can write to someone: Telegram tells us when a user blocks or unblocks it.

No Telegram here; callers pass what happened. Nothing is committed: the caller owns the
unit of work. Reminders and notifications ask `blocked_ids` before writing to people.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_insert, dialect_of
from models import Reachability


async def mark_blocked(session: AsyncSession, *, telegram_id: int, now: datetime) -> None:
    """The user blocked the bot (a kicked my_chat_member update, or a 403 on sending)."""
    statement = dialect_insert(dialect_of(session), Reachability.__table__).values(
        telegram_id=telegram_id, blocked_at=now, updated_at=now
    )
    await session.exec(
        statement.on_conflict_do_update(index_elements=["telegram_id"], set_={"blocked_at": now, "updated_at": now})
    )


async def mark_reachable(session: AsyncSession, *, telegram_id: int, now: datetime) -> bool:
    """The user unblocked the bot or wrote to it; True if they had been recorded as blocked."""
    result = await session.exec(
        update(Reachability)
        .where(Reachability.telegram_id == telegram_id, Reachability.blocked_at.is_not(None))
        .values(blocked_at=None, updated_at=now)
        .returning(Reachability.telegram_id)
    )
    return result.first() is not None


async def is_blocked(session: AsyncSession, *, telegram_id: int) -> bool:
    found = await session.exec(
        select(Reachability.telegram_id).where(
            Reachability.telegram_id == telegram_id, Reachability.blocked_at.is_not(None)
        )
    )
    return found.first() is not None


async def blocked_ids(session: AsyncSession) -> set[int]:
    """Everyone who has blocked the bot, for jobs that write to many people."""
    return set((await session.exec(select(Reachability.telegram_id).where(Reachability.blocked_at.is_not(None)))).all())
