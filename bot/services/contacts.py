"""Who is at the other end of a case, as chat ids and actors. No Telegram here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.cases import visible_to
from bot.services.identity import Identity
from bot.services.lifecycle import Actor
from bot.services.routing import Category, RoutingTable, fallback_recipients
from models import Case, Member, Resident, Sector


async def member_chat(session: AsyncSession, member_id: int | None) -> int | None:
    """The Telegram chat of an active, bound member."""
    if member_id is None:
        return None
    return (await session.exec(
        select(Member.telegram_id).where(Member.id == member_id, Member.active.is_(True))
    )).first()


async def member_name_sector(session: AsyncSession, member_id: int | None) -> tuple[str, str] | None:
    if member_id is None:
        return None
    row = (await session.exec(
        select(Member.name, Sector.name).join(Sector, Sector.id == Member.sector_id).where(Member.id == member_id)
    )).first()
    return (row[0], row[1]) if row else None


async def staff_over(
    session: AsyncSession, case: Case, table: RoutingTable | None, admin_ids: Sequence[int]
) -> list[int]:
    """Telegram ids of the coordinators over a case (its category's sectors or its region), else the admins."""
    category = (table.get(case.category) if table else None) or Category(case.category)
    recipients = await fallback_recipients(session, category=category, region_id=case.region_id, admin_ids=admin_ids)
    return recipients.telegram_ids


async def resident_chat(session: AsyncSession, resident_id: int | None) -> int | None:
    if resident_id is None:
        return None
    return (await session.exec(select(Resident.telegram_id).where(Resident.id == resident_id))).first()


async def resident_for(session: AsyncSession, telegram_id: int) -> Resident | None:
    return (await session.exec(select(Resident).where(Resident.telegram_id == telegram_id))).first()


async def actors_for(session: AsyncSession, identity: Identity) -> list[Actor]:
    """Every way this person may act on cases, widest first (admin, coordinator, handling member, resident)."""
    actors: list[Actor] = []
    if identity.is_admin:
        actors.append(Actor.admin(identity.telegram_id))
    if identity.is_coordinator:
        actors.append(Actor.coordinator(identity.telegram_id, identity.scopes))
    if identity.is_member:
        actors.append(Actor.member(identity.member_id))
    resident = await resident_for(session, identity.telegram_id)
    if resident is not None:
        actors.append(Actor.resident(resident.id))
    return actors


async def viewer_for(session: AsyncSession, identity: Identity, case: Case) -> Actor | None:
    """How this person looks at this case: as its resident, its handler, or staff in scope; None if not at all.

    The narrowest relation wins, so a member who filed a request sees it as its resident.
    """
    for actor in reversed(await actors_for(session, identity)):
        if await visible_to(session, case=case, actor=actor):
            return actor
    return None
