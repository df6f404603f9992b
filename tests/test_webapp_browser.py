"""The dashboard in a real browser: Debian's chromium driven by Playwright, at 360×740 as in Telegram's in-app
browser, against the running bot. Each page is opened with valid initData for a coordinator and an admin; its
figures are checked against the statistics module's, its charts must have drawn, 🔔 and 分派给 are pressed, and
forged initData shows the refusal. Any console error fails the test. A screenshot of each page is saved
(LIANXIN_TEST_ARTIFACTS, else the test's temporary folder).

Skipped when chromium is absent, unless LIANXIN_REQUIRE_BROWSER=1 (.ci/run sets it and installs chromium)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from sqlmodel import select

from bot.services.outreach import nudge_key
from bot.services.rules import Quarter
from bot.services.stations import station_stats
from models import Case, Member, OutboxMessage, RoleGrant, ScopeKind, utcnow
from tests.conftest import ADMIN_ID
from tests.stats_world import COORD_REGION, TZ, in_scopes
from tests.test_e2e_stations import COORD_JIUQUAN, seed_reception_day
from tests.test_e2e_stats import REGION_SCOPE, expected_summary
from tests.test_webapp import JIUQUAN, sample_stations, settings, webapp_port, world  # noqa: F401 - fixtures
from tests.webapp_support import init_data

CHROMIUM = os.environ.get("LIANXIN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRE_BROWSER = os.environ.get("LIANXIN_REQUIRE_BROWSER") == "1"
LIGHT = {"bg_color": "#ffffff", "text_color": "#000000", "hint_color": "#707579", "link_color": "#3390ec",
         "button_color": "#3390ec", "button_text_color": "#ffffff", "secondary_bg_color": "#f4f4f5"}
DARK = {"bg_color": "#212121", "text_color": "#ffffff", "hint_color": "#aaaaaa", "link_color": "#8774e1",
        "button_color": "#8774e1", "button_text_color": "#ffffff", "secondary_bg_color": "#181818"}

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the page, not the database


def _browser_available() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("LIANXIN_TEST_ARTIFACTS") or tmp_path) / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser():
    if not _browser_available():
        if REQUIRE_BROWSER:
            pytest.fail(f"LIANXIN_REQUIRE_BROWSER=1 but there is no chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("chromium not installed (apt-get install chromium; .ci/run does)")
    from playwright.async_api import async_playwright  # the browser tests only: not needed by the rest

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        await launched.close()


class Page:
    """One opened dashboard and the console errors it logged."""

    def __init__(self, page, errors: list[str]) -> None:
        self.page, self.errors = page, errors

    async def figure(self, element_id: str) -> int:
        return int(await self.page.inner_text(f"#{element_id}"))

    async def charts_drawn(self) -> int:
        """Charts that finished drawing on a canvas of real size."""
        await self.page.wait_for_selector("[data-chart][data-rendered='1'] canvas", timeout=10_000)
        return await self.page.eval_on_selector_all(
            "[data-chart][data-rendered='1'] canvas", "cs => cs.filter(c => c.width > 100 && c.height > 100).length")


async def open_page(browser, port: int, user: int, *, view: str = "overview", theme: dict | None = None,
                    data: str | None = None) -> Page:
    page = await browser.new_page(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    fragment = (f"tgWebAppData={quote(data or init_data(user))}&tgWebAppVersion=8.0&tgWebAppPlatform=android"
                f"&tgWebAppThemeParams={quote(json.dumps(theme or LIGHT))}")
    await page.goto(f"http://127.0.0.1:{port}/?view={view}#{fragment}")
    return Page(page, errors)


def current() -> Quarter:
    return Quarter.of(utcnow().astimezone(TZ).date())


async def test_overview_and_drill_down_for_coordinator_and_admin(browser, world, webapp_port, artifacts) -> None:
    q = current()
    for user, scopes, name in ((COORD_REGION, REGION_SCOPE, "coordinator"), (ADMIN_ID, None, "admin")):
        opened = await open_page(browser, webapp_port, user)
        page = opened.page
        await page.wait_for_selector("#f-members")
        want = expected_summary(world, period=(q.year, q.q), scopes=scopes)
        for key in ("members", "bound", "with_activity", "on_pace", "unbound", "blocked"):
            assert await opened.figure(f"f-{key}") == want[key], (name, key)
        assert await opened.figure("f-activities") == sum(n for n, _ in want["by_kind"].values())
        assert await opened.figure("f-received") == want["cases"]["received"]
        assert await opened.figure("f-overdue") == want["cases"]["overdue"]
        assert await page.inner_text("#period") == q.cn_label
        assert await page.is_disabled("#next")  # no way into the future
        if want["by_kind"]:
            assert await opened.charts_drawn() >= 1
        # no horizontal scrolling at 360 px
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await page.screenshot(path=str(artifacts / f"overview-{name}.png"), full_page=True)
        await page.screenshot(path=str(artifacts / f"overview-{name}-360x740.png"))  # as the phone shows it (README)
        # ◀: the previous quarter, figures from the API again
        await page.click("#prev")
        await page.wait_for_selector(f"#period:text-is('{q.prev().cn_label}')")  # (the CSP forbids eval)
        want = expected_summary(world, period=(q.prev().year, q.prev().q), scopes=scopes)
        assert await opened.figure("f-members") == want["members"]
        assert await opened.figure("f-with_activity") == want["with_activity"]
        # the drill-down by region: a sortable table and a bar chart
        await page.click("#tab-drill")
        await page.click("#by-region")
        await page.wait_for_selector("#drill-table tbody tr")
        assert await opened.charts_drawn() >= 1
        names = await page.eval_on_selector_all("#drill-table tbody tr td:first-child", "tds => tds.map(t => t.textContent)")
        if user == COORD_REGION:
            assert "天水市" not in names and "城关区" in names
        else:  # the top of the tree; a region opens its children, 返回上一级 goes back
            assert "甘肃省" in names and "天水市" not in names
            await page.click("#drill-table button.link:text-is('甘肃省')")
            await page.wait_for_selector("#up")
            names = await page.eval_on_selector_all("#drill-table tbody tr td:first-child",
                                                    "tds => tds.map(t => t.textContent)")
            assert "兰州市" in names and "天水市" in names
            await page.click("#up")
            await page.wait_for_selector("#drill-table button.link:text-is('甘肃省')")
        await page.click("th[data-key='activities']")  # sorted by activities, most first
        shown = await page.eval_on_selector_all("#drill-table tbody tr td:nth-child(4)", "tds => tds.map(t => +t.textContent)")
        assert shown == sorted(shown, reverse=True)
        await page.screenshot(path=str(artifacts / f"drill-{name}.png"), full_page=True)
        assert await page.locator("#by-station").count() == 0  # no stations in this world: no 工作站 switch
        assert opened.errors == [], opened.errors
        await page.close()


async def test_the_stations_tab(browser, app, db, sample_stations, webapp_port, artifacts) -> None:
    await seed_reception_day(db)  # ZS004 (兰州): a day held this quarter, 2 check-ins, 1 case
    async with db.session() as session:
        session.add(RoleGrant(telegram_id=COORD_JIUQUAN, scope_kind=ScopeKind.region, scope_value="甘肃省/酒泉市"))
        await session.commit()
    q = current()
    for user, scopes, name in ((ADMIN_ID, None, "admin"), (COORD_JIUQUAN, JIUQUAN, "coordinator")):
        async with db.session() as session:
            want = await station_stats(session, start=q.start(TZ), end=q.end(TZ), now=utcnow(), scopes=scopes)
        opened = await open_page(browser, webapp_port, user, view="drill")
        page = opened.page
        await page.click("#by-station")
        await page.wait_for_selector("#drill-table tbody tr")
        assert await opened.figure("s-stations") == len(want)
        assert await opened.figure("s-receptions") == sum(s.receptions for s in want)
        assert await opened.figure("s-checkins") == sum(s.checkins for s in want)
        assert await opened.figure("s-cases") == sum(s.cases for s in want)
        assert await opened.figure("s-six_complete") == sum(1 for s in want if s.six_done == 6)
        assert await opened.figure("s-idle") == sum(1 for s in want if not s.receptions)
        assert await opened.charts_drawn() >= 1
        names = await page.eval_on_selector_all("#drill-table tbody tr td:first-child",
                                                "tds => tds.map(t => t.textContent)")
        assert sorted(names) == sorted(s.name for s in want)
        assert ("兰州市社区委员工作站" in names) == (scopes is None)
        await page.click("th[data-key='checkins']")  # sorted by check-ins, most first
        shown = await page.eval_on_selector_all("#drill-table tbody tr td:nth-child(4)",
                                                "tds => tds.map(t => +t.textContent)")
        assert shown == sorted((s.checkins for s in want), reverse=True)
        assert await page.evaluate("document.documentElement.scrollWidth") <= 360
        await page.screenshot(path=str(artifacts / f"stations-{name}.png"), full_page=True)
        # back to the overview and into 分组 again: the 工作站 view stays chosen
        await page.click("#tab-overview")
        await page.wait_for_selector("#f-verified_people")
        assert await opened.figure("f-verified_people") == (3 if scopes is None else 0)
        await page.click("#tab-drill")
        await page.wait_for_selector("#s-stations")
        assert opened.errors == [], opened.errors
        await page.close()


async def test_laggards_nudge_member_page_and_dark_theme(browser, world, webapp_port, artifacts, db) -> None:
    opened = await open_page(browser, webapp_port, COORD_REGION, view="laggards", theme=DARK)
    page = opened.page
    await page.wait_for_selector("#laggards .item")
    background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(33, 33, 33)"
    ids = [int(x) for x in await page.eval_on_selector_all("#laggards .item", "els => els.map(e => e.dataset.member)")]
    assert ids and all(in_scopes(world, world.member(i), REGION_SCOPE) for i in ids)
    await page.screenshot(path=str(artifacts / "laggards-coordinator.png"), full_page=True)
    item = page.locator("#laggards .item", has=page.locator("button.act")).first
    member_id = int(await item.get_attribute("data-member"))
    await item.locator("button.act").click()
    await page.wait_for_selector("#toast:not([hidden])")
    assert "已向" in await page.inner_text("#toast")
    today = utcnow().astimezone(TZ).date()
    async with db.session() as session:
        sent = (await session.exec(select(OutboxMessage).where(
            OutboxMessage.key == nudge_key(member_id, Quarter.of(today), today)))).all()
    assert len(sent) == 1
    # the member's page: the year's record, a chart of the quarters
    await item.locator("button.link").click()
    await page.wait_for_selector("#member-name")
    member = world.member(member_id)
    assert member["number"] in await page.inner_text("#member-name")
    mine = [a for a in world.activities if a["live"] and a["member"] == member_id and a["day"].year == today.year]
    assert await opened.figure("m-activities") == len(mine)
    assert await opened.figure("m-verified_people") == sum(a.get("verified", 0) for a in mine)  # none in this world
    assert await opened.charts_drawn() >= 1
    await page.screenshot(path=str(artifacts / "member-coordinator.png"), full_page=True)
    # the duty report: fetched with initData in the header, saved from a blob: URL
    import docx

    async with page.expect_download() as downloading:
        await page.click("#report-button")
    download = await downloading.value
    assert download.url.startswith("blob:") and download.suggested_filename.endswith(f"_{member['number']}_{member['name']}.docx")
    saved = artifacts / "duty-report.docx"
    await download.save_as(str(saved))
    assert docx.Document(str(saved)).paragraphs[0].text == f"{member['name']}委员{today.year}年度履职报告"
    assert opened.errors == [], opened.errors
    await page.close()


async def test_queue_assign_from_the_page(browser, fake, world, webapp_port, artifacts, db) -> None:
    opened = await open_page(browser, webapp_port, ADMIN_ID, view="queue")
    page = opened.page
    await page.wait_for_selector("#queue .item")
    shown = [int(x) for x in await page.eval_on_selector_all("#queue .item", "els => els.map(e => e.dataset.case)")]
    async with db.session() as session:
        cases = {c.id: c for c in (await session.exec(select(Case).where(Case.id.in_(shown)))).all()}
    assert [cases[i].created_at for i in shown] == sorted(cases[i].created_at for i in shown)  # oldest first
    unassigned = next(cases[i] for i in shown if cases[i].status == "unassigned")
    item = page.locator(f"#queue .item[data-case='{unassigned.id}']")
    await item.locator("button.act.light").click()
    candidate = item.locator(".candidates button.act").first
    await candidate.wait_for()
    member_id = int(await candidate.get_attribute("data-member"))
    async with db.session() as session:
        member = await session.get(Member, member_id)
    chat = fake.user(member.telegram_id) if member.telegram_id is not None else None
    await page.screenshot(path=str(artifacts / "queue-admin.png"), full_page=True)
    await candidate.click()
    await page.wait_for_selector("#toast:not([hidden])")
    assert "已把诉求件" in await page.inner_text("#toast")
    async with db.session() as session:
        case = await session.get(Case, unassigned.id)
    assert case.member_id == member_id and case.status == "routed"
    if chat is not None:
        assert case.number in (await chat.expect_message()).text
    assert opened.errors == [], opened.errors
    await page.close()


async def test_forged_and_resident_init_data_show_the_refusal(browser, world, webapp_port) -> None:
    forged = init_data(ADMIN_ID, token="999999:ANOTHER-BOT-TOKEN-abcdef")
    expired = init_data(ADMIN_ID, auth_date=int(time.time()) - 3700)
    other = dict(parse_qsl(init_data(COORD_REGION)))  # a coordinator's initData made to say it is the admin's
    other["user"] = json.dumps({"id": ADMIN_ID, "first_name": "联络员"}, ensure_ascii=False, separators=(",", ":"))
    for data, text in ((forged, "重新打开"), (expired, "重新打开"), (urlencode(other), "重新打开"),
                       (init_data(4242001), "只对协调员和管理员开放")):
        opened = await open_page(browser, webapp_port, ADMIN_ID, data=data)
        await opened.page.wait_for_selector("#error")
        assert text in await opened.page.inner_text("#error")
        assert await opened.page.locator("#f-members").count() == 0
        # the browser logs the refused request itself (a 403); nothing else may go wrong
        assert all("403" in e for e in opened.errors), opened.errors
        await opened.page.close()
