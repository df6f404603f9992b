"""`python -m bot shell`, driven from a terminal as a person would (pexpect): a request across three roles,
the clock moved for a deadline, and the rendering of messages and buttons."""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pexpect
import pytest

from bot.config import Settings
from bot.shell.render import body, button_line, buttons, clock, html_text
from bot.shell.world import TOKEN, World
from bot.standin.api import BotMessage
from handlers import checkin
from models import utcnow
from tests.support.receptions import reception_day

ROOT = Path(__file__).resolve().parent.parent
PROMPT = r"\] > "
DESCRIPTION = "孩子就读的学校离家太远，每天上学要走一个小时山路，希望能协调校车。"


class Terminal:
    """The shell in a pseudo-terminal; `type` waits for the prompt, then types a line."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        env = {key: value for key, value in os.environ.items() if not key.isupper() or key in (
            "PATH", "HOME", "LANG", "LC_ALL", "HTTP_POOL_TUNING", "SQLITE_FAST_DRIVER")}
        env.update(TERM="dumb", NO_COLOR="1", TMPDIR=str(tmp_path))
        # run where there is no .env: the shell never needs one
        self.child = pexpect.spawn(sys.executable, ["-m", "bot", "shell", *args], cwd=str(tmp_path), env=env,
                                   encoding="utf-8", timeout=60, dimensions=(50, 200))
        self.child.expect("已就绪")

    def type(self, line: str) -> None:
        self.child.expect(PROMPT)
        self.child.sendline(line)

    def expect(self, pattern: str) -> re.Match:
        self.child.expect(pattern)
        return self.child.match

    def quit(self) -> str:
        self.type("/quit")
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.before


@pytest.fixture
def terminal(tmp_path: Path):
    shell = Terminal(tmp_path)
    yield shell
    if shell.child.isalive():
        shell.child.terminate(force=True)


def file_request(shell: Terminal) -> str:
    """As the resident: 📮 我要反映 → 教育 → 甘肃省 → the description → no photo, no phone → 确认提交;
    the name of the member it went to."""
    shell.expect(r"\[k1\] 📮 我要反映")
    for line in ("k1", "1", "1", "1", DESCRIPTION, "2", "1", "1"):  # 教育, 甘肃省, ✔ 就在甘肃省, …, 跳过, 跳过, 确认提交
        shell.type(line)
    member = shell.expect(r"已交由 (\S+) 委员").group(1)
    shell.expect(rf"→ {member}委员（GS\d+）：📮 您有一件新的诉求件")
    return member


def test_a_request_across_three_roles_from_the_keyboard(terminal: Terminal) -> None:
    member = file_request(terminal)
    terminal.type(f"/as member {member}")
    terminal.expect(rf"您现在是 {member}委员")
    terminal.expect(r"\[1\] ✅ 接收")
    terminal.type("1")
    terminal.expect(r"\[2\] 🏁 办结")  # the card again, with what can be done now
    terminal.expect("已接收诉求件 2026-000001")
    terminal.expect("→ 居民 王阿姨：您的诉求 2026-000001 已由")
    terminal.type("2")
    terminal.expect("请填写办理结果")
    terminal.type("已协调县教育局，下学期起开通校车。")
    terminal.expect(r"\[1\] 1 人次")
    terminal.type("2")  # a number asked for while buttons are on screen: "=2" sends it as text
    terminal.expect("没有编号为 2 的按钮。要把 2 作为文字发给机器人，请输入 =2")
    terminal.type("=2")
    terminal.expect("→ 居民 王阿姨：🏁 您的诉求 2026-000001 已办结")

    terminal.type("/as resident 1")
    terminal.expect(r"\[1\] 👍 已解决")
    terminal.type("1")
    terminal.expect("请为这次办理打分")
    terminal.type("1")  # ⭐⭐⭐⭐⭐
    terminal.expect("已记录您的评价（5 分）")
    terminal.expect(rf"→ {member}委员（GS\d+）：👍 群众确认诉求件 2026-000001 已解决")

    terminal.type("/as coordinator")
    terminal.type("/stats")
    terminal.expect("收到 1，未办结 0，其中超期 0，已办结 1，群众确认解决 1，平均评分 5.0")
    terminal.type("9")
    terminal.expect("没有编号为 9 的按钮")
    terminal.quit()


def test_time_moves_on_and_the_deadline_fires(terminal: Terminal) -> None:
    member = file_request(terminal)
    terminal.type("/time +2d")
    terminal.expect(r"现在是 \d{4}-\d{2}-\d{2} \d{2}:\d{2}")
    terminal.expect(rf"→ {member}委员（GS\d+）：⏰ 诉求件 2026-000001 交给您已超过 48 小时")
    terminal.type("/time -1d")
    terminal.expect("用法：/time")
    terminal.quit()


def test_the_shell_commands_say_what_they_need(terminal: Terminal, tmp_path: Path) -> None:
    terminal.type("/as member GS9999")
    terminal.expect("没有编号或姓名为 GS9999 的在任委员")
    terminal.type("/as nobody")
    terminal.expect("用法：/as resident 2")
    terminal.type("/photo 没有这个文件.png")
    terminal.expect("找不到文件")
    terminal.type("/location 北京")
    terminal.expect("用法：/location")
    terminal.type("/who")
    terminal.expect(r"\* 居民 王阿姨")
    terminal.type("/as resident 2")
    terminal.expect("您现在是 居民 李师傅")
    assert "再见" in terminal.quit()


def test_a_second_shell_on_the_same_database_is_answered(tmp_path: Path) -> None:
    """The stand-in's update ids go on after the highest the database's inbox has seen: a reopened
    database does not take the new updates for old ones."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'kept.db'}"
    for _ in range(2):
        shell = Terminal(tmp_path, "--db", url)
        try:
            shell.type("/help")
            shell.expect("使用说明（您的身份：管理员）")
            shell.quit()
        finally:
            if shell.child.isalive():
                shell.child.terminate(force=True)


