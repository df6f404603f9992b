"""The dashboard's API, over real HTTP against the running bot (its aiohttp server on the bot's loop):
initData verified as Telegram specifies (forged, tampered, expired and other-user initData refused), residents
and unknown ids refused, every figure scoped as in chat and equal to what /stats shows, the nudge and 分派给
through the same services and outbox as the chat, and no port at all without WEBAPP_URL."""

from __future__ import annotations

import json
import re
import statistics
import time
from urllib.parse import parse_qsl, urlencode

import aiohttp
import pytest
from sqlmodel import select

from bot.services.outreach import nudge_key
from bot.services.rules import Quarter
from bot.services.scopes import Scope
from bot.services.stations import list_stations, station_stats
from handlers.webapp import _runners
from handlers.webapp.auth import InitDataRefused, sign, verify_init_data
from handlers.webapp.server import CSP
from models import Case, CaseStatus, Member, OutboxMessage, RoleGrant, ScopeKind, utcnow
from tests.conftest import ADMIN_ID, TOKEN, make_settings
from tests.stats_world import COORD_GROUP, COORD_REGION, TZ, World, in_scopes, received, recount_breakdown, seed_world
from tests.support.stations import import_sample_stations
from tests.test_e2e_stations import COORD_JIUQUAN, seed_reception_day
from tests.test_e2e_stats import GROUP_SCOPE, REGION_SCOPE, expected_summary, shown_summary
from tests.webapp_support import WEBAPP_URL, auth, free_port, init_data

RESIDENT = 4242001


@pytest.fixture
def webapp_port() -> int:
    return free_port()


@pytest.fixture
def settings(database_url, fake, webapp_port):
    return make_settings(database_url, fake, webapp_url=WEBAPP_URL, webapp_listen="127.0.0.1", webapp_port=webapp_port)


@pytest.fixture
async def world(db, app) -> World:
    return await seed_world(db, now=utcnow())


@pytest.fixture
async def http(app, webapp_port):
    async with aiohttp.ClientSession(base_url=f"http://127.0.0.1:{webapp_port}") as session:
        yield session


async def get(http, path: str, user: int | None = None, data: str | None = None) -> tuple[int, dict]:
    headers = auth(data if data is not None else init_data(user)) if (user or data) else {}
    async with http.get(path, headers=headers) as response:
        return response.status, await response.json()


async def post(http, path: str, user: int, body: dict) -> tuple[int, dict]:
    async with http.post(path, headers=auth(init_data(user)), json=body) as response:
        return response.status, await response.json()


def current() -> Quarter:
    return Quarter.of(utcnow().astimezone(TZ).date())


# --- initData, as Telegram specifies -----------------------------------------------------------------


def test_init_data_rule() -> None:
    now = int(time.time())
    good = init_data(7, auth_date=now)
    assert verify_init_data(good, token=TOKEN, now=now, max_age=3600).id == 7
    assert verify_init_data(good, token=TOKEN, now=now + 3600, max_age=3600).id == 7  # the last second of the hour
    refusals = {
        "expired": (good, now + 3601),
        "bad signature": (init_data(7, token="999999:ANOTHER-BOT-TOKEN-abcdef", auth_date=now), now),
        "missing or oversized": ("", now),
        "auth_date in the future": (init_data(7, auth_date=now + 120), now),
    }
    for reason, (data, at) in refusals.items():
        with pytest.raises(InitDataRefused) as refused:
            verify_init_data(data, token=TOKEN, now=at, max_age=3600)
        assert refused.value.reason == reason
    # another user's id put into a genuine initData: the signature no longer matches
    fields = dict(parse_qsl(good))
    fields["user"] = json.dumps({"id": 8, "first_name": "x"})
    with pytest.raises(InitDataRefused, match="bad signature"):
        verify_init_data(urlencode(fields), token=TOKEN, now=now, max_age=3600)
    # a field given twice (the second could hide behind the first): refused even when signed
    twice = good + "&auth_date=" + str(now)
    with pytest.raises(InitDataRefused, match="repeated"):
        verify_init_data(twice, token=TOKEN, now=now, max_age=3600)
    # the published scheme, computed independently: HMAC_SHA256(HMAC_SHA256("WebAppData", token), check string)
    import hashlib
    import hmac
    fields = {"auth_date": "1", "user": '{"id":1}', "query_id": "q"}
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    check = "auth_date=1\nquery_id=q\nuser={\"id\":1}"
    assert sign(fields, TOKEN) == hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


