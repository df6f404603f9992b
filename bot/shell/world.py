"""The shell's world: the real Application against the in-process Bot API stand-in, over a database,
and the people one can be in it (residents, members, a coordinator, an admin)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from apscheduler.job import Job
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func
from sqlmodel import select

from bot.app import build_application
from bot.config import Settings
from bot.context import LianxinApplication
from bot.db import sync_engine, upgrade
from bot.services.access import grant_role, issue_invites, members_numbered
from bot.services.roster import import_roster
from bot.standin.api import BotMessage, FakeTelegram, FakeUser
from bot.texts import cli_text
from models import InboxUpdate, Member, RoleGrant, ScopeKind, Sector
from scheduler.delivery import DELIVERY_JOB

TOKEN = "100200300:SHELL-STAND-IN-not-a-real-token"
BOT_USERNAME = "lianxin_shell_bot"
ADMIN_ID = 1_000_001
COORDINATOR_ID = 1_000_002
MEMBER_IDS = 1_100_000
RESIDENT_IDS = 1_200_000
RESIDENT_NAMES = ("王阿姨", "李师傅", "张大爷", "赵大姐", "刘老师", "陈师傅", "杨阿姨", "黄大哥")
# the two members bound in a new world: sectors the sample routing table sends 教育 and 医疗 to
DEMO_SECTORS = ("教育界", "医药卫生界")
COORDINATOR_REGION = "甘肃省"
ROSTER = Path(__file__).resolve().parent.parent / "data" / "roster_sample.csv"
# the scheduler is walked job by job across a jump of the clock; jobs due again sooner than this
# (delivery, the deadline and reminder checks, the form sweep) run once at the new time
STEPPED_JOBS_LONGER_THAN = timedelta(hours=1)


@dataclass
class Persona:
    """Someone the person at the keyboard can be."""

    role: str  # resident | member | coordinator | admin
    user: FakeUser
    label: str


class World:
    """Started by `open`, ended by `close`; everything the REPL acts on."""

    def __init__(self, fake: FakeTelegram, application: LianxinApplication, folder: Path, *, throwaway: bool) -> None:
        self.fake = fake
        self.application = application
        self.folder = folder
        self.throwaway = throwaway
        self.personas: dict[int, Persona] = {}
        self.current: Persona | None = None
        self.clock: time_machine.travel | None = None
        self._seen_calls = 0

    # --- start and stop ------------------------------------------------------------------------

    @classmethod
    async def open(cls, base: Settings, *, database_url: str | None) -> World:
        folder = Path(tempfile.mkdtemp(prefix="lianxin-shell-"))
        url = database_url or f"sqlite+aiosqlite:///{folder / 'shell.db'}"
        last_update_id = await asyncio.to_thread(_prepare, url, new=database_url is None)
        fake = FakeTelegram(token=TOKEN, bot_username=BOT_USERNAME, bot_id=int(TOKEN.split(":")[0]))
        # the inbox keeps the ids it has seen and drops them as repeats: a reopened database goes on after them
        fake.continue_after(last_update_id)
        await fake.start()
        settings = Settings(  # type: ignore[call-arg] - pydantic-settings takes _env_file
            _env_file=None, bot_token=TOKEN, bot_api_base_url=fake.base_url, bot_api_file_url=fake.base_file_url,
            database_url=url, admin_ids=[ADMIN_ID, *base.admin_ids], timezone=base.timezone,
            log_level=base.log_level,
        )
        application = build_application(settings, rate_limit=False)
        await application.initialize()
        if application.post_init:
            await application.post_init(application)
        await application.updater.start_polling(poll_interval=0, timeout=1)
        await application.start()
        world = cls(fake, application, folder, throwaway=database_url is None)
        await world._people()
        return world

    async def close(self) -> None:
        if self.clock is not None:
            self.clock.stop()
        application = self.application
        if application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
        await self.fake.stop()
        if self.throwaway:
            shutil.rmtree(self.folder, ignore_errors=True)

    async def _people(self) -> None:
        """An admin always; in a new world also the coordinator and two members, bound, and a resident."""
        admin = await self._start(Persona("admin", self.fake.user(ADMIN_ID, first_name="管理员"),
                                          cli_text("shell_admin")))
        if not self.throwaway:
            self.current = admin
            return
        async with self.application.db.session() as session:
            await grant_role(session, telegram_id=COORDINATOR_ID, kind=ScopeKind.region, value=COORDINATOR_REGION,
                             actor="shell")
            await session.commit()
            numbers = []
            for sector in DEMO_SECTORS:
                number = (await session.exec(select(Member.number).join(Sector).where(
                    Sector.name == sector, Member.active.is_(True)).order_by(Member.number))).first()
                if number:
                    numbers.append(number)
        await self._start(Persona("coordinator", self.fake.user(COORDINATOR_ID, first_name="周协调"),
                                  cli_text("shell_coordinator", name="周协调")))
        for number in numbers:
            await self.member(number)
        self.current = await self.resident(1)

    async def _start(self, persona: Persona) -> Persona:
        self.personas[persona.user.id] = persona
        await persona.user.send("/start")
        await self.settle()
        return persona

    # --- who one is ----------------------------------------------------------------------------

    async def resident(self, n: int) -> Persona:
        user_id = RESIDENT_IDS + n
        if user_id in self.personas:
            return self.personas[user_id]
        name = RESIDENT_NAMES[(n - 1) % len(RESIDENT_NAMES)] + ("" if n <= len(RESIDENT_NAMES) else str(n))
        return await self._start(Persona("resident", self.fake.user(user_id, first_name=name),
                                         cli_text("shell_resident", name=name)))

    async def member(self, typed: str) -> Persona | None:
        """The member with this number: their own account if bound, else bound now to a new one."""
        async with self.application.db.session() as session:
            found, _ = await members_numbered(session, [typed])
            member = found[0] if found and found[0].active else (await session.exec(
                select(Member).where(Member.name == typed.strip(), Member.active.is_(True)))).first()
            if member is None:
                return None
            number = member.number
            label = cli_text("shell_member", name=member.name, number=member.number)
            if member.telegram_id is not None:
                persona = self.personas.get(member.telegram_id) or Persona(
                    "member", self.fake.user(member.telegram_id, first_name=member.name), label)
                self.personas[member.telegram_id] = persona
                return persona
            batch = await issue_invites(session, ttl_days=1, numbers=[number], replace=True)
            await session.commit()
        user = self.fake.user(MEMBER_IDS + len(self.personas), first_name=member.name)
        persona = Persona("member", user, label)
        self.personas[user.id] = persona
        await user.send(f"/start {batch.issued[0].code}")
        await self.settle()
        return persona

    async def coordinator(self) -> Persona | None:
        if COORDINATOR_ID in self.personas:
            return self.personas[COORDINATOR_ID]
        async with self.application.db.session() as session:
            telegram_id = (await session.exec(select(RoleGrant.telegram_id).order_by(RoleGrant.id))).first()
        if telegram_id is None:
            return None
        if telegram_id not in self.personas:
            self.personas[telegram_id] = Persona("coordinator", self.fake.user(telegram_id, first_name="协调员"),
                                                 cli_text("shell_coordinator", name=str(telegram_id)))
        return self.personas[telegram_id]

    def admin(self) -> Persona:
        return self.personas[ADMIN_ID]

    def label_of(self, chat_id: int) -> str:
        persona = self.personas.get(chat_id)
        return persona.label if persona else str(chat_id)

    # --- waiting and time ----------------------------------------------------------------------

    async def settle(self, *, quiet: float = 0.3, limit: float = 15.0) -> None:
        """Until the bot has handled every update (no handler still running: a poster is drawn for a while
        without calling anything) and called the Bot API for nothing but updates for `quiet` seconds
        (its long poll asks every second, so it is not counted)."""
        application = self.application
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        still_since = loop.time()
        while loop.time() < deadline:
            busy = (bool(self.fake.pending_updates) or application.update_queue.qsize() > 0
                    or application.update_processor.current_concurrent_updates > 0)
            if busy or self._new_calls():
                still_since = loop.time()
            elif loop.time() - still_since >= quiet:
                return
            await asyncio.sleep(0.05)

    def _new_calls(self) -> bool:
        """Whether the bot called anything but getUpdates since the last look."""
        calls = self.fake.calls
        new = any(call.method != "getUpdates" for call in calls[self._seen_calls:])
        self._seen_calls = len(calls)
        return new

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def advance(self, delta: timedelta) -> None:
        """Move the clock forward: stop at every daily or rare job due on the way so each runs as it would
        have (reminders at their hour, the nightly ones), then at the target, where the frequent jobs
        (delivery, deadlines, the reminder check) run at once."""
        target = self.now() + delta
        scheduler = self.application.job_queue.scheduler
        for _ in range(1000):
            now = self.now()
            due = [job.next_run_time for job in scheduler.get_jobs()
                   if job.next_run_time is not None and job.next_run_time <= target and _stepped(job, now)]
            if not due:
                break
            self._travel(min(due) + timedelta(milliseconds=100))
            scheduler.wakeup()
            await self.settle(quiet=1.0)
        self._travel(target)
        now = self.now()
        for job in scheduler.get_jobs():
            if job.next_run_time is not None and not _stepped(job, now):
                job.modify(next_run_time=now)
        scheduler.wakeup()
        await self.settle(quiet=1.5)
        # what those jobs wrote to the outbox goes out now, not at the delivery chain's next turn
        for job in scheduler.get_jobs():
            if job.name == DELIVERY_JOB and job.next_run_time is not None:
                job.modify(next_run_time=self.now())
        scheduler.wakeup()
        await self.settle(quiet=1.0)

    def _travel(self, when: datetime) -> None:
        if self.clock is not None:
            self.clock.stop()
        self.clock = time_machine.travel(when, tick=True)
        self.clock.start()

    # --- what the bot sent ---------------------------------------------------------------------

    def sent(self) -> Iterator[BotMessage]:
        """Every message the bot has sent, in order."""
        return iter(sorted(self.fake.messages(), key=lambda m: m.seq))


def _stepped(job: Job, now: datetime) -> bool:
    """A job the clock stops at: daily (cron) ones, and any other not due again within the hour."""
    if isinstance(job.trigger, CronTrigger):
        return True
    interval = getattr(job.trigger, "interval", None)
    if interval is not None:
        return interval > STEPPED_JOBS_LONGER_THAN
    return job.next_run_time - now > STEPPED_JOBS_LONGER_THAN


def _prepare(url: str, *, new: bool) -> int:
    """Migrate; a new world gets the sample roster. The highest update id the inbox holds (0 for none)."""
    upgrade(url)
    engine = sync_engine(url)
    try:
        with engine.begin() as connection:
            if new:
                report = import_roster(connection, ROSTER)
                if not report.ok:
                    raise RuntimeError(f"sample roster: {report.errors[:3]}")
            return connection.execute(select(func.max(InboxUpdate.update_id))).scalar() or 0
    finally:
        engine.dispose()
