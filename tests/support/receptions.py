"""Stations and reception days written straight into the database for the tests of reception days and
check-in (each feature's own forms and the station import are tested where they are built).

For reception days: 城关区街道委员工作室 (城关区, with coordinates) and 兰州无坐标委员工作站 (兰州市, without)
with 范国 (GS0071) on duty, 七里河区社区委员工作站 (七里河区, with coordinates) with 易英 (GS0058). For
check-in: one station and one reception day with its token (`reception_day`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.services.checkin import issue_token
from bot.services.receptions import ReceptionPolicy
from models import Member, Reception, Region, Resident, Station, StationMember

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = ReceptionPolicy(tz=SHANGHAI)
CHENGGUAN = (36.05486, 103.81967)
QILIHE = (36.05361, 103.77568)
STATIONS = [  # code, name, region path, coordinates, member on duty
    ("ZS001", "城关区街道委员工作室", "甘肃省/兰州市/城关区", CHENGGUAN, "GS0071"),
    ("ZS002", "七里河区社区委员工作站", "甘肃省/兰州市/七里河区", QILIHE, "GS0058"),
    ("ZS099", "兰州无坐标委员工作站", "甘肃省/兰州市", None, "GS0071"),
]


async def seed_stations(db) -> dict[str, int]:
    """The three stations and their members on duty; station ids by code."""
    ids = {}
    async with db.session() as session:
        for code, name, path, where, number in STATIONS:
            region_id = (await session.exec(select(Region.id).where(Region.path == path))).one()
            member_id = (await session.exec(select(Member.id).where(Member.number == number))).one()
            station = Station(code=code, name=name, region_id=region_id, address=f"{path.replace('/', '')}1号",
                              latitude=where[0] if where else None, longitude=where[1] if where else None)
            session.add(station)
            await session.flush()
            session.add(StationMember(station_id=station.id, member_id=member_id))
            ids[code] = station.id
        await session.commit()
    return ids


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
    """A fresh token for the day, as the member's /checkin_qr or `stations qr` would make (the old one stops)."""
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