async def test_forged_expired_and_other_user_init_data_get_403(http, world, caplog) -> None:
    assert (await get(http, "/api/me", ADMIN_ID))[0] == 200
    old = init_data(ADMIN_ID, auth_date=int(time.time()) - 3700)
    forged = init_data(ADMIN_ID, token="999999:ANOTHER-BOT-TOKEN-abcdef")
    other = dict(parse_qsl(init_data(COORD_REGION)))  # a coordinator's initData made to say it is the admin
    other["user"] = json.dumps({"id": ADMIN_ID, "first_name": "联络员"}, ensure_ascii=False, separators=(",", ":"))
    for data in (old, forged, urlencode(other), "hash=00&auth_date=1", "garbage"):
        for path in ("/api/me", "/api/overview", "/api/laggards", "/api/queue"):
            status, body = await get(http, path, data=data)
            assert status == 403 and "重新打开" in body["error"], (path, data)
    async with http.get("/api/overview") as response:  # no initData at all
        assert response.status == 403
    # initData in the URL is not a way in (and never logged)
    async with http.get("/api/me?" + urlencode({"tgWebAppData": init_data(ADMIN_ID)})) as response:
        assert response.status == 403
    assert "hash=" not in caplog.text and "query_id" not in caplog.text


async def test_residents_members_and_unknown_ids_get_403(http, world, db) -> None:
    async with db.session() as session:
        bound = (await session.exec(select(Member).where(Member.telegram_id.is_not(None), Member.active.is_(True)))).first()
    for user in (RESIDENT, bound.telegram_id):
        for path in ("/api/me", "/api/overview", "/api/drill?by=region", "/api/laggards", "/api/queue",
                     f"/api/members/{bound.id}"):
            status, body = await get(http, path, user)
            assert status == 403 and body["error"] == "看板只对协调员和管理员开放。", (user, path)
        status, _ = await post(http, "/api/nudge", user, {"member": bound.id})
        assert status == 403


async def test_headers_page_and_static_files(http, app) -> None:
    async with http.get("/") as response:
        page = await response.text()
        assert response.status == 200 and response.headers["Content-Security-Policy"] == CSP
        assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert "<script>" not in page and "onclick" not in page and "http" not in page.replace('http-equiv', '')
    for name in ("app.js", "app.css", "echarts.min.js", "ECHARTS_LICENSE"):
        async with http.get(f"/static/{name}") as response:
            assert response.status == 200, name
            assert response.headers["Content-Security-Policy"] == CSP
    async with http.get("/api/me", headers=auth(init_data(ADMIN_ID))) as response:
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- scoped figures, equal to the chat's ----------------------------------------------------------------


