"""Settings as a clerk writes them in .env: one Chinese line per mistake, and always the same .env and database."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

import bot
from bot.cli import main
from bot.config import TOKEN_MIN_DIGITS, TOKEN_MIN_TAIL, Settings, load_settings, project_home
from tests.conftest import PG_URL

ROOT = Path(bot.__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path: Path) -> Path:
    """No setting leaks in from the machine; LIANXIN_HOME is an empty folder of the test's own."""
    for name in list(Settings.model_fields) + ["LIANXIN_HOME"]:
        monkeypatch.delenv(name.upper(), raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LIANXIN_HOME", str(home))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'lianxin.db'}")
    return home


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_full_width_commas_and_enumeration_commas_in_admin_ids(monkeypatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", "123，456、789; 1000")
    assert load_settings().admin_ids == [123, 456, 789, 1000]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ADMIN_IDS", "123,abc", "配置项 ADMIN_IDS 有误：「abc」不是 Telegram 用户 ID"),
        ("ACTIVITY_KINDS", '[{"code": "visit",', "配置项 ACTIVITY_KINDS 有误：不是有效的 JSON"),
        ("ACTIVITY_KINDS", '[{"code":"Visit","name":"走访","points":2}]', "配置项 ACTIVITY_KINDS 有误：第 1 项 code"),
        ("ACTIVITY_KINDS", "[]", "至少要有一种活动类型"),
        ("LOG_LEVEL", "verbose", "配置项 LOG_LEVEL 有误：「verbose」不是日志级别，应为 DEBUG、INFO、WARNING、ERROR、CRITICAL 之一"),
        ("BOT_TOKEN", "12:abcdefghij", f"冒号前至少 {TOKEN_MIN_DIGITS} 位数字"),
        ("INVITE_TTL_DAYS", "abc", "配置项 INVITE_TTL_DAYS 有误：「abc」不是整数"),
        ("INVITE_TTL_DAYS", "0", "「0」太小，不能小于 1"),
        ("TIMEZONE", "Mars/Base", "「Mars/Base」不是已知的时区"),
        ("DATABASE_URL", "mysql://u:p@h/db", "只支持 SQLite 和 PostgreSQL"),
        ("BOT_PROXY_URL", "ftp://proxy:21", "不是有效的代理地址"),
        ("WEBHOOK_URL", "https://bot.example.org/hook", "配置项 WEBHOOK_SECRET 有误"),
        ("SQLITE_FAST_DRIVER", "maybe", "配置项 SQLITE_FAST_DRIVER 有误：「maybe」应为 true 或 false"),
        ("REMINDER_TIME", "9点", "配置项 REMINDER_TIME 有误：「9点」不是时间：时间格式应为 时:分，例如 09:00"),
        ("REMINDER_TIME", "25:00", "时间格式应为 时:分，例如 09:00"),
        ("REMINDER_RULES", "all", "值「all」无效：只能是 no_activity、below_pace、bottom_share 中的一项或几项"),
        ("TIMEZONE", "Asia/" + "x" * 300, "不是已知的时区"),
    ],
)
def test_each_bad_setting_is_one_chinese_line_with_an_example(monkeypatch, capsys, name, value, expected) -> None:
    monkeypatch.setenv(name, value)
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0] and "正确示例：" in lines[0]
    assert "Traceback" not in err and "validation error" not in err


# every word of pydantic's own messages that could reach a clerk ("Input should be a valid …")
PYDANTIC_ENGLISH = re.compile(r"Input|should|valid|expected|error|format|parsing|character")


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_no_setting_is_explained_in_pydantics_english(monkeypatch, capsys, field) -> None:
    for value in ("9点", "abc", "-1", "1.5", "[1]", '{"a":1}', "x" * 300, "25:61", '[{"code":"a","points":"x"}]'):
        monkeypatch.setenv(field.upper(), value)
        code = main(["db", "upgrade"])
        err = capsys.readouterr().err
        if code != 2:
            continue
        (line,) = err.strip().splitlines()
        problem = line.split("。正确示例：")[0].replace(value[:60], "")
        assert not PYDANTIC_ENGLISH.search(problem), line


def test_a_secret_is_never_echoed(monkeypatch, capsys) -> None:
    monkeypatch.setenv("BOT_TOKEN", "12:very-secret-tail-value")
    assert main(["db", "upgrade"]) == 2
    assert "very-secret" not in capsys.readouterr().err


