"""Sector names as offices type them: the standard short names, the common other forms, one table for all."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from bot.cli import main
from bot.db import sector_catalogue, sync_engine, upgrade
from bot.services.routing import parse_routing_csv
from bot.services.sectors import SECTOR_ALIASES, sector_names
from models import Member, RoleGrant, Sector
from tests.conftest import offline_settings

# what clerks type for a sector, and the sector they mean
TYPED = {
    "台盟": "台湾民主自治同盟",
    "台联": "中华全国台湾同胞联谊会",
    "妇联": "中华全国妇女联合会",
    "全国妇联": "中华全国妇女联合会",
    "工商联": "中华全国工商业联合会",
    "全国工商联": "中华全国工商业联合会",
    "科协": "中国科学技术协会",
    "中国科协": "中国科学技术协会",
    "侨联": "中华全国归国华侨联合会",
    "全国侨联": "中华全国归国华侨联合会",
    "青联": "中国共产主义青年团和中华全国青年联合会",
    "共青团": "中国共产主义青年团和中华全国青年联合会",
    "民进": "中国民主促进会",
    "中国民主同盟": "中国民主同盟",
}


@pytest.fixture
def cli_settings(database_url: str):
    return offline_settings(database_url, bot_username="lianxin_test_bot")


def test_the_catalogue_has_the_standard_short_names() -> None:
    shorts = dict(sector_catalogue())
    assert shorts["台湾民主自治同盟"] == "台盟" and shorts["中华全国台湾同胞联谊会"] == "台联"


def test_every_other_form_names_a_catalogue_sector_and_no_name_means_two_sectors() -> None:
    catalogue = sector_catalogue()
    assert set(SECTOR_ALIASES) <= {name for name, _ in catalogue}
    table = sector_names(catalogue)
    assert {typed: table[typed] for typed in TYPED} == TYPED
    everything = [n for name, short in catalogue for n in (name, short)] + [a for v in SECTOR_ALIASES.values() for a in v]
    clashing = {n for n in everything if everything.count(n) > 1} - {name for name, short in catalogue if name == short}
    assert not clashing


def test_an_upgrade_gives_sectors_seeded_before_their_short_names_those_names(database_url) -> None:
    engine = sync_engine(database_url)
    with engine.begin() as connection:  # as the catalogue seeded them before
        for name in ("台湾民主自治同盟", "中华全国台湾同胞联谊会"):
            connection.execute(update(Sector).where(Sector.name == name).values(short_name=name))
    engine.dispose()
    assert upgrade(database_url) == 0
    assert upgrade(database_url) == 0  # again: nothing more to do
    engine = sync_engine(database_url)
    with engine.connect() as connection:
        shorts = dict(connection.execute(select(Sector.name, Sector.short_name)).all())
    engine.dispose()
    assert shorts["台湾民主自治同盟"] == "台盟" and shorts["中华全国台湾同胞联谊会"] == "台联"
    assert shorts == dict(sector_catalogue())


def test_grant_and_roster_accept_every_common_form(cli_settings, database_url, tmp_path, capsys) -> None:
    roster = tmp_path / "名册.csv"
    lines = [f"A{n},委员{n},{typed}" for n, typed in enumerate(TYPED)]
    roster.write_text("编号,姓名,界别\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert main(["members", "import", str(roster)], settings=cli_settings) == 0, capsys.readouterr().err
    for telegram_id, typed in enumerate(TYPED, start=100):
        assert main(["roles", "grant", str(telegram_id), "--sector", typed], settings=cli_settings) == 0
    assert "中国民主同盟" not in capsys.readouterr().err
    engine = sync_engine(database_url)
    with engine.connect() as connection:
        granted = connection.execute(select(RoleGrant.scope_value).order_by(RoleGrant.telegram_id)).scalars().all()
        members = connection.execute(
            select(Sector.name).join(Member, Member.sector_id == Sector.id).order_by(Member.id)).scalars().all()
    engine.dispose()
    assert granted == list(TYPED.values()) and members == list(TYPED.values())


def test_sectors_list_shows_every_accepted_name(cli_settings, capsys) -> None:
    assert main(["sectors", "list"], settings=cli_settings) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "界别\t简称\t在册委员\t也可写作"
    rows = {line.split("\t")[0]: line.split("\t") for line in out[1:]}
    assert rows["台湾民主自治同盟"][1] == "台盟" and rows["中华全国台湾同胞联谊会"][1] == "台联"
    assert rows["中华全国妇女联合会"][1:] == ["妇联", "0", "全国妇联"]
    assert rows["中国共产主义青年团和中华全国青年联合会"][3] == "共青团、青联、全国青联"
    assert rows["教育界"][1:] == ["-", "0", "-"]
    shown = {name for row in rows.values() for part in (row[0], row[1], row[3]) for name in part.split("、")} - {"-"}
    assert set(TYPED) <= shown


def test_the_routing_table_takes_the_same_names() -> None:
    sectors = [(n, name, short) for n, (name, short) in enumerate(sector_catalogue(), start=1)]
    table = parse_routing_csv("诉求类别,对口界别\n妇女儿童,全国妇联；台盟\n", sectors)
    ids = {name: sector_id for sector_id, name, _ in sectors}
    assert table.categories[0].sector_ids == (ids["中华全国妇女联合会"], ids["台湾民主自治同盟"])