async def test_overview_equals_chat_stats_for_each_scope(http, fake, world) -> None:
    q = current()
    for user, scopes in ((ADMIN_ID, None), (COORD_REGION, REGION_SCOPE), (COORD_GROUP, GROUP_SCOPE)):
        chat = fake.user(user)
        await chat.send("/stats")
        message = await chat.expect_message()
        # the chat's /stats carries the dashboard's button
        assert any(b.get("web_app", {}).get("url") == WEBAPP_URL + "?view=overview"
                   for row in message.inline_keyboard for b in row), message.inline_keyboard
        in_chat = shown_summary(message.text)
        for label_ in (q.label, q.prev().label):
            status, data = await get(http, f"/api/overview?period={label_}", user)
            assert status == 200, data
            m = data["members"]
            shown = {"members": m["members"], "bound": m["bound"], "with_activity": m["with_activity"],
                     "on_pace": m["on_pace"], "expected": m["expected_people"], "unbound": m["unbound"],
                     "blocked": m["blocked"], "by_kind": {r["name"]: (r["activities"], r["people"]) for r in data["by_kind"]},
                     "cases": {k: data["cases"][k] for k in ("received", "open", "overdue", "resolved", "confirmed")}
                     | {"rating": None if data["cases"]["average_rating"] is None
                        else round(data["cases"]["average_rating"], 1)}}
            period = (q.year, q.q) if label_ == q.label else (q.prev().year, q.prev().q)
            want = expected_summary(world, period=period, scopes=scopes)
            if want["cases"]["rating"] is not None:
                want["cases"]["rating"] = round(want["cases"]["rating"], 1)
            assert shown == want, (user, label_)
            if label_ == q.label:
                in_chat["cases"]["rating"] = shown["cases"]["rating"] if in_chat["cases"]["rating"] is not None else None
                assert shown == in_chat, user  # the same figures as the message in chat
            # the case flow, recounted: accepted, median hours to accept and to resolve
            cases = [c for c in world.cases if c["member"] is not None or scopes is None]
            mine = received(world, period=period, scopes=scopes, drill=None)
            accepted = [(c["accepted"] - c["created"]).total_seconds() / 3600 for c in mine if c["accepted"]]
            resolved = [(c["resolved"] - c["created"]).total_seconds() / 3600 for c in mine if c["resolved"]]
            assert cases is not None and data["cases"]["accepted"] == len(accepted)
            for key, values in (("median_hours_to_accept", accepted), ("median_hours_to_resolve", resolved)):
                got = data["cases"][key]
                assert (got is None) if not values else got == pytest.approx(statistics.median(values), abs=1e-3)
        # ◀ ▶: no way into the future
        status, data = await get(http, f"/api/overview?period={q.label}", user)
        assert data["period"]["next"] is None and data["period"]["prev"] == q.prev().label
        assert (await get(http, f"/api/overview?period={q.next().label}", user))[0] == 400


