"""The benchmarks' synthetic data (seeded random numbers; made-up names, places and phone numbers,
never real people): the roster file generator, members and activities loaded in bulk with the tally
backfilled, a routed roster, and a group coordinator's scope on the generated data."""

from __future__ import annotations

import csv
import importlib.util
import random
import time
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import BigInteger, case, cast, text, update
from sqlalchemy.engine import Engine

from bench.common import ROOT
from bot.db import Database, sync_engine, upgrade
from bot.services.access import group_committee_counts
from bot.services.roster import import_roster
from bot.services.scopes import Scope
from models import Member, ScopeKind

# --- a roster file, as an administrator imports it -----------------------------------------------

SECTORS_CSV = ROOT / "bot" / "data" / "sectors.csv"
HEADER = ["编号", "姓名", "界别", "活动组", "层级", "地区", "手机", "联系点"]

# Made-up building blocks. Names are random surname + one or two given-name characters;
# place names are random pairs of characters: none of it refers to a real person or place
# list, and the phone numbers are random digits in the mainland mobile format.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建红文斌宁波海峰志新春荣国庆晓燕雪梅"
    "丹凤云飞宇航浩然子涵思远博文嘉怡欣悦雨婷梓萱俊杰晨阳振东立群卫东永胜德明玉珍淑芬继红树林"
)
PLACE_CHARS = "东西南北中青云华安平宁永清兴长和丰泰新龙金凤远嘉福顺阳山河湖川林石桥溪沙岭原庄塘坪湾"
POINT_SUFFIXES = ("村", "社区", "医院", "学校", "村", "社区", "医院", "学校", "卫生院", "小学", "商会", "合作社")
LEVELS = (("全国", 2), ("省", 18), ("市", 35), ("县", 45))
GROUPS = 20  # 第1…第20界别活动组
PROVINCES, CITIES_PER_PROVINCE, COUNTIES_PER_CITY = 6, 7, 8  # 336 districts


def load_sectors() -> list[tuple[str, str]]:
    with SECTORS_CSV.open(encoding="utf-8-sig", newline="") as handle:
        return [(r["界别"].strip(), r["简称"].strip()) for r in csv.DictReader(handle) if r.get("界别", "").strip()]


def unique_place_names(rng: random.Random, count: int, suffixes: tuple[str, ...], taken: set[str]) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(PLACE_CHARS) + rng.choice(PLACE_CHARS) + rng.choice(suffixes)
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def make_districts(rng: random.Random) -> list[str]:
    """`省/市/县` paths: PROVINCES × CITIES_PER_PROVINCE × COUNTIES_PER_CITY made-up districts."""
    taken: set[str] = set()
    paths: list[str] = []
    for province in unique_place_names(rng, PROVINCES, ("省",), taken):
        for city in unique_place_names(rng, CITIES_PER_PROVINCE, ("市",), taken):
            for county in unique_place_names(rng, COUNTIES_PER_CITY, ("县", "区"), taken):
                paths.append(f"{province}/{city}/{county}")
    return paths


def generate_rows(count: int, seed: int):  # a generator of row lists
    rng = random.Random(seed)
    sectors = load_sectors()
    districts = make_districts(rng)
    groups = [f"第{k}界别活动组" for k in range(1, GROUPS + 1)]
    level_names = [name for name, _ in LEVELS]
    level_weights = [weight for _, weight in LEVELS]
    width = max(6, len(str(count)))
    for index in range(1, count + 1):
        full, short = rng.choice(sectors)
        sector = short if rng.random() < 0.5 else full
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        group = rng.choice(groups) if rng.random() < 0.97 else ""
        phone = ("1" + rng.choice("3456789") + f"{rng.randrange(10**9):09d}") if rng.random() < 0.98 else ""
        points: list[str] = []
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
            point = rng.choice(PLACE_CHARS) + rng.choice(PLACE_CHARS) + rng.choice(POINT_SUFFIXES)
            if point not in points:
                points.append(point)
        yield [
            f"BM{index:0{width}d}",
            name,
            sector,
            group,
            rng.choices(level_names, level_weights)[0],
            rng.choice(districts),
            phone,
            ";".join(points),
        ]


