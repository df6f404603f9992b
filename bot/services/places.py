"""Where a request comes from: the region tree the roster built, browsed level by level. No Telegram here."""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Region

MAX_CHOICES = 48  # buttons per level (Telegram allows 100; a level this long is better typed)


async def region_children(session: AsyncSession, *, parent_id: int | None) -> list[Region]:
    """The regions one level below `parent_id` (the provinces for None), by name."""
    query = select(Region).where(Region.parent_id == parent_id if parent_id is not None else Region.parent_id.is_(None))
    return list((await session.exec(query.order_by(Region.path).limit(MAX_CHOICES))).all())


async def find_region(session: AsyncSession, *, text: str) -> Region | None:
    """The one region a typed place names: its path, or its own name when exactly one region has it."""
    text = "/".join(part.strip() for part in text.replace("／", "/").split("/") if part.strip())
    if not text:
        return None
    rows = list((await session.exec(
        select(Region).where(or_(Region.path == text, Region.name == text)).limit(2)
    )).all())
    exact = [r for r in rows if r.path == text]
    if exact:
        return exact[0]
    return rows[0] if len(rows) == 1 else None


