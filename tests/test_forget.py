"""A resident's personal data on request, without the chat: the CLI for someone without Telegram, the lifecycle
step, and the nightly phone retention at its boundary."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import Session, select

from bot.cli import main
from bot.db import sync_engine
from bot.services.lifecycle import TRANSITIONS, Action, Role
from models import AuditEvent, Case, CaseEvent, CaseStatus, Member, OutboxMessage, Resident, utcnow
from scheduler.retention import NIGHTLY_AT, phone_retention
from tests.conftest import offline_settings
from tests.support.case_flows import DESCRIPTION

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_withdraw_closes_every_open_state_for_the_resident_and_admins_only() -> None:
    open_states = {s for s in CaseStatus if s not in (CaseStatus.confirmed, CaseStatus.closed)}
    for role in Role:
        states = {s for (s, r, a) in TRANSITIONS if r is role and a is Action.withdraw}
        assert states == (open_states if role in (Role.resident, Role.admin) else set()), role
    assert all(TRANSITIONS[(s, Role.resident, Action.withdraw)] is CaseStatus.closed for s in open_states)


def _recorded_case(url: str, *, number: str = "2026-000123", status: CaseStatus = CaseStatus.accepted) -> int:
    """A case 孙凯凯 (GS0021, bound as 8021) recorded for 王大妈, who has no Telegram."""
    engine = sync_engine(url)
    try:
        with Session(engine) as session:
            member = session.exec(select(Member).where(Member.number == "GS0021")).one()
            member.telegram_id = 8021
            member.open_cases = 1
            year, seq = number.split("-")
            case = Case(number=number, year=int(year), seq=int(seq), requester_name="王大妈",
                        requester_phone="13912345678", recorded_by_member_id=member.id, category="教育",
                        description=DESCRIPTION, status=status, member_id=member.id,
                        closed_at=utcnow() if status is CaseStatus.closed else None)
            session.add(member)
            session.add(case)
            session.commit()
            return case.id
    finally:
        engine.dispose()


def _read(url: str, query):
    engine = sync_engine(url)
    try:
        with Session(engine) as session:
            return session.exec(query).all()
    finally:
        engine.dispose()


def test_the_cli_forgets_someone_without_telegram_dry_run_first(database_url, roster, capsys) -> None:
    settings = offline_settings(database_url)
    case_id = _recorded_case(database_url)
    closed_id = _recorded_case(database_url, number="2026-000124", status=CaseStatus.closed)

    assert main(["forget", "--phone", "139 1234 5678", "--dry-run"], settings=settings) == 0
    out = capsys.readouterr().out
    assert "试运行" in out and "诉求 2 件（其中 1 件未办结" in out and "通知 1 位委员" in out
    (case,) = _read(database_url, select(Case).where(Case.id == case_id))
    assert case.requester_phone == "13912345678" and case.status is CaseStatus.accepted  # nothing changed

    assert main(["forget", "--phone", "+86 13912345678"], settings=settings) == 0
    assert "已删除" in capsys.readouterr().out
    cases = {c.id: c for c in _read(database_url, select(Case))}
    for one in cases.values():
        assert one.requester_name is None and one.requester_phone is None and one.forgotten_at is not None
        assert one.description == DESCRIPTION
    assert cases[case_id].status is CaseStatus.closed and cases[closed_id].status is CaseStatus.closed
    (step,) = _read(database_url, select(CaseEvent).where(CaseEvent.case_id == case_id))
    assert step.action == "withdraw" and step.actor_kind == "admin" and step.actor_id is None
    (notice,) = _read(database_url, select(OutboxMessage).where(OutboxMessage.chat_id == 8021))
    assert "2026-000123" in notice.text and "已撤回关闭" in notice.text and notice.status.value == "pending"
    (member,) = _read(database_url, select(Member).where(Member.number == "GS0021"))
    assert member.open_cases == 0
    (audit,) = _read(database_url, select(AuditEvent).where(AuditEvent.action == "resident.forget"))
    assert audit.actor == "cli" and audit.entity_id is None and "1391234" not in audit.detail
    assert "王大妈" not in audit.detail and json.loads(audit.detail)["cases"] == 2

    # the same person again: nobody left to forget
    assert main(["forget", "--phone", "13912345678"], settings=settings) == 1
    assert "没有找到这位群众" in capsys.readouterr().err


def test_the_cli_forgets_the_person_of_a_case_and_refuses_bad_input(database_url, roster, capsys) -> None:
    settings = offline_settings(database_url)
    _recorded_case(database_url)
    assert main(["forget", "--case", "2026-999999"], settings=settings) == 1
    assert "没有编号为 2026-999999 的诉求" in capsys.readouterr().err
    assert main(["forget", "--phone", "12345"], settings=settings) == 1
    assert "不是有效的手机号" in capsys.readouterr().err
    assert main(["forget", "--case", "2026-000123", "--with-content"], settings=settings) == 0
    assert "所发文字 0 条" in capsys.readouterr().out
    (case,) = _read(database_url, select(Case))
    assert case.description == "（群众已申请删除所发内容）" and case.requester_name is None


async def test_phones_are_cleared_the_night_after_the_retention_period(db, settings) -> None:
    settings = settings.model_copy(update={"phone_retention_days": 365})
    night = datetime.combine(datetime(2026, 12, 6).date(), NIGHTLY_AT, tzinfo=SHANGHAI)
    cutoff = night - timedelta(days=365)
    async with db.session() as session:
        quiet = Resident(telegram_id=7001, phone="13900000001", last_seen_at=cutoff - timedelta(seconds=1))
        busy = Resident(telegram_id=7002, phone="13900000002", last_seen_at=cutoff - timedelta(days=10))
        session.add_all([quiet, busy])
        await session.flush()
        rows = {
            "at": Case(number="2025-000001", year=2025, seq=1, category="教育", description=DESCRIPTION,
                       status=CaseStatus.confirmed, closed_at=cutoff, phone="13900000011", resident_id=quiet.id),
            "before": Case(number="2025-000002", year=2025, seq=2, category="教育", description=DESCRIPTION,
                           status=CaseStatus.closed, closed_at=cutoff - timedelta(seconds=1),
                           requester_phone="13900000012"),
            "open": Case(number="2025-000003", year=2025, seq=3, category="教育", description=DESCRIPTION,
                         status=CaseStatus.unassigned, created_at=cutoff - timedelta(days=30), phone="13900000013",
                         resident_id=busy.id),
        }
        session.add_all(rows.values())
        await session.commit()
        ids = {k: v.id for k, v in rows.items()}

    context = SimpleNamespace(db=db, settings=settings)
    with time_machine.travel(night, tick=False):
        await phone_retention(context)
    async with db.session() as session:
        phones = {k: (await session.get(Case, i, populate_existing=True)) for k, i in ids.items()}
        assert phones["at"].phone == "13900000011"  # exactly 365 days: kept until the next night
        assert phones["before"].requester_phone is None
        assert phones["open"].phone == "13900000013"
        residents = {r.telegram_id: r.phone for r in (await session.exec(select(Resident))).all()}
        assert residents == {7001: None, 7002: "13900000002"}  # the one with an open case keeps theirs
        (audit,) = (await session.exec(select(AuditEvent).where(AuditEvent.action == "phone.retention"))).all()
        assert json.loads(audit.detail) == {"days": 365, "cases": 1, "residents": 1}

    with time_machine.travel(night + timedelta(days=1), tick=False):
        await phone_retention(context)
    async with db.session() as session:
        assert (await session.get(Case, ids["at"], populate_existing=True)).phone is None


async def test_the_retention_job_runs_at_three(runner, settings) -> None:
    app = await runner.start(settings)
    (job,) = app.job_queue.get_jobs_by_name("phone_retention")
    assert job.next_t.astimezone(SHANGHAI).strftime("%H:%M") == "03:00"


@pytest.mark.parametrize("argv", [["forget"], ["forget", "--phone", "1", "--case", "2"]])
def test_forget_needs_exactly_one_person(argv, capsys) -> None:
    assert main(argv) == 2
    assert "--phone" in capsys.readouterr().err


def test_the_migration_goes_down_and_up_again(database_url, roster) -> None:
    from sqlalchemy import inspect

    from bot.db import migrate, upgrade

    _recorded_case(database_url)

    def columns() -> set[str]:
        engine = sync_engine(database_url)
        try:
            return {c["name"] for c in inspect(engine).get_columns("case")}
        finally:
            engine.dispose()

    assert "forgotten_at" in columns()
    migrate(database_url, "0010", down=True)
    assert "forgotten_at" not in columns()
    upgrade(database_url)
    assert "forgotten_at" in columns()
    (case,) = _read(database_url, select(Case))
    assert case.requester_name == "王大妈" and case.forgotten_at is None
