"""`members invites` through the CLI and the database: no run may cost the clerk the codes already handed out."""

from __future__ import annotations

import asyncio
import csv
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from bot.cli import main
from bot.db import Database, sync_engine
from bot.services.access import BindOutcome, bind_member
from models import AuditEvent, InviteCode, Member
from tests.conftest import TOKEN, offline_settings, sample_roster


@pytest.fixture
def cli_settings(database_url: str):
    return offline_settings(database_url, bot_username="lianxin_test_bot")


@pytest.fixture
def imported(cli_settings) -> None:
    assert main(["members", "import", str(sample_roster())], settings=cli_settings) == 0


def read_codes(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return {row["编号"]: row["邀请码"] for row in csv.DictReader(handle)}


def count(url: str, *where) -> int:
    engine = sync_engine(url)
    with engine.connect() as connection:
        value = connection.execute(select(func.count()).select_from(InviteCode).where(*where)).scalar_one()
    engine.dispose()
    return value


def bind(url: str, code: str, telegram_id: int) -> BindOutcome:
    async def attempt() -> BindOutcome:
        db = Database(url)
        try:
            async with db.session() as session:
                result = await bind_member(session, telegram_id=telegram_id, code=code, max_failures=50,
                                           lockout=timedelta(hours=1))
            return result.outcome
        finally:
            await db.dispose()

    return asyncio.run(attempt())


def first_run(settings, tmp_path: Path) -> dict[str, str]:
    out = tmp_path / "first" / "codes.csv"
    assert main(["members", "invites", "--out", str(out)], settings=settings) == 0
    codes = read_codes(out)
    assert len(codes) == 120
    return codes


@pytest.mark.usefixtures("imported")
def test_bad_output_paths_are_refused_before_any_code_changes(cli_settings, database_url, tmp_path, capsys) -> None:
    codes = first_run(cli_settings, tmp_path)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    a_file = tmp_path / "not-a-folder.png"
    a_file.write_bytes(b"x")
    capsys.readouterr()

    assert main(["members", "invites", "--replace", "--out", str(folder)], settings=cli_settings) == 1
    assert "是一个文件夹" in capsys.readouterr().err
    assert main(["members", "invites", "--replace", "--out", str(tmp_path / "new.csv"), "--qr-dir", str(a_file)],
                settings=cli_settings) == 1
    err = capsys.readouterr().err
    assert "--qr-dir 应为文件夹" in err and "没有生成任何邀请码" in err
    assert not (tmp_path / "new.csv").exists()
    # an existing codes file is never overwritten: it may hold the only copy of codes still valid
    assert main(["members", "invites", "--replace", "--out", str(tmp_path / "first" / "codes.csv")],
                settings=cli_settings) == 1
    assert "已存在" in capsys.readouterr().err
    assert read_codes(tmp_path / "first" / "codes.csv") == codes

    assert count(database_url) == 120 == count(database_url, InviteCode.revoked_at.is_(None))
    for telegram_id, number in enumerate(("GS0001", "GS0060", "GS0120"), start=500):
        assert bind(database_url, codes[number], telegram_id) is BindOutcome.bound


@pytest.mark.usefixtures("imported")
def test_a_failure_while_writing_keeps_the_old_codes_and_leaves_no_files(
    cli_settings, database_url, tmp_path, capsys, monkeypatch
) -> None:
    codes = first_run(cli_settings, tmp_path)
    import qrcode

    made = {"n": 0}
    real_make = qrcode.make

    def make_then_fail(data, **kwargs):  # a full disk on the third picture
        made["n"] += 1
        if made["n"] == 3:
            raise OSError(28, "No space left on device")
        return real_make(data, **kwargs)

    monkeypatch.setattr(qrcode, "make", make_then_fail)
    out, qr_dir = tmp_path / "second" / "codes.csv", tmp_path / "second" / "qr"
    capsys.readouterr()
    assert main(["members", "invites", "--replace", "--out", str(out), "--qr-dir", str(qr_dir)],
                settings=cli_settings) == 1
    err = capsys.readouterr().err
    assert "写入邀请码文件失败（磁盘空间不足）" in err and "原有邀请码仍然有效" in err and "No space" not in err
    assert not out.exists() and not (tmp_path / "second").exists()  # temp files and made folders removed
    assert count(database_url) == 120 == count(database_url, InviteCode.revoked_at.is_(None))
    assert bind(database_url, codes["GS0002"], 700) is BindOutcome.bound


@pytest.mark.usefixtures("imported")
def test_holders_are_skipped_unless_replace_and_the_message_says_what_was_revoked(
    cli_settings, database_url, tmp_path, capsys
) -> None:
    codes = first_run(cli_settings, tmp_path)
    capsys.readouterr()
    # everyone holds a code: nothing to do, nothing revoked
    assert main(["members", "invites"], settings=cli_settings) == 0
    captured = capsys.readouterr()
    assert "没有需要生成邀请码的委员" in captured.out and "另有 120 位委员已有未过期的邀请码" in captured.err
    # naming a holder without --replace is refused
    assert main(["members", "invites", "--member", "GS0001"], settings=cli_settings) == 1
    assert "--replace" in capsys.readouterr().err
    assert count(database_url, InviteCode.revoked_at.is_(None)) == 120

    # a new member arrives: only they get a code
    engine = sync_engine(database_url)
    with engine.begin() as connection:
        sector_id = connection.execute(select(Member.sector_id).where(Member.number == "GS0001")).scalar_one()
        connection.execute(Member.__table__.insert().values(number="NEW1", name="新委员", sector_id=sector_id,
                                                            level="province", active=True))
    engine.dispose()
    out = tmp_path / "new.csv"
    assert main(["members", "invites", "--out", str(out)], settings=cli_settings) == 0
    assert list(read_codes(out)) == ["NEW1"]

    out = tmp_path / "replaced.csv"
    assert main(["members", "invites", "--member", "GS0001", "--replace", "--out", str(out)],
                settings=cli_settings) == 0
    err = capsys.readouterr().err
    assert "将作废 1 位委员的 1 个未过期邀请码" in err and "已作废 1 位委员的 1 个旧邀请码" in err
    assert bind(database_url, codes["GS0001"], 801) is BindOutcome.invalid
    assert bind(database_url, read_codes(out)["GS0001"], 801) is BindOutcome.bound
    assert bind(database_url, codes["GS0003"], 802) is BindOutcome.bound  # others untouched


@pytest.mark.usefixtures("imported")
def test_offline_without_bot_username_says_how_to_avoid_the_network(database_url, capsys) -> None:
    settings = offline_settings(database_url, bot_token=TOKEN)
    assert settings.bot_username is None
    assert main(["members", "invites"], settings=settings) == 3
    err = capsys.readouterr().err
    assert "BOT_USERNAME" in err and "不需要联网" in err and "Traceback" not in err
    assert TOKEN not in err
    assert count(database_url) == 0


@pytest.mark.usefixtures("imported")
def test_codes_to_stdout_and_qr_files_after_commit(cli_settings, database_url, tmp_path, capsys) -> None:
    qr_dir = tmp_path / "qr"
    assert main(["members", "invites", "--member", "GS0005", "--qr-dir", str(qr_dir)], settings=cli_settings) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "编号,姓名,邀请码,链接,有效期至" and out[1].startswith("GS0005,")
    # a labelled slip, named so that it is never taken for the member's public 找我反映 card, printed at 300 DPI
    assert [p.name for p in qr_dir.iterdir()] == ["邀请_GS0005_黄晨晶.png"]
    from PIL import Image

    with Image.open(qr_dir / "邀请_GS0005_黄晨晶.png") as slip:
        assert slip.size == (874, 1240) and [round(d) for d in slip.info["dpi"]] == [300, 300]  # A7: 7.4 × 10.5 cm
    engine = sync_engine(database_url)
    with engine.connect() as connection:
        actions = connection.execute(select(AuditEvent.action)).scalars().all()
    engine.dispose()
    assert "member.invites" in actions


@pytest.mark.usefixtures("imported")
def test_numbers_are_matched_in_any_case_and_without_spaces(cli_settings, database_url, tmp_path, capsys) -> None:
    qr_dir = tmp_path / "qr"
    argv = ["members", "invites", "--member", "gs0005", "--member", " GS 0006", "--member", "GS0005", "--qr-dir",
            str(qr_dir)]
    assert main(argv, settings=cli_settings) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in out[1:]] == ["GS0005", "GS0006"]


