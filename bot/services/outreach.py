"""Chasing the laggards from the chat: who in a coordinator's scope is behind, and a personal nudge — Telegram-free.

Who lags is `reminders.laggards` (one statement over all members, narrowed to the scope);
this module adds what a coordinator needs beside each name — the last activity date and
whether the bot can reach them — for one page at a time, in two aggregate queries over
that page's members (never a query per member). A nudge is a reminder written to the
outbox under `remind:<member>:<quarter>:nudge:<local date>`, so it is sent once per
member per day and shows in the member's reminder history in /my. Every call takes the
caller's scopes (None: an admin) and refuses a member outside them. Services stage; the
caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import outbox
from bot.services.outbox import Button
from bot.services.reminders import DutyPolicy, Laggard, Occasion, Rule, laggards, laggards_page
from bot.services.rules import Quarter
from bot.services.scopes import Scope, member_in_scopes
from bot.texts import render_nudge
from models import Activity, Member, Reachability

# /laggards: behind on this quarter's activity or on the yearly 人次 pace
# (the bottom-share rule is a ranking, not a lag)
LAG_RULES = (Rule.no_activity, Rule.below_pace)
MAX_ROW_ID = 2**31 - 1  # member ids are INTEGER columns


@dataclass(frozen=True, slots=True)
class LaggardRow:
    laggard: Laggard
    last_activity: date | None
    bound: bool
    blocked: bool

    @property
    def reachable(self) -> bool:
        return self.bound and not self.blocked


@dataclass(frozen=True)
class LaggardPage:
    quarter: Quarter
    as_of: date
    rows: list[LaggardRow]
    offset: int
    total: int


class OutOfScope(Exception):
    """The member is not in the caller's scopes (or does not exist, or is not active): refused."""

    def __init__(self, member_id: int) -> None:
        super().__init__(f"member {member_id} is outside the caller's scope")
        self.member_id = member_id


async def lagging(session: AsyncSession, *, today: date, policy: DutyPolicy,
                  scopes: Sequence[Scope] | None) -> tuple[Quarter, list[Laggard]]:
    """Everyone in scope behind this quarter (judged today), sorted by 编号."""
    quarter = Quarter.of(today)
    return quarter, await laggards(session, quarter=quarter, as_of=today, policy=policy, rules=LAG_RULES, scopes=scopes)


async def _details(session: AsyncSession, people: Sequence[Laggard]) -> dict[int, tuple[date | None, bool]]:
    """member id -> (last activity date, blocked), for these members, in two aggregate queries."""
    ids = [p.member_id for p in people]
    if not ids:
        return {}
    last = dict((await session.exec(
        select(Activity.member_id, func.max(Activity.activity_date))
        .where(Activity.member_id.in_(ids), Activity.deleted_at.is_(None))
        .group_by(Activity.member_id)
    )).all())
    telegram_ids = [p.telegram_id for p in people if p.telegram_id is not None]
    blocked = set((await session.exec(
        select(Reachability.telegram_id).where(Reachability.telegram_id.in_(telegram_ids),
                                               Reachability.blocked_at.is_not(None))
    )).all()) if telegram_ids else set()
    return {p.member_id: (last.get(p.member_id), p.telegram_id in blocked) for p in people}


async def laggard_page(
    session: AsyncSession, *, today: date, policy: DutyPolicy, scopes: Sequence[Scope] | None,
    offset: int, limit: int,
) -> LaggardPage:
    """One page of the laggards in scope; an offset past the end shows the last page (paged in SQL)."""
    quarter = Quarter.of(today)
    offset -= offset % limit

    async def page(at: int) -> tuple[int, list[Laggard]]:
        return await laggards_page(session, quarter=quarter, as_of=today, policy=policy, rules=LAG_RULES,
                                   scopes=scopes, offset=at, limit=limit)

    total, chosen = await page(max(offset, 0))
    if not chosen and total > 0:
        offset = (total - 1) // limit * limit
        total, chosen = await page(offset)
    elif not chosen:
        offset = 0
    details = await _details(session, chosen)
    rows = [LaggardRow(lag, details[lag.member_id][0], lag.telegram_id is not None, details[lag.member_id][1])
            for lag in chosen]
    return LaggardPage(quarter=quarter, as_of=today, rows=rows, offset=offset, total=total)


async def in_scope(session: AsyncSession, *, member_id: int, scopes: Sequence[Scope] | None) -> Member | None:
    """The active member `member_id` if the scopes cover them (admins: None covers everyone)."""
    if not 0 < member_id <= MAX_ROW_ID:  # a forged id beyond the column's range is nobody (PostgreSQL would refuse it)
        return None
    query = select(Member).where(Member.id == member_id, Member.active.is_(True))
    condition = member_in_scopes(scopes)
    if condition is not None:
        query = query.where(condition)
    return (await session.exec(query)).first()


def nudge_key(member_id: int, quarter: Quarter, day: date) -> str:
    return f"remind:{member_id}:{quarter.label}:{Occasion.nudge.value}:{day.isoformat()}"


@dataclass(frozen=True)
class NudgeResult:
    outcome: str  # queued | already | not_lagging | unbound | blocked
    name: str


async def nudge(
    session: AsyncSession, *, member_id: int, scopes: Sequence[Scope] | None, today: date, now: datetime,
    policy: DutyPolicy, sender: str, log_button: Button | None = None,
) -> NudgeResult:
    """Write one personal nudge to `member_id` in the outbox (once per member per local day).

    Raises OutOfScope for a member the scopes do not cover; nothing is written unless the
    member still lags, is bound and has not blocked the bot.
    """
    member = await in_scope(session, member_id=member_id, scopes=scopes)
    if member is None:
        raise OutOfScope(member_id)
    quarter, found = await lagging(session, today=today, policy=policy, scopes=scopes)
    laggard = next((lag for lag in found if lag.member_id == member_id), None)
    if laggard is None:
        return NudgeResult("not_lagging", member.name)
    if member.telegram_id is None:
        return NudgeResult("unbound", member.name)
    if (await _details(session, [laggard]))[member_id][1]:
        return NudgeResult("blocked", member.name)
    text = render_nudge(laggard=laggard, quarter=quarter, as_of=today, policy=policy, sender=sender)
    written = await outbox.enqueue(
        session, key=nudge_key(member_id, quarter, today), chat_id=member.telegram_id, kind="nudge", text=text,
        now=now, buttons=[[log_button]] if log_button is not None else None,
    )
    return NudgeResult("queued" if written else "already", member.name)
