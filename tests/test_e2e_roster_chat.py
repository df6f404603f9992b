"""End to end: an admin sends the roster as a document, reads the dry run, and applies it with 确认导入."""

from __future__ import annotations

import asyncio
import csv
import io
import logging

import pytest
from sqlmodel import select

from bot.cli import main
from models import Member
from tests.conftest import ADMIN_ID, bind, sample_roster

CONFIRM = "✅ 确认导入"


def roster_rows() -> list[list[str]]:
    with sample_roster().open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def as_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


async def members(db) -> dict[str, Member]:
    async with db.session() as session:
        return {m.number: m for m in (await session.exec(select(Member))).all()}


@pytest.fixture
async def admin(fake, roster, app):
    user = fake.user(ADMIN_ID, first_name="管理员")
    await user.send("/start")
    await user.expect_message()
    return user


async def send_roster(user, rows, name: str = "名册.csv"):
    await user.send_document(name, as_csv(rows) if isinstance(rows, list) else rows)
    checking, verdict = await user.expect_messages(2, timeout=60)
    assert "正在检查名册" in checking.text
    return verdict


async def test_good_file_dry_run_then_confirm(fake, db, admin, caplog) -> None:
    rows = roster_rows()
    rows[1][6] = "13800001111"  # GS0001's phone
    rows.append(["GS9001", "新委员", "中国共产党", "第1界别活动组", "省", "甘肃省", "", ""])
    before = await members(db)
    preview = await send_roster(admin, rows)
    assert "尚未写入" in preview.text and "新增 GS9001 新委员" in preview.text
    assert f"更新 GS0001 {before['GS0001'].name}：手机 {before['GS0001'].phone} → 13800001111" in preview.text
    assert "新增 1，更新 1" in preview.text and "--deactivate-missing" not in preview.text
    assert preview.buttons == [[CONFIRM], ["取消"]]
    assert (await members(db)).keys() == before.keys()
    assert (await members(db))["GS0001"].phone == before["GS0001"].phone  # the dry run wrote nothing
    confirm_data = preview.button_data[CONFIRM]

    caplog.set_level(logging.INFO)
    await admin.press(CONFIRM, message=preview)
    applying, done = await admin.expect_messages(2, timeout=60)
    assert "已导入" in done.text and "新增 1，更新 1" in done.text
    after = await members(db)
    assert after["GS0001"].phone == "13800001111" and after["GS9001"].name == "新委员"
    assert len(after) == len(before) + 1
    assert any("从聊天导入了名册" in r.getMessage() for r in caplog.records)
    # the same button again: nothing pending any more
    assert not preview.inline_keyboard  # the pressed buttons are gone
    await admin.press_data(confirm_data, message=preview)
    assert "已失效" in (await admin.expect_answer()).text


async def test_bad_file_gets_row_numbers_and_changes_nothing(fake, db, admin) -> None:
    rows = roster_rows()
    rows[3][2] = "共产党员界"  # unknown sector on file row 4
    rows[5][6] = "12345"  # bad phone on file row 6
    before = await members(db)
    verdict = await send_roster(admin, rows)
    assert "无法导入" in verdict.text and "没有写入任何数据" in verdict.text
    assert "第 4 行：未知界别「共产党员界」" in verdict.text and "第 6 行：手机号格式不正确「12345」" in verdict.text
    assert not verdict.inline_keyboard
    assert {n: (m.name, m.phone, m.sector_id) for n, m in (await members(db)).items()} == {
        n: (m.name, m.phone, m.sector_id) for n, m in before.items()}
    # a look-alike header standing in for a missing column is named, never guessed
    rows = roster_rows()
    rows[0][6] = "联系电话"
    verdict = await send_roster(admin, rows)
    assert "联系电话" in verdict.text and "手机" in verdict.text and not verdict.inline_keyboard


async def test_pending_file_survives_a_restart_and_a_newer_file_replaces_it(fake, db, admin, runner, app, settings
                                                                             ) -> None:
    rows = roster_rows()
    rows[1][1] = "陆勇甲"
    first = await send_roster(admin, rows)
    rows[1][1] = "陆勇乙"
    second = await send_roster(admin, rows)
    await admin.press(CONFIRM, message=first)  # replaced: refused, nothing written
    assert "已失效" in (await admin.expect_answer()).text
    assert (await members(db))["GS0001"].name == "陆勇"

    await runner.stop(app)
    await runner.start(settings)
    await admin.press(CONFIRM, message=second)
    _, done = await admin.expect_messages(2, timeout=60)
    assert "已导入" in done.text
    assert (await members(db))["GS0001"].name == "陆勇乙"


