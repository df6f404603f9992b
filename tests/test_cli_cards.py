"""`members cards`: a printable 找我反映 card and link per member, made all or nothing."""

from __future__ import annotations

import csv
import struct
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.cli import main
from bot.db import sync_engine
from bot.services.cases import parse_link_payload
from models import Member, MemberLink
from tests.conftest import offline_settings, sample_roster


@pytest.fixture
def cli_settings(database_url: str):
    settings = offline_settings(database_url, bot_username="lianxin_test_bot")
    assert main(["members", "import", str(sample_roster())], settings=settings) == 0
    return settings


def links_in_db(url: str) -> dict[int, str]:
    engine = sync_engine(url)
    with engine.connect() as connection:
        rows = dict(connection.execute(select(MemberLink.member_id, MemberLink.token)).all())
    engine.dispose()
    return rows


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_cards_for_every_active_member_with_links_that_route(cli_settings, database_url, tmp_path) -> None:
    out = tmp_path / "卡片"
    assert main(["members", "cards", "--out-dir", str(out)], settings=cli_settings) == 0
    with (out / "links.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 120 and set(rows[0]) == {"编号", "姓名", "链接"}
    tokens = {parse_link_payload(r["链接"].split("start=", 1)[1]) for r in rows}
    assert None not in tokens and tokens == set(links_in_db(database_url).values())
    assert rows[0]["链接"].startswith("https://t.me/lianxin_test_bot?start=m_")
    assert png_size(out / "GS0001.png") == (800, 1100) and len(list(out.glob("*.png"))) == 120
    # run again: the same links (cards already printed keep working); --rotate replaces one member's
    before = links_in_db(database_url)
    assert main(["members", "cards", "--out-dir", str(out)], settings=cli_settings) == 0
    assert links_in_db(database_url) == before
    assert main(["members", "cards", "--out-dir", str(out), "--member", "GS0001", "--rotate"], settings=cli_settings) == 0
    after = links_in_db(database_url)
    assert sum(before[k] != after[k] for k in before) == 1


def test_bad_output_or_unknown_member_makes_nothing(cli_settings, database_url, tmp_path, capsys) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["members", "cards", "--out-dir", str(blocker)], settings=cli_settings) == 1
    engine = sync_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(Member).where(Member.number == "GS0002").values(active=False))
    engine.dispose()
    argv = ["members", "cards", "--out-dir", str(tmp_path / "c"), "--member", "GS9999", "--member", "gs0002",
            "--member", "GS0001"]
    assert main(argv, settings=cli_settings) == 1
    err = capsys.readouterr().err
    assert "无法为以下编号生成卡片：GS9999（没有这个编号）、GS0002（已停用）。没有生成任何卡片。" in err
    assert "Traceback" not in err
    assert links_in_db(database_url) == {} and not (tmp_path / "c" / "links.csv").exists()


def test_card_text_is_drawn_with_a_cjk_font() -> None:
    from PIL import ImageFont

    from bot.services.cards import cjk_font_path

    face = ImageFont.truetype(str(cjk_font_path()), 40)
    # a font without CJK glyphs draws every Chinese character as the same empty box
    widths = {face.getbbox(ch)[2] for ch in "找我反映委员"}
    boxes = {face.getmask(ch).getbbox() for ch in "找我"}
    assert len(boxes) == 2 and min(widths) > 20