def write_csv(path: Path, rows: int, seed: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(generate_rows(rows, seed))


def write_xlsx(path: Path, rows: int, seed: int) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("名册")
    sheet.append(HEADER)
    for row in generate_rows(rows, seed):
        sheet.append(row)
    workbook.save(path)


# --- a routed roster: the roster file imported, most members bound, their load spread -------------

def prepare_routed_roster(url: str, members: int, seed: int, workdir: Path) -> None:
    """Migrate `url`, import a generated roster of `members` with the real `import_roster`, then bind
    85 % of them (telegram_id set directly), deactivate 2 % and spread the load columns routing orders by."""
    start = time.perf_counter()
    roster = workdir / f"roster_{members}.csv"
    write_csv(roster, members, seed)
    upgrade(url)
    engine = sync_engine(url)
    with engine.begin() as connection:
        report = import_roster(connection, roster)
    if not report.ok:
        raise SystemExit(f"import failed: {report.errors[:3]}")
    with engine.begin() as connection:
        # one UPDATE: 85 % bound, 2 % inactive, load spread deterministically
        connection.execute(
            update(Member).values(
                telegram_id=case((Member.id % 20 > 2, Member.id + 10_000_000), else_=None),
                active=Member.id % 50 != 7,
                open_cases=Member.id % 4,
                case_assigned_us=cast((Member.id * 7919) % 1_000_003, BigInteger) * 1_000_000,
            )
        )
    if engine.dialect.name == "postgresql":
        # what autovacuum does soon after a big import: statistics, and the visibility map that
        # lets index-only scans skip the table (without it every lookup visits the heap)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM (ANALYZE) member"))
            connection.execute(text("ANALYZE region"))
    engine.dispose()
    print(f"prepared {members:,} members in {time.perf_counter() - start:.1f} s", flush=True)


# --- members and years of activities, loaded in bulk ----------------------------------------------

CURRENT_YEAR = 2026
KINDS = [("visit", 2.0), ("inspection", 3.0), ("consultation", 3.0), ("other", 1.0)]
ACTIVITY_COLUMNS = ("member_id, kind, activity_date, year, quarter, place, people, summary, points, created_at,"
                    " updated_at, deleted_at")


def seed_members(engine: Engine, members: int, rng: random.Random) -> int:
    """16 activity groups, a province with 12 cities, and `members` members spread over them;
    returns the first member's id (they are numbered consecutively)."""
    with engine.begin() as connection:
        sector_ids = [r[0] for r in connection.execute(text("SELECT id FROM sector ORDER BY id"))]
        connection.execute(text("INSERT INTO activitygroup (name) VALUES " + ",".join(f"('第{i}界别活动组')" for i in range(1, 17))))
        group_ids = [r[0] for r in connection.execute(text("SELECT id FROM activitygroup ORDER BY id"))]
        connection.execute(text("INSERT INTO region (path, name, depth) VALUES ('省', '省', 1)"))
        root = connection.execute(text("SELECT id FROM region WHERE path = '省'")).scalar_one()
        connection.execute(text("INSERT INTO region (path, name, depth, parent_id) VALUES "
                                + ",".join(f"('省/市{i}', '市{i}', 2, {root})" for i in range(12))))
        region_ids = [r[0] for r in connection.execute(text("SELECT id FROM region WHERE depth = 2 ORDER BY id"))]
        rows = []
        for i in range(members):
            level = rng.choice(["province", "city", "city", "county"])
            rows.append({
                "number": f"B{i:07d}", "name": f"委员{i}", "level": level, "phone": None,
                "sector_id": rng.choice(sector_ids),
                "activity_group_id": rng.choice(group_ids) if rng.random() < 0.9 else None,
                "region_id": root if level == "province" else rng.choice(region_ids),
                "telegram_id": 10_000_000 + i if rng.random() < 0.8 else None,
                "active": rng.random() < 0.98, "created_at": "2026-01-01 00:00:00", "updated_at": "2026-01-01 00:00:00",
            })
        connection.execute(text(
            "INSERT INTO member (number, name, level, phone, sector_id, activity_group_id, region_id, telegram_id,"
            " active, created_at, updated_at) VALUES (:number, :name, :level, :phone, :sector_id, :activity_group_id,"
            " :region_id, :telegram_id, :active, :created_at, :updated_at)"), rows)
        return connection.execute(text("SELECT min(id) FROM member")).scalar_one()


def activity_rows(count: int, years: list[int], first_member: int, members: int, rng: random.Random):
    """`count` activity rows (tuples in ACTIVITY_COLUMNS order) over `years`, about 2 % deleted."""
    for _ in range(count):
        year = rng.choice(years)
        day = date(year, 1, 1) + timedelta(days=rng.randrange(0 if year < CURRENT_YEAR else 0, 365 if year < CURRENT_YEAR else 318))
        kind, points = rng.choice(KINDS)
        yield (first_member + rng.randrange(members), kind, day.isoformat(), year, (day.month - 1) // 3 + 1,
               "某社区", rng.randint(1, 30), "走访", points, "2026-01-01 00:00:00", "2026-01-01 00:00:00",
               "2026-06-01 00:00:00" if rng.random() < 0.02 else None)


def backfill_sql() -> str:
    """The tally's backfill, exactly as its migration runs it."""
    (path,) = sorted((ROOT / "alembic" / "versions").glob("*_tally.py"))
    spec = importlib.util.spec_from_file_location("tally_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BACKFILL_SQL


def load_activities(engine: Engine, rows, batch: int = 200_000) -> None:
    """Bulk-load activity rows (COPY on PostgreSQL), refill the tally with the migration's backfill,
    ANALYZE (and VACUUM on PostgreSQL, as autovacuum would)."""
    dialect = engine.dialect.name
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if dialect == "postgresql":
            with cursor.copy(f"COPY activity ({ACTIVITY_COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            chunk = []
            sql = f"INSERT INTO activity ({ACTIVITY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
            for row in rows:
                chunk.append(row)
                if len(chunk) >= batch:
                    cursor.executemany(sql, chunk)
                    chunk = []
            if chunk:
                cursor.executemany(sql, chunk)
        raw.commit()
    finally:
        raw.close()
    started = time.perf_counter()
    with engine.begin() as connection:  # the bulk load went around the service layer: tally it as 0007 does
        connection.execute(text("DELETE FROM tally"))
        connection.execute(text(backfill_sql()))
    print(f"  tally backfilled in {time.perf_counter() - started:.0f} s", flush=True)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    if dialect == "postgresql":  # index-only scans need the visibility map: what autovacuum does in production
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM activity"))
            connection.execute(text("VACUUM tally"))


def generate_members_and_activities(url: str, *, members: int, activities: int, years: int, rng: random.Random):
    """Upgrade the schema at `url`, then generate the members and this many activities over the last
    `years` years: (engine, first member id, the years)."""
    upgrade(url)
    engine = sync_engine(url)
    first = seed_members(engine, members, rng)
    span = list(range(CURRENT_YEAR - years + 1, CURRENT_YEAR + 1))
    load_activities(engine, activity_rows(activities, span, first, members, rng))
    return engine, first, span


async def group_scope(url: str, name: str) -> list[Scope]:
    """A group coordinator's scope: group `name` on its committee with the most members (grants name one)."""
    db = Database(url)
    try:
        async with db.session() as session:
            committees = (await group_committee_counts(session))[name]
    finally:
        await db.dispose()
    committee, _ = max(committees, key=lambda pair: pair[1])
    return [Scope(ScopeKind.group, name, committee)]
