"""The labelled set of cases for the 社情民意 digest (tests/data/digest_labelled.csv), as rows and in a database."""

from __future__ import annotations

import csv
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.services.rules import Quarter
from models import Case, CaseStatus, Member, Region, Sector

LABELLED = Path(__file__).resolve().parent.parent / "data" / "digest_labelled.csv"
TZ = ZoneInfo("Asia/Shanghai")


def labelled_rows() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def seed_labelled(db, quarter: Quarter) -> dict[str, list[str]]:
    """The labelled cases raised in `quarter`, in its regions, handled by a member of their city (one of two per
    city); every third resolved, every sixth confirmed. Returns theme -> case numbers."""
    rows = labelled_rows()
    themes: dict[str, list[str]] = {}
    async with db.session() as session:
        sector = (await session.exec(select(Sector).order_by(Sector.id))).first()
        regions: dict[str, Region] = {r.path: r for r in (await session.exec(select(Region))).all()}  # the roster's
        for path in sorted({r["region"] for r in rows}, key=lambda p: p.count("/")):
            parts = path.split("/")
            for depth in range(1, len(parts) + 1):
                sub = "/".join(parts[:depth])
                if sub not in regions:
                    parent = regions.get("/".join(parts[:depth - 1]))
                    region = Region(path=sub, name=parts[depth - 1], depth=depth,
                                    parent_id=parent.id if parent else None)
                    session.add(region)
                    await session.flush()
                    regions[sub] = region
        members = {}
        for n, city in enumerate(("甘肃省/兰州市", "甘肃省/天水市")):
            for k in range(2):
                member = Member(number=f"DG{n}{k}", name=f"{city[-3:-1]}委员{k}", sector_id=sector.id,
                                region_id=regions[city].id, telegram_id=None)
                session.add(member)
                members[(city, k)] = member
        await session.flush()
        start = datetime.combine(quarter.first_day, time(9), tzinfo=TZ)
        for seq, row in enumerate(rows, start=1):
            created = start + timedelta(hours=seq * 7)
            resolved = created + timedelta(days=seq % 9 + 1) if seq % 3 == 0 else None
            status = CaseStatus.confirmed if seq % 6 == 0 else CaseStatus.resolved if resolved else CaseStatus.accepted
            city = "/".join(row["region"].split("/")[:2])
            number = f"{quarter.year}-{seq:06d}"
            session.add(Case(number=number, year=quarter.year, seq=seq, category=row["category"],
                             region_id=regions[row["region"]].id, description=row["description"], status=status,
                             member_id=members[(city, seq % 2)].id, created_at=created, updated_at=created,
                             accepted_at=created, resolved_at=resolved))
            themes.setdefault(row["theme"], []).append(number)
        # a case of the quarter before: in no digest of this quarter
        before = datetime.combine(quarter.first_day, time(9), tzinfo=TZ) - timedelta(days=3)
        session.add(Case(number=f"{before.year}-900001", year=before.year, seq=900001, category="出行",
                         region_id=regions["甘肃省/兰州市/城关区"].id, description="上季度的路灯坏了", created_at=before,
                         updated_at=before, status=CaseStatus.accepted, member_id=members[("甘肃省/兰州市", 0)].id))
        await session.commit()
    return themes