def test_the_token_rule_in_the_message_is_the_rule_checked() -> None:
    good = "1" * TOKEN_MIN_DIGITS + ":" + "a" * TOKEN_MIN_TAIL
    assert Settings(_env_file=None, bot_token=good).token == good  # type: ignore[call-arg]
    for bad in ("1" * (TOKEN_MIN_DIGITS - 1) + ":" + "a" * TOKEN_MIN_TAIL,
                "1" * TOKEN_MIN_DIGITS + ":" + "a" * (TOKEN_MIN_TAIL - 1)):
        with pytest.raises(ValidationError):
            Settings(_env_file=None, bot_token=bad)  # type: ignore[call-arg]


def test_a_heroku_style_postgres_url_is_accepted(monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example.org:5432/lianxin")
    assert load_settings().database_url == "postgresql+psycopg://u:p@db.example.org:5432/lianxin"


def test_an_unreachable_database_is_one_line_without_the_password(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql://lianxin:sekret-pw@127.0.0.1:{closed_port()}/lianxin")
    assert main(["db", "upgrade"]) == 4
    err = capsys.readouterr().err
    assert "sekret-pw" not in err and "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.startswith("无法使用数据库")]
    assert "连不上数据库服务器" in line and "DATABASE_URL" in line and "lianxin:***@127.0.0.1" in line


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL not configured (set LIANXIN_TEST_PG_URL)")
def test_a_wrong_postgresql_password_is_one_line(monkeypatch, capsys) -> None:
    from sqlalchemy.engine import make_url

    wrong = make_url(PG_URL).set(password="definitely-wrong").render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", wrong)
    assert main(["db", "upgrade"]) == 4
    err = capsys.readouterr().err
    assert "用户名或密码不对" in err and "definitely-wrong" not in err and "Traceback" not in err


def test_the_env_file_of_lianxin_home_is_read_wherever_the_command_runs(monkeypatch, clean_environment, tmp_path,
                                                                           capsys) -> None:
    home = clean_environment
    monkeypatch.delenv("DATABASE_URL")
    (home / ".env").write_text("DATABASE_URL=sqlite+aiosqlite:///data/home.db\nADMIN_IDS=42\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings()
    assert settings.admin_ids == [42] and settings.env_file_used == str(home / ".env")
    assert main(["db", "upgrade"]) == 0
    assert f"数据库：SQLite {home / 'data' / 'home.db'}（设置来自 {home / '.env'}）" in capsys.readouterr().err
    assert (home / "data" / "home.db").is_file() and not (elsewhere / "data").exists()


def test_a_lianxin_home_that_does_not_exist_is_refused(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("LIANXIN_HOME", str(tmp_path / "typo"))
    assert main(["db", "upgrade"]) == 2
    assert "LIANXIN_HOME 指向的文件夹不存在" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists()


def test_env_file_option_and_relative_sqlite_next_to_it(monkeypatch, tmp_path, capsys) -> None:
    monkeypatch.delenv("DATABASE_URL")
    other = tmp_path / "site"
    other.mkdir()
    (other / "prod.env").write_text("DATABASE_URL=sqlite+aiosqlite:///db/site.db\n", encoding="utf-8")
    assert main(["--env-file", str(other / "prod.env"), "db", "upgrade"]) == 0
    assert (other / "db" / "site.db").is_file()
    assert main(["--env-file", str(tmp_path / "missing.env"), "db", "upgrade"]) == 2
    assert "找不到 --env-file 指定的文件" in capsys.readouterr().err


def test_without_lianxin_home_the_project_folder_is_used(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("LIANXIN_HOME")
    monkeypatch.chdir(tmp_path)
    assert project_home() == ROOT and (ROOT / "pyproject.toml").is_file()


def test_a_listing_never_creates_an_empty_database(monkeypatch, tmp_path, capsys) -> None:
    target = tmp_path / "nowhere" / "lianxin.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{target}")
    assert main(["members", "list"]) == 4
    assert "数据库文件不存在" in capsys.readouterr().err
    assert not target.exists() and not target.parent.exists()


def test_first_command_from_another_folder_speaks_chinese_and_names_the_database(clean_environment, tmp_path) -> None:
    home = clean_environment
    (home / ".env").write_text("DATABASE_URL=sqlite+aiosqlite:///data/lianxin.db\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "LIANXIN_HOME": str(home), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"数据库：SQLite {home / 'data' / 'lianxin.db'}" in done.stderr
    assert "首次使用：已写入 34 个界别。" in done.stderr and "seeded" not in done.stderr
    assert not (elsewhere / "data").exists()
