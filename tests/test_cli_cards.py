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
    assert png_size(out / "找我反映_GS0001_陆勇.png") == (800, 1100) and len(list(out.glob("找我反映_*.png"))) == 120
    from PIL import Image

    with Image.open(out / "找我反映_GS0001_陆勇.png") as card:
        assert [round(d) for d in card.info["dpi"]] == [300, 300]  # 6.8 × 9.3 cm
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


def read_links(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["编号"]: row for row in csv.DictReader(handle)}


def test_cards_for_one_member_update_only_their_row_of_links_csv(cli_settings, tmp_path, capsys) -> None:
    out = tmp_path / "卡片"
    assert main(["members", "cards", "--out-dir", str(out)], settings=cli_settings) == 0
    before = read_links(out / "links.csv")
    assert main(["members", "cards", "--out-dir", str(out), "--member", "gs0001", "--rotate"],
                settings=cli_settings) == 0
    after = read_links(out / "links.csv")
    assert list(after) == list(before) and len(after) == 120  # the other 119 rows stay, in 编号 order
    assert after["GS0001"]["链接"] != before["GS0001"]["链接"]
    assert {k: v for k, v in after.items() if k != "GS0001"} == {k: v for k, v in before.items() if k != "GS0001"}
    # into a new folder: a links.csv of that member alone
    assert main(["members", "cards", "--out-dir", str(tmp_path / "新"), "--member", "GS0002"], settings=cli_settings) == 0
    assert list(read_links(tmp_path / "新" / "links.csv")) == ["GS0002"]
    # a links.csv this command did not write is never rewritten
    other = tmp_path / "别的"
    other.mkdir()
    (other / "links.csv").write_text("姓名,电话\n陆勇,123\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["members", "cards", "--out-dir", str(other), "--member", "GS0001"], settings=cli_settings) == 1
    assert "不是本命令写的链接表" in capsys.readouterr().err
    assert (other / "links.csv").read_text(encoding="utf-8") == "姓名,电话\n陆勇,123\n"
    assert [p.name for p in other.iterdir()] == ["links.csv"]
