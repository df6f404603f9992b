"""`python -m bot run` when Telegram cannot be reached: one Chinese line at start, quiet retries once running."""

from __future__ import annotations

import asyncio
import http.server
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from telegram.error import NetworkError

from bot.app import build_application
from bot.cli.common import get_me as _get_me
from bot.logs import setup_logging
from tests.conftest import TOKEN, make_settings


def closed_port() -> int:
    """A local port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_bot(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    port = closed_port()
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "LIANXIN_HOME": str(home),
        "BOT_TOKEN": TOKEN,
        "BOT_API_BASE_URL": f"http://127.0.0.1:{port}/bot",
        "BOT_API_FILE_URL": f"http://127.0.0.1:{port}/file/bot",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'lianxin.db'}",
        **env,
    }
    return subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_unreachable_bot_api_at_start_is_one_chinese_line_and_a_failure_exit(tmp_path: Path) -> None:
    done = run_bot(tmp_path)
    assert done.returncode == 3
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("无法连接 Telegram（127.0.0.1:") and "BOT_PROXY_URL" in lines[0]
    assert "连接被拒绝" in lines[0]
    assert not re.search(r"httpx|ConnectError|NetworkError|attempts failed", lines[0]), lines[0]  # no library English
    assert TOKEN not in done.stderr and done.stdout == ""


def test_the_traceback_is_there_at_debug(tmp_path: Path) -> None:
    done = run_bot(tmp_path, LOG_LEVEL="DEBUG")
    assert done.returncode == 3
    assert "Traceback" in done.stderr and "无法连接 Telegram" in done.stderr
    line = next(line for line in done.stderr.splitlines() if line.startswith("无法连接 Telegram"))
    assert "提供服务；NetworkError: httpx.ConnectError" in line  # the library's words kept for whoever debugs
    assert TOKEN not in done.stderr


class NoBotApi:
    """A web server where the Bot API should be: answers every request with `status` and `body`."""

    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        answer = (status, body, content_type)

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.send_response(answer[0])
                self.send_header("Content-Type", answer[2])
                self.send_header("Content-Length", str(len(answer[1])))
                self.end_headers()
                self.wfile.write(answer[1])

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:  # quiet
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


PAGE = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not Found</h1>nginx</body></html>"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (404, PAGE, "text/html", "回答“找不到”（404）：这个地址不是 Telegram Bot API"),
        (404, b'{"ok":false,"error_code":404,"description":"Not Found"}', "application/json",
         "回答“找不到”（404）：这个地址不是 Telegram Bot API"),
        (200, b"<html><body>Welcome to our portal</body></html>", "text/html", "回答的是网页，不是 Telegram Bot API 的数据"),
        (403, b"<html><body>Access denied</body></html>", "text/html", "回答的是网页，不是 Telegram Bot API 的数据"),
    ],
    ids=["404-page", "404-json", "200-page", "403-page"],
)
def test_an_address_that_is_no_bot_api_is_said_to_be_so_and_its_page_never_shown(
    tmp_path, capsys, caplog, status, body, content_type, expected
) -> None:
    from bot.cli import main
    from bot.config import Settings

    with NoBotApi(status, body, content_type) as address:
        settings = Settings(_env_file=None, bot_token=TOKEN, bot_api_base_url=f"{address}/bot",  # type: ignore[call-arg]
                            database_url=f"sqlite+aiosqlite:///{tmp_path / 'lianxin.db'}")
        assert main(["run"], settings=settings) == 2
        err = capsys.readouterr().err
        assert expected in err and f"BOT_API_BASE_URL（{address}/bot）" in err
        assert "拒绝了 BOT_TOKEN" not in err
        assert main(["members", "invites"], settings=settings) == 2  # the bot's name is asked of the same address
        err += capsys.readouterr().err
    assert expected in err
    for text in (err, caplog.text):
        assert "<html" not in text.lower() and "nginx" not in text and "Welcome" not in text and "denied" not in text
    assert TOKEN not in err


@pytest.mark.parametrize("scheme", ["http", "socks5"])
async def test_the_proxy_carries_every_bot_api_call(database_url, fake, scheme) -> None:
    """The fake Bot API answers directly; through a proxy that is down, nothing gets through."""
    direct = make_settings(database_url, fake)
    assert await _get_me(direct) == fake.bot_username
    proxied = make_settings(database_url, fake, bot_proxy_url=f"{scheme}://127.0.0.1:{closed_port()}")
    with pytest.raises(NetworkError):
        await _get_me(proxied)
    application = build_application(proxied, rate_limit=False)
    try:
        with pytest.raises(NetworkError):
            await application.initialize()
    finally:
        await application.db.dispose()  # type: ignore[union-attr]


async def test_a_dropped_connection_after_start_is_retried_and_logged_in_one_line(
    settings, fake, runner, caplog
) -> None:
    from tests.support.fake_telegram import ApiError

    setup_logging("INFO", TOKEN)
    application = await runner.start(settings)
    name, serve = fake._methods["getupdates"]  # the fake's own dispatch table
    failures: list[float] = []

    def bad_gateway(params):  # Telegram (or the line to it) fails for a while
        failures.append(time.monotonic())
        raise ApiError(502, "Bad Gateway")

    fake._methods["getupdates"] = (name, bad_gateway)
    caplog.set_level(logging.INFO)
    deadline = time.monotonic() + 20
    while len(failures) < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    fake._methods["getupdates"] = (name, serve)
    assert len(failures) >= 3
    # python-telegram-bot waits 1 s, then 1.5 s, … (up to 30 s) between attempts: no busy loop
    assert failures[2] - failures[0] >= 2.4
    assert application.updater.running  # still polling, never exited

    user = fake.user(5001, first_name="群众")
    await user.send("/help")
    (reply,) = await user.expect_messages(1, timeout=20)
    assert "使用说明" in reply.text

    retries = [r for r in caplog.records if "与 Telegram 的连接中断" in r.getMessage()]
    assert len(retries) >= 3 and all(r.exc_info is None for r in retries)
    assert "Traceback" not in caplog.text
    assert all(isinstance(e, NetworkError) for e in runner.errors)
    runner.errors.clear()  # expected: the outage itself


async def test_run_starts_polling_after_checking_telegram(fake, tmp_path: Path) -> None:
    """The happy path of `python -m bot run`: the getMe check, then polling, then a clean stop on SIGINT."""
    import signal

    environment = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "LIANXIN_HOME": str(tmp_path),
        "BOT_TOKEN": TOKEN, "BOT_API_BASE_URL": fake.base_url, "BOT_API_FILE_URL": fake.base_file_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'lianxin.db'}",
    }
    child = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=tmp_path, env=environment,
                                                 stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        user = fake.user(5002, first_name="群众")
        await user.send("/help")
        (reply,) = await user.expect_messages(1, timeout=60)
        assert "使用说明" in reply.text
    finally:
        child.send_signal(signal.SIGINT)
        _out, err = await asyncio.wait_for(child.communicate(), timeout=60)
    assert child.returncode == 0, err.decode()
    assert f"数据库：SQLite {tmp_path / 'lianxin.db'}" in err.decode() and "Traceback" not in err.decode()


def test_errors_below_debug_are_one_line(caplog) -> None:
    from telegram.error import Conflict

    from bot.logs import OneLineErrors

    log = logging.getLogger("tests.one_line")
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(OneLineErrors())
    for error in (NetworkError("httpx.ConnectError: All connection attempts failed"),
                  Conflict("terminated by other getUpdates request"), ValueError("boom")):
        try:
            raise error
        except Exception:
            log.exception("update %s failed", None)
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "与 Telegram 的连接中断（连接被拒绝，对方没有在这个地址和端口上提供服务），稍后自动重试。"
    assert messages[1].startswith("另一个进程正在用同一个 BOT_TOKEN 接收消息")
    assert messages[2] == "update None failed（ValueError: boom）"
    assert "Traceback" not in caplog.text and all(r.exc_info is None for r in caplog.records)


def _wrapped(error: Exception) -> NetworkError:
    """A library error as python-telegram-bot hands it on (raise NetworkError(f"httpx.{name}: {error}") from error)."""
    try:
        try:
            raise error
        except Exception as exc:
            raise NetworkError(f"httpx.{type(exc).__name__}: {exc}") from exc
    except NetworkError as wrapped:
        return wrapped


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectError("[Errno -2] Name or service not known"), "找不到服务器（域名解析失败）"),
        (httpx.ConnectTimeout("timed out"), "连接超时"),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "加密连接（TLS）失败"),
        (httpx.ProxyError("503 Service Unavailable"), "代理服务器连不上"),
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), "连接中途断开"),
        (httpx.ConnectError("All connection attempts failed"), "连接被拒绝"),
        (httpx.ReadError("Bad Gateway"), "Telegram 服务器暂时出错"),
        (OSError("something new"), "网络错误"),
    ],
)
def test_network_failures_are_said_in_chinese_and_the_library_words_only_at_debug(error, expected) -> None:
    from bot.logs import network_reason

    wrapped = _wrapped(error)
    plain = network_reason(wrapped)
    assert plain.startswith(expected) and not re.search(r"[A-Za-z]{4,}", plain.replace("BOT_PROXY_URL", "").replace("Telegram", "")), plain
    assert type(error).__name__ in network_reason(wrapped, detail=True)
