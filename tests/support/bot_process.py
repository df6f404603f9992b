"""The real `python -m bot run` as a child process against the fake Bot API: started, killed with
SIGKILL (nothing flushed, nothing closed), started again; its log shown when a test fails."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import TOKEN
from tests.support.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    """One bot at a time (`launch` again after `kill`), each start logging to a file of its own."""

    def __init__(self, fake: FakeTelegram, database_url: str, folder: Path, *, client: str | None = None,
                 **settings: str) -> None:
        """`client`: this process's name at the fake (`Call.client`), for tests that run several."""
        base_url = fake.client_base_url(client) if client else fake.base_url
        self.client = client
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WEBHOOK_", "DATABASE_URL"))}
        self.env.update(
            PYTHONPATH=str(ROOT), BOT_TOKEN=TOKEN, BOT_API_BASE_URL=base_url,
            BOT_API_FILE_URL=fake.base_file_url, DATABASE_URL=database_url, LOG_LEVEL="WARNING", **settings,
        )
        self.folder = folder
        self.logs: list[Path] = []
        self.process: subprocess.Popen | None = None

    def launch(self) -> subprocess.Popen:
        log = self.folder / f"{self.client or 'bot'}{len(self.logs)}.log"
        self.logs.append(log)
        with log.open("wb") as handle:
            self.process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=self.folder, env=self.env,
                                            stdout=subprocess.DEVNULL, stderr=handle)
        return self.process

    async def kill(self) -> None:
        """kill -9: whatever the process was doing stops where it was."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait, 10)

    async def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.process.wait, 20)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def output(self) -> str:
        return "\n".join(f"{log.name}:\n" + log.read_text(errors="replace")[-3000:] for log in self.logs)

    @contextlib.contextmanager
    def shown_on_failure(self) -> Iterator[None]:
        """An assertion failing inside shows what the bot logged."""
        try:
            yield
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n--- bot output ---\n{self.output()}") from None