@pytest.mark.usefixtures("imported")
def test_each_number_that_cannot_have_a_code_is_named_with_why(cli_settings, database_url, capsys) -> None:
    engine = sync_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(Member).where(Member.number == "GS0002").values(active=False))
        connection.execute(update(Member).where(Member.number == "GS0003").values(telegram_id=4243))
    engine.dispose()
    argv = ["members", "invites", "--member", "GS9999", "--member", "gs0002", "--member", "GS0003", "--member", "GS0004",
            "--member", "XX1"]
    assert main(argv, settings=cli_settings) == 1
    err = capsys.readouterr().err
    assert ("无法为以下编号生成邀请码：GS9999（没有这个编号）、XX1（没有这个编号）、GS0002（已停用）、"
            "GS0003（已绑定 Telegram，不需要邀请码）。没有生成任何邀请码。") in err
    assert count(database_url) == 0


def test_the_slip_says_whose_it_is_until_when_and_not_to_pass_it_on(monkeypatch) -> None:
    from bot.services import cards

    drawn: list[str] = []
    real = cards._Drawing.centred
    monkeypatch.setattr(cards._Drawing, "centred", lambda self, text, *a, **k: (drawn.append(text), real(self, text, *a, **k)))
    png = cards.invite_slip_png(name="陆勇", number="GS0001", until="2026-12-31 09:00", link="https://t.me/x?start=Y")
    assert png.startswith(b"\x89PNG")
    assert "陆勇 委员" in drawn and "编号 GS0001" in drawn and "有效期至 2026-12-31 09:00" in drawn
    assert "仅限本人绑定 · 请勿转发或张贴" in drawn and "找我反映" not in drawn