async def test_data_changed_since_the_dry_run_is_not_applied(fake, db, admin, settings, tmp_path) -> None:
    rows = roster_rows()
    rows[1][1] = "陆勇新"
    preview = await send_roster(admin, rows)
    # meanwhile the clerk imports the same change on the command line
    path = tmp_path / "same.csv"
    path.write_bytes(as_csv(rows))
    assert await asyncio.to_thread(main, ["members", "import", str(path)], settings) == 0
    rows[2][1] = "范鹏新"
    path.write_bytes(as_csv(rows))
    assert await asyncio.to_thread(main, ["members", "import", str(path)], settings) == 0
    await admin.press(CONFIRM, message=preview)
    messages = await admin.expect_messages(3, timeout=60)
    assert "数据已有变化" in messages[1].text and "没有导入" in messages[1].text
    # the new dry run: the CLI's second change is undone by this file
    assert "更新 GS0002 范鹏：姓名 范鹏新 → 范鹏" in messages[2].text and messages[2].inline_keyboard
    assert (await members(db))["GS0002"].name == "范鹏新"


async def test_deactivate_missing_is_offered_within_the_guard(fake, db, admin) -> None:
    rows = roster_rows()
    gone = rows.pop(5)[0]
    preview = await send_roster(admin, rows)
    assert f"{gone}" in preview.text and "保留" in preview.text
    button = "确认导入并停用 1 人"
    assert [button] in preview.buttons
    await admin.press(button, message=preview)
    _, done = await admin.expect_messages(2, timeout=60)
    assert "已停用 1 人" in done.text
    assert not (await members(db))[gone].active
    # a file missing more than 20 % gets no such button
    rows = roster_rows()[:50]
    preview = await send_roster(admin, rows)
    assert "超过 20%" in preview.text and all(button[0] != "确认导入并停用" for button in preview.buttons)


async def test_long_change_lists_fit_one_message(fake, db, admin) -> None:
    rows = roster_rows()
    for row in rows[1:]:
        row[7] = "；".join(f"{row[1]}联系的一个很长名字的社区服务中心第{k}号" for k in range(3))
    preview = await send_roster(admin, rows)
    assert len(preview.text) <= 4096
    assert "另有 100 位委员有变化" in preview.text


async def test_who_else_sends_documents(fake, db, roster, app) -> None:
    member = await bind(fake, db, 5001, "GS0003", "胡刚")
    await member.send_document("名册.csv", as_csv(roster_rows()))
    assert "只有管理员" in (await member.expect_message()).text
    resident = fake.user(6001, first_name="群众")
    await resident.send("/start")
    await resident.expect_message()
    await resident.send_document("材料.pdf", b"%PDF-1.4")
    assert "没有被记录" in (await resident.expect_message()).text
    await member.press_data("rs:ok:0123456789ab", message=member.messages[-1])
    assert "只有管理员" in (await member.expect_answer()).text


async def test_wrong_type_and_too_big(fake, db, admin) -> None:
    await admin.send_document("名册.pdf", b"%PDF-1.4")
    assert "只能导入 .xlsx 或 .csv" in (await admin.expect_message()).text
    await admin.send_document("名册.csv", b"0" * (20 * 1024 * 1024 + 1))
    assert "文件太大" in (await admin.expect_message()).text


async def test_xlsx_roster_from_the_chat(fake, db, admin) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["委员名册"])  # a title row above the header
    for row in roster_rows():
        sheet.append(row)
    sheet.append(["GS9002", "表格委员", "中国共产党", "", "省", "", "", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    preview = await send_roster(admin, buffer.getvalue(), "名册.xlsx")
    assert "第 2 行为表头" in preview.text and "新增 GS9002 表格委员" in preview.text
    await admin.press(CONFIRM, message=preview)
    await admin.expect_messages(2, timeout=60)
    assert (await members(db))["GS9002"].name == "表格委员"
