"""End to end: a member's duty report (/report_me, the button under /my), a coordinator's ZIP of their scope's
reports (/duty_reports), and the 社情民意 digest with its theme buttons (/digest), through the fake Bot API."""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import docx
from sqlmodel import select

from bot.cli import main
from bot.services.digest import digest_cases, make_digest
from bot.services.duty_report import members_in_scope
from bot.services.rules import Quarter, local_today
from bot.services.scopes import Scope
from bot.texts import DUTY
from models import Case, CaseStatus, Member, ScopeKind, utcnow
from tests.conftest import ADMIN_ID, bind
from tests.support.digest_cases import seed_labelled
from tests.test_e2e_my import add, member_id

TZ = ZoneInfo("Asia/Shanghai")


def today():
    return local_today(utcnow(), TZ)


async def last_progress(user) -> str:
    """The progress line's edits until it says it is done (progress edits in between depend on the machine's speed)."""
    for _ in range(50):
        text = (await user.expect_edit(timeout=60)).text
        if "已生成" in text:
            return text
    raise AssertionError("the progress line never said done")


async def test_member_gets_their_duty_report(fake, db, roster, app) -> None:
    user = await bind(fake, db, 5001, "GS0003", "胡刚")
    mid = await member_id(db)
    day = today()
    for n in range(3):
        await add(db, mid, day=day - timedelta(days=n), people=4 + n)
    start = datetime.combine(day, time(8), tzinfo=TZ)
    async with db.session() as session:
        session.add(Case(number=f"{day.year}-000901", year=day.year, seq=901, category="出行",
                         description="居民李秀英反映小区路灯坏了，电话13912345678", status=CaseStatus.confirmed,
                         member_id=mid, created_at=start, updated_at=start, accepted_at=start + timedelta(hours=1),
                         resolved_at=start + timedelta(hours=2), rating=4))
        await session.commit()

    await user.send("/report_me")
    assert "正在生成" in (await user.expect_message()).text
    sent = await user.expect_message(timeout=60)
    assert sent.document_name == f"{day.year}年度履职报告_GS0003_胡刚.docx"
    assert "活动 3 次" in sent.caption and f"{4 + 5 + 6} 人次" in sent.caption
    document = docx.Document(io.BytesIO(sent.document_bytes))
    assert document.paragraphs[0].text == f"胡刚委员{day.year}年度履职报告"
    kinds = document.tables[0]
    assert [c.text for c in kinds.rows[-1].cells][-2:] == ["3", "15"]
    assert [c.text for c in document.tables[3].rows[1].cells] == ["1", "1", "1", "1", "4.0"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "李某某" in text and "李秀英" not in text and "13912345678" not in text
    assert len(document.inline_shapes) == 1

    # the same from the button under /my
    await user.send("/my")
    my = await user.expect_message()
    await user.press(f"📄 {day.year} 年度履职报告", message=my)
    assert "正在生成" in (await user.expect_answer()).text
    again = await user.expect_message(timeout=60)
    assert again.document_name == sent.document_name

    # bad input: one line each, no document
    await user.send("/report_me 20x6")
    assert "年份写得不对" in (await user.expect_message()).text
    await user.send(f"/report_me {day.year + 1}")
    assert "还没有开始" in (await user.expect_message()).text
    # a forged button for a year to come: stale
    await user.press_data(f"dr:me:{day.year + 1}", message=my)
    assert (await user.expect_answer()).show_alert


async def test_only_members_get_a_duty_report_and_only_staff_the_zip(fake, db, roster, app) -> None:
    resident = fake.user(6001, first_name="群众")
    await resident.send("/start")
    await resident.expect_message()
    await resident.send("/report_me")
    assert "仅限已绑定的政协委员" in (await resident.expect_message()).text
    member = await bind(fake, db, 5002, "GS0004", "郑涛超")
    await member.send("/duty_reports")
    assert (await member.expect_message()).text == (await _not_allowed())
    await member.send("/digest")
    assert (await member.expect_message()).text == (await _not_allowed())


async def _not_allowed() -> str:
    from bot.texts import plain

    return plain("not_allowed")


async def test_coordinator_gets_the_scope_as_one_zip(fake, db, roster, app, settings) -> None:
    assert await asyncio.to_thread(main, ["roles", "grant", "7003", "coordinator", "--region", "甘肃省/临夏回族自治州"],
                                   settings) == 0
    coordinator = fake.user(7003, first_name="协调员")
    await coordinator.send("/start")
    await coordinator.expect_message()
    async with db.session() as session:
        expected = await members_in_scope(session, scopes=[Scope(ScopeKind.region, "甘肃省/临夏回族自治州")])
        everyone = (await session.exec(select(Member.id).where(Member.active.is_(True)))).all()
    assert 0 < len(expected) < len(everyone)
    year = today().year
    await coordinator.send(f"/duty_reports {year}")
    progress = await coordinator.expect_message()
    assert "正在生成" in progress.text and f"0/{len(expected)}" in progress.text
    packed = await coordinator.expect_message(timeout=120)
    assert packed.document_name == DUTY["zip_name"].format(year=year, part=1)
    archive = zipfile.ZipFile(io.BytesIO(packed.document_bytes))
    names = archive.namelist()
    assert len(names) == len(expected)
    assert sorted(names) == sorted(f"{year}年度履职报告_{number}_{name}.docx" for _, number, name in expected)
    first = docx.Document(io.BytesIO(archive.read(names[0])))
    assert first.paragraphs[0].text.endswith(f"{year}年度履职报告")
    assert f"{len(expected)} 份" in await last_progress(coordinator)


async def test_digest_in_chat_with_theme_buttons_within_scope(fake, db, roster, app, settings) -> None:
    quarter = Quarter.of(today())
    await seed_labelled(db, quarter)
    admin = fake.user(ADMIN_ID, first_name="管理员")
    await admin.send("/start")
    await admin.expect_message()
    await admin.send(f"/digest {quarter.label}")
    assert "正在整理" in (await admin.expect_message()).text
    sent = await admin.expect_message(timeout=60)
    assert sent.document_name == f"社情民意信息（草稿）_{quarter.label}.docx"
    assert docx.Document(io.BytesIO(sent.document_bytes)).paragraphs[0].text == "社情民意信息（草稿）"
    summary = await admin.expect_message()
    async with db.session() as session:
        cases = await digest_cases(session, quarter=quarter, tz=TZ, scopes=None)
    digest = make_digest(cases, quarter=quarter, scopes=None, generated_at=utcnow())
    assert f"诉求 {digest.total} 件" in summary.text and f"{len(digest.themes)} 个" in summary.text
    first = digest.themes[0]
    assert len(summary.inline_keyboard) == min(10, len(digest.themes))
    await admin.press(f"1. {first.title}（{first.count}）", message=summary)
    listing = await admin.expect_message()
    assert all(case.number in listing.text for case in first.cases)
    assert "13912345678" not in listing.text and "王建国" not in listing.text

    # a coordinator of 天水市 sees 天水's themes only, and a theme button lists only cases in scope
    assert await asyncio.to_thread(main, ["roles", "grant", "7004", "coordinator", "--region", "甘肃省/天水市"],
                                   settings) == 0
    coordinator = fake.user(7004, first_name="协调员")
    await coordinator.send("/start")
    await coordinator.expect_message()
    await coordinator.send(f"/digest {quarter.label}")
    await coordinator.expect_messages(2, timeout=60)
    summary = await coordinator.expect_message()
    assert "天水市" in summary.text and "加装电梯" not in summary.text
    await coordinator.press(summary.buttons[0][0], message=summary)
    listing = await coordinator.expect_message()
    numbers = {c.number: c.region for c in cases}
    shown = [n for n in numbers if n in listing.text]
    assert shown and all(numbers[n].startswith("甘肃省/天水市") for n in shown)
    # a theme that changed since (its key no longer matches): said, nothing listed
    data = summary.button_data[summary.buttons[0][0]]
    await coordinator.press_data(data[:-8] + "00000000", message=summary)
    answer = await coordinator.expect_answer()
    assert answer.show_alert and "已经变化" in answer.text
    # a quarter not begun, and no cases at all
    await coordinator.send(f"/digest {quarter.next().label}")
    assert (await coordinator.expect_message()).text == f"{quarter.next().label} 还没有开始，没有数据。"
    await coordinator.send("/digest 2020Q1")
    await coordinator.expect_message()
    assert "没有收到诉求件" in (await coordinator.expect_edit()).text


async def test_the_digest_is_grouped_off_the_event_loop(fake, db, roster, app, monkeypatch) -> None:
    """While the grouping runs (held here until someone else was answered), the bot answers others: were it on
    the event loop, nobody would be answered and the held grouping would never be released."""
    import threading

    from bot.services import digest as digest_module

    await seed_labelled(db, Quarter.of(today()))
    release = threading.Event()
    grouped = digest_module.make_digest

    def held(*args, **kwargs):
        assert release.wait(20), "the bot answered nobody while the digest was being grouped"
        return grouped(*args, **kwargs)

    monkeypatch.setattr(digest_module, "make_digest", held)
    admin = fake.user(ADMIN_ID, first_name="管理员")
    resident = fake.user(6002, first_name="群众")
    await admin.send(f"/digest {Quarter.of(today()).label}")
    assert "正在整理" in (await admin.expect_message()).text
    await resident.send("/help")
    assert "使用说明" in (await resident.expect_message()).text
    release.set()
    assert (await admin.expect_message(timeout=60)).document_name.startswith("社情民意信息")


async def test_a_large_scope_comes_in_several_zips(fake, db, roster, app, settings, monkeypatch) -> None:
    from handlers import documents

    assert await asyncio.to_thread(main, ["roles", "grant", "7005", "coordinator", "--region", "甘肃省/临夏回族自治州"],
                                   settings) == 0
    async with db.session() as session:
        expected = await members_in_scope(session, scopes=[Scope(ScopeKind.region, "甘肃省/临夏回族自治州")])
    monkeypatch.setattr(documents, "ZIP_PART", len(expected) - 1)  # one full part, and one of a single report
    coordinator = fake.user(7005, first_name="协调员")
    await coordinator.send("/start")
    await coordinator.expect_message()
    year = today().year
    await coordinator.send(f"/duty_reports {year}")
    await coordinator.expect_message()
    first, second = await coordinator.expect_messages(2, timeout=120)
    assert "第 1/2 包" in first.caption and "第 2/2 包" in second.caption
    names = [zipfile.ZipFile(io.BytesIO(m.document_bytes)).namelist() for m in (first, second)]
    assert [len(n) for n in names] == [len(expected) - 1, 1]
    assert sorted(names[0] + names[1]) == sorted(f"{year}年度履职报告_{number}_{name}.docx"
                                                 for _, number, name in expected)
    assert "打包为 2 个" in await last_progress(coordinator)