async def test_region_coordinator_sees_only_their_region(http, world) -> None:
    q = current()
    year = (q.year, None)
    for by in ("region", "sector", "group"):
        status, data = await get(http, f"/api/drill?by={by}&period={q.year}", COORD_REGION)
        assert status == 200
        want = recount_breakdown(world, period=year, scopes=REGION_SCOPE, drill=None, dimension=by,
                                 parent=world.region_id("甘肃省/兰州市") if by == "region" else None)
        if by == "group":
            want = {k: v for k, v in want.items()}
        got = {row["key"]: (row["members"], row["active_members"], row["activities"], row["people"])
               for row in data["rows"]}
        assert got == want, by
    # the region rows are Lanzhou's own children: 天水市 never appears, and may not be opened
    tianshui = world.region_id("甘肃省/天水市")
    status, data = await get(http, f"/api/drill?by=region&dim=region&value={tianshui}", COORD_REGION)
    assert status == 403 and data["error"] == "这项内容不在您的管理范围内。"
    status, data = await get(http, f"/api/drill?by=region&dim=region&value={tianshui}", ADMIN_ID)
    assert status == 200
    # a member outside the region: refused; one inside: their page, phone masked for a coordinator
    outside = next(m for m in world.members if m["active"] and not in_scopes(world, m, REGION_SCOPE))
    inside = next(m for m in world.members if m["active"] and in_scopes(world, m, REGION_SCOPE))
    assert (await get(http, f"/api/members/{outside['id']}", COORD_REGION))[0] == 403
    status, page = await get(http, f"/api/members/{inside['id']}", COORD_REGION)
    assert status == 200 and page["number"] == inside["number"]
    mine = [a for a in world.activities if a["live"] and a["member"] == inside["id"] and a["day"].year == q.year]
    assert page["year_activities"] == len(mine) and page["year_people"] == sum(a["people"] for a in mine)
    assert [x["activities"] for x in page["quarters"]] == [
        sum(1 for a in mine if (a["day"].month - 1) // 3 + 1 == n) for n in (1, 2, 3, 4)]
    # the laggards: every one in the region
    status, lag = await get(http, "/api/laggards", COORD_REGION)
    assert status == 200 and lag["rows"]
    for row in lag["rows"]:
        assert in_scopes(world, world.member(row["member_id"]), REGION_SCOPE)
        assert row["why"]


async def test_member_phone_masked_for_coordinators_only(http, world, db) -> None:
    inside = next(m for m in world.members if m["active"] and in_scopes(world, m, REGION_SCOPE))
    async with db.session() as session:
        member = await session.get(Member, inside["id"])
        member.phone = "13812345678"
        await session.commit()
    _, page = await get(http, f"/api/members/{inside['id']}", COORD_REGION)
    assert page["phone"] == "138****5678"
    _, page = await get(http, f"/api/members/{inside['id']}", ADMIN_ID)
    assert page["phone"] == "13812345678"


async def test_member_duty_report_as_a_docx_under_the_page_scope(http, world) -> None:
    import io
    from urllib.parse import unquote

    import docx

    year = current().year
    inside = next(m for m in world.members if m["active"] and in_scopes(world, m, REGION_SCOPE))
    outside = next(m for m in world.members if m["active"] and not in_scopes(world, m, REGION_SCOPE))
    _, page = await get(http, f"/api/members/{inside['id']}", COORD_REGION)
    assert page["report"]["path"] == f"api/members/{inside['id']}/report?year={year}"
    async with http.get("/" + page["report"]["path"], headers=auth(init_data(COORD_REGION))) as response:
        assert response.status == 200
        assert response.content_type == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        disposition = response.headers["Content-Disposition"]
        assert response.headers["Cache-Control"] == "no-store"
        content = await response.read()
    assert disposition.startswith("attachment;")
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"{year}年度履职报告_{inside['number']}_{inside['name']}.docx"
    document = docx.Document(io.BytesIO(content))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == f"{inside['name']}委员{year}年度履职报告"
    figures = next(t for t in texts if t.startswith(f"{year}年共开展"))
    assert f"联系活动 {page['year_activities']} 次，联系群众 {page['year_people']} 人次（其中扫码核实 0 人次）" in figures
    assert "（一）委员工作站、工作室" in texts
    # the page's scope rule: a member outside the region, a resident, no initData, a year to come
    status, body = await get(http, f"/api/members/{outside['id']}/report?year={year}", COORD_REGION)
    assert status == 403 and body["error"] == "这项内容不在您的管理范围内。"
    async with http.get(f"/api/members/{outside['id']}/report?year={year}", headers=auth(init_data(ADMIN_ID))) as r:
        assert r.status == 200 and (await r.read()).startswith(b"PK")  # the admin: every member
    assert (await get(http, f"/api/members/{inside['id']}/report?year={year}", RESIDENT))[0] == 403
    async with http.get(f"/api/members/{inside['id']}/report?year={year}") as response:
        assert response.status == 403
    assert (await get(http, f"/api/members/{inside['id']}/report?year={year + 1}", COORD_REGION))[0] == 400


# --- the stations: the drill-down /stats' 🏠 工作站 shows ------------------------------------------------

JIUQUAN = [Scope(ScopeKind.region, "甘肃省/酒泉市")]
HEAD = re.compile(r"共 (\d+) 个；接待日 (\d+) 次，签到 (\d+) 人次，诉求 (\d+) 件；六有齐全 (\d+) 个")
LINE = re.compile(r"· (\S+) \S+：接待日 (\d+) 次，签到 (\d+)，诉求 (\d+)，六有 (\d)/6")


@pytest.fixture
def sample_stations(database_url, roster) -> None:
    import_sample_stations(database_url)


async def test_stations_scoped_as_in_chat_and_equal_to_it(http, fake, db, sample_stations) -> None:
    await seed_reception_day(db)  # ZS004 (兰州): a day held this quarter, 2 check-ins, 1 case, 3 人次 verified
    async with db.session() as session:
        session.add(RoleGrant(telegram_id=COORD_JIUQUAN, scope_kind=ScopeKind.region, scope_value="甘肃省/酒泉市"))
        await session.commit()
    q = current()
    for user, scopes in ((ADMIN_ID, None), (COORD_JIUQUAN, JIUQUAN)):
        assert (await get(http, "/api/me", user))[1]["stations"] is True
        status, data = await get(http, f"/api/stations?period={q.label}", user)
        assert status == 200, data
        async with db.session() as session:
            want = await station_stats(session, start=q.start(TZ), end=q.end(TZ), now=utcnow(), scopes=scopes)
            listed = {s.code for s in await list_stations(session, scopes=scopes)}
        assert {r["code"] for r in data["rows"]} == {s.code for s in want} == listed
        assert {r["code"]: (r["receptions"], r["checkins"], r["cases"], r["six_done"], r["members"])
                for r in data["rows"]} == {s.code: (s.receptions, s.checkins, s.cases, s.six_done, s.members)
                                           for s in want}
        assert [r["code"] for r in data["idle"]] == sorted(s.code for s in want if not s.receptions)
        # the same figures as the chat's /stats → 🏠 工作站
        chat = fake.user(user)
        await chat.send("/stats")
        summary = await chat.expect_message()
        in_chat = summary.text
        await chat.press("🏠 工作站", message=summary)
        places = (await chat.expect_edit()).text
        head = tuple(int(v) for v in HEAD.search(places).groups())
        assert head == (data["stations"], data["receptions"], data["checkins"], data["cases"], data["six_complete"])
        busy = [(code, *map(int, rest)) for code, *rest in LINE.findall(places)]
        assert busy == [(r["code"], r["receptions"], r["checkins"], r["cases"], r["six_done"])
                        for r in data["rows"] if r["receptions"]]
        # 其中扫码核实 人次 on the overview, as /stats says it
        _, overview = await get(http, f"/api/overview?period={q.label}", user)
        assert overview["verified_people"] == (3 if scopes is None else 0)
        assert ("其中扫码核实 3 人次" in in_chat) == (scopes is None)
    # the member on duty's page: the year's and the quarter's verified 人次, from the tally /my reads
    async with db.session() as session:
        on_duty = (await session.exec(select(Member.id).where(Member.number == "GS0089"))).one()
    _, page = await get(http, f"/api/members/{on_duty}", ADMIN_ID)
    assert (page["year_people"], page["year_verified_people"]) == (5, 3)
    assert [(x["people"], x["verified_people"]) for x in page["quarters"] if x["quarter"] == q.q] == [(5, 3)]
    _, admin = await get(http, f"/api/stations?period={q.label}", ADMIN_ID)
    assert admin["rows"][0]["code"] == "ZS004" and admin["rows"][0]["kind"] == "工作站"
    assert (admin["receptions"], admin["checkins"], admin["cases"]) == (1, 2, 1)
    assert len(admin["chart"]) == 25 and admin["chart"][-1] == {"name": "其余 10 个", "receptions": 0}
    _, mine = await get(http, f"/api/stations?period={q.label}", COORD_JIUQUAN)
    assert "ZS004" not in {r["code"] for r in mine["rows"]} and mine["receptions"] == 0
    # a period not begun, and a member (no staff): refused
    assert (await get(http, f"/api/stations?period={q.next().label}", ADMIN_ID))[0] == 400


# --- acting: the nudge and 分派给, through the chat's services ------------------------------------------


async def test_nudge_once_a_day_through_the_outbox(http, world, db) -> None:
    _, lag = await get(http, "/api/laggards", COORD_REGION)
    row = next(r for r in lag["rows"] if r["reachable"])
    status, body = await post(http, "/api/nudge", COORD_REGION, {"member": row["member_id"]})
    assert status == 200 and body["outcome"] == "queued" and row["name"] in body["message"]
    status, body = await post(http, "/api/nudge", COORD_REGION, {"member": row["member_id"]})
    assert body["outcome"] == "already"
    today = utcnow().astimezone(TZ).date()
    async with db.session() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.key == nudge_key(row["member_id"], Quarter.of(today),
                                                                                 today)))).all()
    assert len(rows) == 1 and "联络员" in rows[0].text
    outside = next(m for m in world.members if m["active"] and not in_scopes(world, m, REGION_SCOPE))
    status, body = await post(http, "/api/nudge", COORD_REGION, {"member": outside["id"]})
    assert status == 403


