"""Fixtures: a database per test (SQLite and, when configured, PostgreSQL), the fake Bot API, the real bot."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.app import build_application
from bot.config import Settings
from bot.context import LianxinApplication
from bot.db import Database, upgrade

if TYPE_CHECKING:
    from tests.support.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-TOKEN-abcdefghijklmnop"
BOT_USERNAME = "lianxin_test_bot"
ADMIN_ID = 9000001
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
SAMPLES = Path(__file__).resolve().parent / "data"
ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("LIANXIN_TEST_PG_URL")
REQUIRE_PG = os.environ.get("LIANXIN_REQUIRE_PG") == "1"
# LIANXIN_TEST_PLAIN_LIBRARIES=1: the suite on the libraries' plain path, both speed tricks off
# (HTTP_POOL_TUNING, SQLITE_FAST_DRIVER), as a deployment that turned them off after an upgrade runs;
# .ci/run makes this second pass. Every Settings reads the environment (the CLI's too), and the
# tests' own Database and RetryingRequest objects get the plain default. Tests of a trick itself
# turn it on explicitly.
PLAIN_LIBRARIES = os.environ.get("LIANXIN_TEST_PLAIN_LIBRARIES") == "1"
if PLAIN_LIBRARIES:
    os.environ["HTTP_POOL_TUNING"] = "false"
    os.environ["SQLITE_FAST_DRIVER"] = "false"
    from bot.request import RetryingRequest

    Database.__init__.__kwdefaults__ = {**Database.__init__.__kwdefaults__, "fast_driver": False}
    RetryingRequest.__init__.__kwdefaults__ = {**RetryingRequest.__init__.__kwdefaults__, "pool_tuning": False}


def sample_roster() -> Path:
    """The synthetic sample roster; the shared copy when present, else the one the product ships (the shell's)."""
    shared = SHARED / "roster_sample.csv"
    return shared if shared.is_file() else ROOT / "bot" / "data" / "roster_sample.csv"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'lianxin.db'}"
        upgrade(url)
        yield url
        return
    if not PG_URL:
        if REQUIRE_PG:
            pytest.fail("LIANXIN_REQUIRE_PG=1 but LIANXIN_TEST_PG_URL is not set")
        pytest.skip("PostgreSQL not configured (set LIANXIN_TEST_PG_URL; .ci/run does)")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).set(drivername="postgresql+psycopg").update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    try:
        upgrade(rendered)
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A Database for the test's own queries, separate from the bot's."""
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    from tests.support.fake_telegram import FakeTelegram

    server = FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME, bot_id=int(TOKEN.split(":")[0]))
    await server.start()
    yield server
    await server.stop()


class Unreachable:
    """A Bot API nobody answers (port 9, discard): for CLI commands that never reach Telegram."""

    base_url = "http://127.0.0.1:9/bot"
    base_file_url = "http://127.0.0.1:9/file/bot"


def offline_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for the CLI where Telegram is out of reach."""
    return make_settings(database_url, Unreachable(), **overrides)  # type: ignore[arg-type]


def make_settings(database_url: str, fake: FakeTelegram, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "bot_token": TOKEN,
        "bot_api_base_url": fake.base_url,
        "bot_api_file_url": fake.base_file_url,
        "database_url": database_url,
        "admin_ids": [ADMIN_ID],
        "persistence_interval_seconds": 60,
        "media_dir": tempfile.mkdtemp(prefix="lianxin-media-"),  # never the working copy's data/media
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(database_url: str, fake: FakeTelegram) -> Settings:
    return make_settings(database_url, fake)


class BotRunner:
    """Starts and stops the real Application against the fake server, as run_polling would."""

    def __init__(self) -> None:
        self.running: list[LianxinApplication] = []
        self.abandoned: list[LianxinApplication] = []
        self.errors: list[BaseException] = []

    async def start(self, settings: Settings) -> LianxinApplication:
        application = build_application(settings, rate_limit=False)

        async def record(update: object, context) -> None:
            self.errors.append(context.error)

        # recorded before the bot's own error handler runs, so failures can't pass silently
        own = dict(application.error_handlers)
        application.error_handlers.clear()
        application.add_error_handler(record)
        application.error_handlers.update(own)
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await application.start()
        self.running.append(application)
        return application

    async def stop(self, application: LianxinApplication, *, clean: bool = True) -> None:
        """Stop polling; a clean stop also flushes persistence and shuts the app down."""
        if application.updater.running:
            await application.updater.stop()
        if clean:
            if application.running:
                await application.stop()
            await application.shutdown()
            if application.post_shutdown:
                await application.post_shutdown(application)
        self.running.remove(application)
        if not clean:
            self.abandoned.append(application)

    async def close(self) -> None:
        for application in list(self.running):
            await self.stop(application)
        for application in self.abandoned:
            if application.running:
                await application.stop()
            await application.shutdown()
            await application.db.dispose()  # type: ignore[union-attr]
        self.abandoned = []


@pytest.fixture
async def runner(database_url: str) -> AsyncIterator[BotRunner]:
    """Depends on the database so that bots stop (and flush) before their database is dropped."""
    bots = BotRunner()
    yield bots
    await bots.close()
    if bots.errors:
        raise AssertionError(f"the bot raised during the test: {bots.errors!r}")


@pytest.fixture
async def app(runner: BotRunner, settings: Settings) -> LianxinApplication:
    return await runner.start(settings)


@pytest.fixture
def roster_file(tmp_path: Path) -> Path:
    target = tmp_path / "roster.csv"
    shutil.copy(sample_roster(), target)
    return target


def import_roster_file(database_url: str, path: Path) -> None:
    """Import a roster as `members import` does (the CLI itself is tested in test_roster)."""
    from bot.db import sync_engine
    from bot.services.roster import import_roster

    engine = sync_engine(database_url)
    with engine.begin() as connection:
        report = import_roster(connection, path)
    engine.dispose()
    assert report.ok, report.errors


@pytest.fixture
def roster(database_url: str) -> Path:
    """The sample roster, imported."""
    path = sample_roster()
    import_roster_file(database_url, path)
    return path


async def issue_code(db: Database, number: str, *, ttl_days: int = 30) -> str:
    from bot.services.access import issue_invites

    async with db.session() as session:
        batch = await issue_invites(session, ttl_days=ttl_days, numbers=[number], replace=True)
        await session.commit()
    (invite,) = batch.issued
    return invite.code


async def bind(fake: FakeTelegram, db: Database, user_id: int, number: str, first_name: str = "委员"):
    """A member who opened their invite link: returns the FakeUser after the welcome arrived."""
    user = fake.user(user_id, first_name=first_name)
    code = await issue_code(db, number)
    await user.send(f"/start {code}")
    await user.expect_messages(2)
    return user


async def settle(app) -> None:
    """Until the application finished every update it has (its flush included)."""
    await asyncio.wait_for(app.update_queue.join(), 5)


def pytest_terminal_summary(terminalreporter) -> None:
    """Skips summed up, one line per reason (a run without PostgreSQL skips every PostgreSQL variant:
    hundreds of identical lines otherwise)."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{count} skipped: {reason}")
