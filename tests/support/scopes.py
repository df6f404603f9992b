"""Group scopes for tests written before group grants named their committee: the group on every
committee it is on, spelled out (one scope, or one grant, per committee)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import group_committees
from bot.services.scopes import Scope
from models import RoleGrant, ScopeKind


async def group_everywhere(session: AsyncSession, name: str) -> list[Scope]:
    """One scope per committee with members of group `name` (together: every member of the group)."""
    scopes = [Scope(ScopeKind.group, name, committee) for committee in await group_committees(session, name)]
    assert scopes, f"no member is in {name}"
    return scopes


async def grant_group_everywhere(session: AsyncSession, telegram_id: int, name: str) -> list[Scope]:
    """Stage one group grant per committee of `name` for `telegram_id`; the caller commits."""
    scopes = await group_everywhere(session, name)
    for scope in scopes:
        session.add(RoleGrant(telegram_id=telegram_id, scope_kind=ScopeKind.group, scope_value=name,
                              committee_level=scope.committee.level, committee_region=scope.committee.region))
    return scopes
