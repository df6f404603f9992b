"""Stations made directly in the database for the reception-day tests (the station registry's import is
tested with the registry): 城关区街道委员工作室 (城关区, with coordinates) and 兰州无坐标委员工作站 (兰州市,
without) with 范国 (GS0071) on duty, 七里河区社区委员工作站 (七里河区, with coordinates) with 易英 (GS0058)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.services.receptions import ReceptionPolicy
from models import Member, Region, Station, StationMember

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