# --- rendering, without a terminal ---------------------------------------------------------------


def message(**payload) -> BotMessage:
    return BotMessage(chat_id=1, message_id=1, method="sendMessage", payload=payload,
                      raw_text=payload.get("text"), parse_mode="HTML")


def test_telegram_html_becomes_styles() -> None:
    text = html_text('<b>诉求件 2026-000001</b>：<i>已接收</i> &lt;原样&gt; <a href="https://e.org">链接</a>')
    assert text.plain == "诉求件 2026-000001：已接收 <原样> 链接 (https://e.org)"
    styles = {text.plain[span.start:span.end]: str(span.style) for span in text.spans}
    assert styles["诉求件 2026-000001"] == "bold"
    assert styles["已接收"] == "italic"
    assert "underline" in styles["链接"]


def test_buttons_are_numbered_row_by_row_and_links_cannot_be_pressed() -> None:
    keyboard = {"inline_keyboard": [
        [{"text": "✅ 接收", "callback_data": "c:1"}],
        [{"text": "↪ 转交", "callback_data": "c:2"}, {"text": "📊 打开看板", "url": "https://e.org"}],
    ]}
    sent = message(text="卡片", reply_markup=keyboard)
    assert [(b.number, b.text, b.data) for b in buttons(sent)] == [
        (1, "✅ 接收", "c:1"), (2, "↪ 转交", "c:2"), (3, "📊 打开看板", None)]
    assert button_line(sent).plain.splitlines() == ["[1] ✅ 接收  ", "[2] ↪ 转交  [3] 📊 打开看板  "]


def test_media_is_named_with_its_length() -> None:
    voice = BotMessage(chat_id=1, message_id=2, method="sendVoice",
                       payload={"voice": {"duration": 102}, "caption": "回复"}, raw_caption="回复")
    assert body(voice).plain == "〔语音 1:42〕\n回复"
    assert clock(59) == "0:59"


# --- waiting for the bot, in-process -------------------------------------------------------------


async def test_the_shell_waits_until_the_answer_is_finished(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A poster drawn for a while (no Bot API call meanwhile) still shows with the press that asked for it,
    not one command later: `settle` waits for the update's handler to finish."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    draw = checkin.checkin_poster_png

    def slow(**values: object) -> bytes:  # a busy machine: longer than settle's quiet time
        time.sleep(1.0)
        return draw(**values)

    monkeypatch.setattr(checkin, "checkin_poster_png", slow)
    world = await World.open(Settings(_env_file=None, bot_token=TOKEN), database_url=None)  # type: ignore[call-arg]
    try:
        now = utcnow()
        await reception_day(world.application.db, starts=now - timedelta(minutes=30),
                            ends=now + timedelta(minutes=30), issue=False)
        member = (await world.member("GS0021")).user
        await member.send("/checkin_qr")
        await world.settle()
        listed = member.messages[-1]
        await member.press_data(listed.inline_keyboard[0][0]["callback_data"], message=listed)
        await world.settle()
        assert member.messages[-1].document["file_name"].endswith(".png")
    finally:
        await world.close()