async def test_queue_and_assign_through_the_lifecycle(http, fake, world, db) -> None:
    status, data = await get(http, "/api/queue", ADMIN_ID)
    assert status == 200 and data["total"] >= len(data["rows"]) > 0
    created = [row["number"] for row in data["rows"]]
    async with db.session() as session:
        stamps = {c.number: c.created_at for c in (await session.exec(select(Case))).all()}
    assert [stamps[n] for n in created] == sorted(stamps[n] for n in created)  # oldest first
    unassigned = next(r for r in data["rows"] if r["state"] == "unassigned")
    status, found = await get(http, f"/api/cases/{unassigned['id']}/candidates", ADMIN_ID)
    assert status == 200 and found["rows"], found
    target = found["rows"][0]
    async with db.session() as session:
        member = await session.get(Member, target["member_id"])
    chat = fake.user(member.telegram_id) if member.telegram_id is not None else None
    status, body = await post(http, "/api/assign", ADMIN_ID, {"case": unassigned["id"], "member": target["member_id"]})
    assert status == 200 and target["name"] in body["message"]
    async with db.session() as session:
        case = await session.get(Case, unassigned["id"])
    assert case.member_id == target["member_id"] and case.status == CaseStatus.routed
    if chat is not None:  # the member got the case card, as from the chat's 分派给
        card = await chat.expect_message()
        assert case.number in card.text
    # pressed again (the page was stale): refused by the lifecycle, with a Chinese message
    status, body = await post(http, "/api/assign", ADMIN_ID, {"case": unassigned["id"], "member": target["member_id"]})
    assert status in (403, 409) and body["error"]
    # a coordinator cannot open a case outside their scope
    async with db.session() as session:
        foreign = (await session.exec(select(Case).where(Case.member_id.is_(None)))).first()
    if foreign is not None:
        assert (await get(http, f"/api/cases/{foreign.id}/candidates", COORD_GROUP))[0] == 403


