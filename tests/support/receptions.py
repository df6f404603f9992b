"""A station and a reception day written straight into the database, for the check-in tests (scheduling
reception days is another feature's form)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import select

from bot.services.checkin import issue_token
from models import Member, Reception, Region, Resident, Station


@dataclass(frozen=True)
class Day:
    reception_id: int
    member_id: int
    region_id: int | None
    token: str


async def reception_day(db, *, starts: datetime, ends: datetime, number: str = "GS0021",
                        region: str = "甘肃省/甘南藏族自治州/合作市", topic: str = "校车与上学路",
                        station: str = "合作市坚木克尔街委员工作站", now: datetime | None = None,
                        issue: bool = True) -> Day:
    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.number == number))).one()
        region_id = (await session.exec(select(Region.id).where(Region.path == region))).one()
        place = (await session.exec(select(Station).where(Station.name == station))).first()
        if place is None:
            place = Station(code=f"ST{abs(hash(station)) % 10_000:04d}", name=station, region_id=region_id)
            session.add(place)
            await session.flush()
        reception = Reception(station_id=place.id, member_id=member.id, starts_at=starts, ends_at=ends, topic=topic,
                              created_by=member.telegram_id or 1)
        session.add(reception)
        await session.flush()
        token = await issue_token(session, reception=reception, now=now or starts) if issue else ""
        await session.commit()
        return Day(reception.id, member.id, region_id, token)


async def new_token(db, reception_id: int, now: datetime) -> str:
    """A fresh token for the day, as the member's /checkin_qr or `checkin qr` would make (the old one stops)."""
    async with db.session() as session:
        reception = await session.get(Reception, reception_id)
        token = await issue_token(session, reception=reception, now=now)
        await session.commit()
        return token


async def move(db, reception_id: int, *, starts: datetime, ends: datetime) -> None:
    """The day's times changed in place: as if the clock had moved on (or back) around it."""
    async with db.session() as session:
        reception = await session.get(Reception, reception_id)
        reception.starts_at, reception.ends_at = starts, ends
        await session.commit()


async def residents(db, count: int, *, first_id: int = 90_000) -> list[int]:
    """`count` residents (ids), as if each had used the bot once."""
    async with db.session() as session:
        rows = [Resident(telegram_id=first_id + n, display_name=f"居民{n}") for n in range(count)]
        session.add_all(rows)
        await session.commit()
        return [r.id for r in rows]
