"""Broadcasts (/broadcast): one notice to the members in the sender's scope, through the outbox — Telegram-free.

The audience is all active members in scope, or those lagging this quarter (the /laggards
list); it reaches those bound to Telegram who have not blocked the bot. Confirming writes
the broadcast record and one outbox row per recipient, keyed `bc:<broadcast>:<member>`,
in the caller's transaction, so each member gets it exactly once however often delivery
restarts. Progress and the final tally are counted from those rows (one GROUP BY over a
key range the unique index serves) and the tally is written on the record when nothing
is left to send. Services stage; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import outbox
from bot.services.outreach import lagging
from bot.services.reachability import blocked_ids
from bot.services.reminders import DutyPolicy
from bot.services.scopes import Scope, member_in_scopes
from models import Broadcast, BroadcastStatus, Member, OutboxMessage, OutboxStatus

AUDIENCES = ("all", "lagging")
# the application's bot_data flag: False once no broadcast is sending (the progress job then stops
# asking the database every few seconds); set again when one is confirmed; unknown after a start
ACTIVE_FLAG = "broadcasts_active"


@dataclass(frozen=True)
class Audience:
    kind: str
    members: int  # in the audience
    recipients: list[tuple[int, int]]  # (member id, telegram id): bound and not blocked
    unbound: int = 0  # never bound: the rest of those left out blocked the bot

    @property
    def unreachable(self) -> int:
        return self.members - len(self.recipients)

    @property
    def blocked(self) -> int:
        return self.unreachable - self.unbound


async def audience(
    session: AsyncSession, *, kind: str, scopes: Sequence[Scope] | None, today: date, policy: DutyPolicy
) -> Audience:
    """Who a broadcast to `kind` within `scopes` would reach (admins: scopes None)."""
    if kind not in AUDIENCES:
        raise ValueError(f"unknown audience {kind!r}")
    if kind == "lagging":
        _, found = await lagging(session, today=today, policy=policy, scopes=scopes)
        people = [(lag.member_id, lag.telegram_id) for lag in found]
    else:
        query = select(Member.id, Member.telegram_id).where(Member.active.is_(True)).order_by(Member.id)
        condition = member_in_scopes(scopes)
        if condition is not None:
            query = query.where(condition)
        people = list((await session.exec(query)).all())
    blocked = await blocked_ids(session)
    reachable = [(m, tg) for m, tg in people if tg is not None and tg not in blocked]
    return Audience(kind=kind, members=len(people), recipients=reachable,
                    unbound=sum(1 for _, tg in people if tg is None))


def message_key(broadcast_id: int, member_id: int) -> str:
    return f"bc:{broadcast_id}:{member_id}"


async def create(
    session: AsyncSession, *, key: str, created_by: int, chat_id: int, progress_message_id: int | None, text: str,
    photo_id: str | None, kind: str, scopes: Sequence[Scope] | None, scope_label: str, today: date,
    policy: DutyPolicy, now: datetime,
) -> Broadcast:
    """Write the broadcast and its messages (once per `key`: a second call returns the first broadcast)."""
    existing = (await session.exec(select(Broadcast).where(Broadcast.key == key))).first()
    if existing is not None:
        return existing
    people = await audience(session, kind=kind, scopes=scopes, today=today, policy=policy)
    broadcast = Broadcast(
        key=key, created_by=created_by, chat_id=chat_id, progress_message_id=progress_message_id, text=text,
        photo_id=photo_id, audience=kind, scope=scope_label[:255], total=len(people.recipients), created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    await outbox.enqueue_many(
        session, [(message_key(broadcast.id, member_id), chat) for member_id, chat in people.recipients],
        kind="broadcast", text=text, photo_id=photo_id, now=now,
    )
    return broadcast


@dataclass(frozen=True)
class Tally:
    total: int
    sent: int
    blocked: int
    failed: int
    unknown: int = 0  # may have been sent (the connection failed before Telegram's answer); not sent again

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed + self.unknown

    @property
    def finished(self) -> bool:
        return self.done >= self.total


async def tally(session: AsyncSession, broadcast: Broadcast) -> Tally:
    """How its messages stand now (one aggregate query)."""
    rows = (await session.exec(
        select(OutboxMessage.status, func.count())
        .where(outbox.keys_starting(session, f"bc:{broadcast.id}:"))
        .group_by(OutboxMessage.status)
    )).all()
    counts = {OutboxStatus(status): n for status, n in rows}
    return Tally(total=sum(counts.values()), sent=counts.get(OutboxStatus.sent, 0),
                 blocked=counts.get(OutboxStatus.blocked, 0), failed=counts.get(OutboxStatus.failed, 0),
                 unknown=counts.get(OutboxStatus.unknown, 0))


async def in_progress(session: AsyncSession) -> list[Broadcast]:
    return list((await session.exec(
        select(Broadcast).where(Broadcast.status == BroadcastStatus.sending).order_by(Broadcast.id)
    )).all())


async def finish(session: AsyncSession, broadcast: Broadcast, counts: Tally, *, now: datetime) -> None:
    """Record the final tally; the broadcast is done. The record keeps no column for the messages that
    may have been sent: they are its total less the three counts."""
    broadcast.status = BroadcastStatus.done
    broadcast.sent, broadcast.blocked, broadcast.failed = counts.sent, counts.blocked, counts.failed
    broadcast.finished_at = now
    session.add(broadcast)