# --- off without WEBAPP_URL ---------------------------------------------------------------------------


async def test_no_port_and_no_button_without_webapp_url(runner, database_url, fake, db) -> None:
    port = free_port()
    app = await runner.start(make_settings(database_url, fake, webapp_port=port))
    assert app not in _runners
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"http://127.0.0.1:{port}/")
    admin = fake.user(ADMIN_ID)
    for command in ("/stats", "/laggards", "/queue"):
        await admin.send(command)
        message = await admin.expect_message()
        assert not any("web_app" in b for row in message.inline_keyboard for b in row), command


async def test_laggards_and_queue_carry_the_button(http, fake, world) -> None:
    admin = fake.user(ADMIN_ID)
    for command, view in (("/laggards", "laggards"), ("/queue", "queue")):
        await admin.send(command)
        message = await admin.expect_message()
        assert {"text": "📊 打开看板", "web_app": {"url": f"{WEBAPP_URL}?view={view}"}} in message.inline_keyboard[-1]


def test_webapp_settings() -> None:
    from pydantic import ValidationError

    from bot.config import Settings, settings_problems

    plain = Settings(_env_file=None)
    assert (plain.webapp_url, plain.webapp_listen, plain.webapp_port, plain.webapp_auth_max_age) == (
        None, "127.0.0.1", 8444, 3600)
    assert Settings(_env_file=None, webapp_url=" ").webapp_url is None  # empty in .env: off
    assert Settings(_env_file=None, webapp_url="https://a.example.org/board/").webapp_url == "https://a.example.org/board/"
    for bad in ("http://a.example.org/", "https://a.example.org/?x=1", "a.example.org"):
        with pytest.raises(ValidationError) as problem:
            Settings(_env_file=None, webapp_url=bad)
        (line,) = settings_problems(problem.value)
        assert "WEBAPP_URL" in line and "https://" in line, line
    with pytest.raises(ValidationError):
        Settings(_env_file=None, webapp_auth_max_age=10)
