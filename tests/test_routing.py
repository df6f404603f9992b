"""The routing table and engine on the sample roster (SQLite and PostgreSQL), checked against a plain-Python ranking."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot.services.routing import (
    Category,
    RoutingFileError,
    fallback_recipients,
    load_routing_table,
    parse_routing_csv,
    propose,
)
from bot.texts import routing_reason
from models import ActivityGroup, Member, Region, RoleGrant, ScopeKind, Sector

ADMINS = [9000001, 9000002]
REGIONS = [
    "甘肃省/兰州市/城关区",   # a district with one member
    "甘肃省/酒泉市/肃州区",   # a district with eight
    "甘肃省/天水市",          # a city
    "甘肃省",                 # the province
    None,                      # no region given
]


async def bind_members(db, *, seed: int = 8) -> None:
    """Bind most members (telegram_id set directly), leave some unbound, deactivate a few, vary their load."""
    rng = random.Random(seed)
    async with db.session() as session:
        ids = list((await session.exec(select(Member.id).order_by(Member.id))).all())
        for member_id in ids:
            values: dict = {}
            if member_id % 5 != 0:
                values["telegram_id"] = 700000 + member_id
            if member_id % 17 == 0:
                values["active"] = False
            values["open_cases"] = rng.choice((0, 0, 0, 1, 2))
            values["case_assigned_us"] = rng.choice((0, 0, 1_700_000_000_000_000 + rng.randrange(10**9)))
            await session.exec(update(Member).where(Member.id == member_id).values(**values))
        await session.commit()


async def region_id(db, path: str | None) -> int | None:
    if path is None:
        return None
    async with db.session() as session:
        return (await session.exec(select(Region.id).where(Region.path == path))).one()


async def snapshot(db) -> list[tuple]:
    async with db.session() as session:
        rows = await session.exec(
            select(Member.id, Member.sector_id, Region.path, Member.active, Member.telegram_id, Member.open_cases,
                   Member.case_assigned_us)
            .join(Region, Region.id == Member.region_id, isouter=True)
        )
        return list(rows.all())


def shared_depth(member_path: str | None, case_path: str | None) -> int:
    """How many leading region names the two paths share (the depth of the deepest common region)."""
    if not member_path or not case_path:
        return 0
    depth = 0
    for a, b in zip(member_path.split("/"), case_path.split("/")):
        if a != b:
            break
        depth += 1
    return depth


def expected_ranking(members: list[tuple], category: Category, case_path: str | None, exclude=(), limit=5):
    """The routing rules, written out directly over every member."""
    order = {sector_id: rank for rank, sector_id in enumerate(category.sector_ids)}
    keyed = []
    for member_id, sector_id, path, active, telegram_id, open_cases, assigned in members:
        if not active or telegram_id is None or member_id in exclude:
            continue
        if category.sector_ids and sector_id not in order:
            continue
        rank = order.get(sector_id, 0)
        keyed.append(((rank, -shared_depth(path, case_path), open_cases, assigned, member_id), member_id))
    keyed.sort()
    return [member_id for _key, member_id in keyed[:limit]]


async def test_engine_matches_the_rules_for_every_category_and_region(db, roster) -> None:
    await bind_members(db)
    members = await snapshot(db)
    async with db.session() as session:
        table = await load_routing_table(session)
    checked = 0
    for path in REGIONS:
        rid = await region_id(db, path)
        for category in table.categories:
            async with db.session() as session:
                got = await propose(session, category=category, region_id=rid, limit=5)
            want = expected_ranking(members, category, path)
            assert [c.member_id for c in got] == want, (category.name, path)
            for candidate in got:
                assert candidate.shared_depth == shared_depth(
                    next(m[2] for m in members if m[0] == candidate.member_id), path
                )
            checked += bool(want)
    assert checked >= 60  # the sample roster has candidates for nearly every pair


async def test_sector_order_beats_nearness_and_nearness_beats_load(db, roster) -> None:
    await bind_members(db)
    async with db.session() as session:
        table = await load_routing_table(session)
        education = table.get("教育")
        assert education.sector_names == ("教育界", "中国民主促进会")
        rid = (await session.exec(select(Region.id).where(Region.path == "甘肃省/兰州市/城关区"))).one()
        first = (await propose(session, category=education, region_id=rid, limit=1))[0]
        # every bound, active 教育界 member outranks any 民进 member, however near
        assert first.sector_name == "教育界"
        # put a 教育界 member right in the case's district, busier than everyone: nearness still wins
        await session.exec(
            update(Member).where(Member.id == first.member_id).values(region_id=rid, open_cases=9)
        )
        others = [c.member_id for c in await propose(session, category=education, region_id=rid, limit=5)]
        await session.rollback()
    assert others[0] == first.member_id


async def test_reason_renders_in_chinese(db, roster) -> None:
    await bind_members(db)
    async with db.session() as session:
        table = await load_routing_table(session)
        rid = (await session.exec(select(Region.id).where(Region.path == "甘肃省/酒泉市/肃州区"))).one()
        candidates = await propose(session, category=table.get("医疗"), region_id=rid, limit=5)
    texts = [routing_reason(c.reason(has_region=True)) for c in candidates]
    assert all(t.split("·")[0] in ("同区", "同市", "同省", "外地") for t in texts)
    assert routing_reason({"near": 3, "sector": "教育界", "open": 3}) == "同区·教育界·当前3件"
    assert routing_reason({"near": None, "sector": "民进", "open": 0}) == "不限地区·民进·当前0件"


async def test_skip_list_inactive_and_unbound_are_left_out(db, roster) -> None:
    await bind_members(db)
    members = await snapshot(db)
    async with db.session() as session:
        table = await load_routing_table(session)
        category = table.get("医疗")
        rid = (await session.exec(select(Region.id).where(Region.path == "甘肃省/天水市"))).one()
        first = await propose(session, category=category, region_id=rid, limit=3)
        skipped = [first[0].member_id, first[1].member_id]
        after = await propose(session, category=category, region_id=rid, exclude_member_ids=skipped, limit=3)
    assert after[0].member_id == first[2].member_id
    assert not set(skipped) & {c.member_id for c in after}
    assert [c.member_id for c in after] == expected_ranking(members, category, "甘肃省/天水市", exclude=skipped, limit=3)
    eligible = {m[0] for m in members if m[3] and m[4] is not None}
    async with db.session() as session:
        everyone = await propose(session, category=Category("其他"), region_id=None, limit=500)
    assert {c.member_id for c in everyone} == eligible


async def test_nobody_fits_goes_to_coordinators_in_scope_else_admins(db, roster) -> None:
    # nobody bound: every category falls back
    async with db.session() as session:
        table = await load_routing_table(session)
        education = table.get("教育")
        district = (await session.exec(select(Region.id).where(Region.path == "甘肃省/兰州市/城关区"))).one()
        assert await propose(session, category=education, region_id=district) == []
        assert (await fallback_recipients(session, category=education, region_id=district, admin_ids=ADMINS)) \
            .telegram_ids == ADMINS
        group_of_education, level, path = (
            await session.exec(
                select(ActivityGroup.name, Member.level, Region.path)
                .join(Member, Member.activity_group_id == ActivityGroup.id)
                .join(Region, Region.id == Member.region_id, isouter=True)
                .join(Sector, Sector.id == Member.sector_id).where(Sector.name == "教育界")
            )
        ).first()
        # the same-named group on a committee with no active member of the category's sectors covers none of its cases
        education_committees = set((await session.exec(
            select(Member.level, Region.path).join(Region, Region.id == Member.region_id, isouter=True)
            .join(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
            .join(Sector, Sector.id == Member.sector_id)
            .where(ActivityGroup.name == group_of_education, Member.sector_id.in_(education.sector_ids),
                   Member.active.is_(True))
        )).all())
        other_level, other_path = next(c for c in (await session.exec(
            select(Member.level, Region.path).join(Region, Region.id == Member.region_id, isouter=True)
            .order_by(Member.id)
        )).all() if tuple(c) not in education_committees)
        session.add_all([
            RoleGrant(telegram_id=1, scope_kind=ScopeKind.sector, scope_value="中国民主促进会"),
            RoleGrant(telegram_id=2, scope_kind=ScopeKind.region, scope_value="甘肃省/兰州市"),
            RoleGrant(telegram_id=3, scope_kind=ScopeKind.region, scope_value="甘肃省/酒泉市"),
            RoleGrant(telegram_id=4, scope_kind=ScopeKind.sector, scope_value="医药卫生界"),
            RoleGrant(telegram_id=5, scope_kind=ScopeKind.group, scope_value=group_of_education,
                      committee_level=level, committee_region=path),
            RoleGrant(telegram_id=7, scope_kind=ScopeKind.group, scope_value=group_of_education,
                      committee_level=other_level, committee_region=other_path),
            RoleGrant(telegram_id=8, scope_kind=ScopeKind.group, scope_value=group_of_education),  # no committee
            RoleGrant(telegram_id=6, scope_kind=ScopeKind.region, scope_value="甘肃省/兰"),  # a prefix, not a region
        ])
        await session.commit()
        found = await fallback_recipients(session, category=education, region_id=district, admin_ids=ADMINS)
        assert (found.kind, found.telegram_ids) == ("coordinators", [1, 2, 5])
        # no region: only the sector and group scopes
        found = await fallback_recipients(session, category=education, region_id=None, admin_ids=ADMINS)
        assert found.telegram_ids == [1, 5]
        # a category for any sector reaches the region's coordinators only
        found = await fallback_recipients(session, category=table.get("其他"), region_id=district, admin_ids=ADMINS)
        assert found.telegram_ids == [2]
        found = await fallback_recipients(session, category=table.get("其他"), region_id=None, admin_ids=ADMINS)
        assert (found.kind, found.telegram_ids) == ("admins", ADMINS)


def test_routing_file_accepts_short_names_and_reports_every_problem_in_chinese() -> None:
    sectors = [(1, "中国民主促进会", "民进"), (2, "教育界", "教育界"), (3, "经济界", "经济界")]
    table = parse_routing_csv("\ufeff诉求类别,对口界别\n教育, 教育界；民进\n\n其他,\n", sectors)
    assert [(c.name, c.sector_ids) for c in table.categories] == [("教育", (2, 1)), ("其他", ())]
    with pytest.raises(RoutingFileError) as caught:
        parse_routing_csv("诉求类别,对口界别\n教育,教育界;民主促进\n就业,工会\n教育,经济界\n,经济界\n", sectors)
    lines = caught.value.lines
    assert lines == [
        "诉求分派表第 2 行（教育）：未知界别“民主促进”，请使用界别全称或简称",
        "诉求分派表第 3 行（就业）：未知界别“工会”，请使用界别全称或简称",
        "诉求分派表第 4 行：诉求类别“教育”重复",
        "诉求分派表第 5 行：缺少诉求类别",
    ]
    with pytest.raises(RoutingFileError) as caught:
        parse_routing_csv("类型,界别名\n教育,教育界\n", sectors)
    assert caught.value.lines == ["诉求分派表缺少表头“诉求类别”或“对口界别”"]


async def test_routing_file_from_setting_is_checked_against_the_sector_table(db, tmp_path: Path) -> None:
    own = tmp_path / "routing.csv"
    own.write_text("诉求类别,对口界别\n供暖,经济界;民建\n", encoding="gb18030")
    async with db.session() as session:
        table = await load_routing_table(session, path=own)
        assert table.names == ["供暖"] and table.get("供暖").sector_names == ("经济界", "中国民主建国会")
        default = await load_routing_table(session)
        assert default.names[0] == "教育" and len(default.names) == 14
        with pytest.raises(RoutingFileError) as caught:
            await load_routing_table(session, path=tmp_path / "missing.csv")
    assert "找不到诉求分派表文件" in caught.value.lines[0]
