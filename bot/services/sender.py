"""Who sent an update, in one round trip: member, coordinator grants and blocked flag.

Every update asks this (handlers.common.load_identity), so it is one UNION ALL query
instead of one query per table. Nothing is cached: a binding, a revocation or a role
granted by the CLI (another process) takes effect on the very next update.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, String, bindparam, cast, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import Identity, Scope
from models import Member, Reachability, RoleGrant, ScopeKind


@dataclass
class Sender:
    identity: Identity
    blocked: bool = False  # recorded as having blocked the bot


def _query():  # noqa: ANN202 - built once (see SENDER_QUERY)
    telegram_id = bindparam("b_telegram_id", type_=BigInteger())
    member = (
        select(literal("m").label("row"), cast(Member.id, BigInteger).label("num"),
               cast(Member.name, String).label("a"), cast(null(), String).label("b"), literal(0).label("ord"))
        .where(Member.telegram_id == telegram_id, Member.active.is_(True))
    )
    grants = (
        select(literal("g"), cast(null(), BigInteger), cast(RoleGrant.scope_kind, String),
               cast(RoleGrant.scope_value, String), RoleGrant.id)
        .where(RoleGrant.telegram_id == telegram_id)
    )
    blocked = (
        select(literal("b"), cast(null(), BigInteger), cast(null(), String), cast(null(), String), literal(0))
        .select_from(Reachability)
        .where(Reachability.telegram_id == telegram_id, Reachability.blocked_at.is_not(None))
    )
    return union_all(member, grants, blocked).order_by("row", "ord")


# every update runs it: building it once saves more than the query costs on SQLite
SENDER_QUERY = _query()


async def lookup_sender(
    connection: AsyncConnection | AsyncSession, *, telegram_id: int, admin_ids: list[int]
) -> Sender:
    """Read-only; a Core connection is enough (and cheaper than an ORM session)."""
    params = {"b_telegram_id": telegram_id}
    if isinstance(connection, AsyncConnection):
        result = await connection.execute(SENDER_QUERY, params)
    else:
        result = await connection.exec(SENDER_QUERY, params=params)
    sender = Sender(Identity(telegram_id=telegram_id, is_admin=telegram_id in admin_ids))
    for kind, number, first, second, _ in result.all():
        if kind == "m" and sender.identity.member_id is None:
            sender.identity.member_id, sender.identity.member_name = number, first
        elif kind == "g":
            sender.identity.scopes.append(Scope(ScopeKind(first), second))
        elif kind == "b":
            sender.blocked = True
    return sender
