#!/usr/bin/env python3
"""Benchmark the 社情民意 digest (`bot.services.digest`) on a quarter of generated cases.

5,000 cases (by default) in 2026Q4, written from 40 made-up complaint patterns (street lights, lifts,
pensions, irrigation …) with varied wording, places and numbers, spread over 14 categories and 12
districts of 3 cities, handled by 300 made-up members. The digest is timed the way /digest and
`python -m bot digest` make it: read the quarter's cases (all, as an admin), group them (jieba and
TF-IDF, in a fresh process so jieba's dictionary load is counted), write the DOCX. The reference in
the same run: jieba cutting the same descriptions alone. Synthetic data only. Target: under 30 s on
SQLite (PASS/FAIL).

    .venv/bin/python -m bench.bench_digest                      # SQLite in a temp dir
    .venv/bin/python -m bench.bench_digest --cases 20000
    .venv/bin/python -m bench.bench_digest --database-url postgresql+psycopg://lianxin:lianxin@127.0.0.1:5432/lianxin
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, select

from bench.common import ROOT, fresh_database, memory_mb
from bot.db import Database, upgrade
from bot.services.digest import digest_cases, make_digest, render_digest, terms_of
from bot.services.rules import Quarter
from models import Case, Member, Region, Sector

TZ = ZoneInfo("Asia/Shanghai")
QUARTER = Quarter(2026, 4)
TARGET_SECONDS = 30.0
CITIES = {"兰州市": ["城关区", "七里河区", "安宁区", "西固区"], "天水市": ["秦州区", "麦积区", "甘谷县", "武山县"],
          "白银市": ["白银区", "平川区", "靖远县", "会宁县"]}
# (category, pattern): {p} a place, {n} a number, {t} a time span, {w} a wish
PATTERNS = [
    ("出行", "{p}的路灯坏了{t}，晚上出门黑乎乎的，{w}维修路灯"), ("出行", "{p}公交车太少，等公交要{n}分钟，{w}增加公交班次"),
    ("出行", "{p}停车位不够，车辆乱停乱放堵住消防通道，{w}规划停车位"), ("出行", "{p}门口的道路坑洼不平，下雨积水，{w}修路"),
    ("住房", "{p}老旧小区没有电梯，老人上下楼困难，{w}加装电梯"), ("住房", "{p}屋顶漏水{t}，一下雨家里就漏雨，{w}维修防水"),
    ("住房", "{p}物业费涨了{n}元，服务却越来越差，{w}规范物业收费"), ("住房", "{p}暖气不热，室内只有{n}度，{w}解决供暖"),
    ("养老", "{p}养老金拖欠{t}没有发放，生活困难，{w}按时发放养老金"), ("养老", "{p}社区老年食堂关门，独居老人吃饭难，{w}恢复助餐"),
    ("养老", "{p}养老院床位紧张，排队{t}还住不进去，{w}增加养老床位"),
    ("医疗", "{p}村卫生室缺医少药，看病要跑{n}公里，{w}派医生"), ("医疗", "{p}医保报销手续麻烦，跑了{n}趟还没报销，{w}简化医保报销"),
    ("医疗", "{p}医院挂号难，排队{n}个小时，{w}增加号源"),
    ("教育", "{p}学校门口没有红绿灯，孩子上学过马路危险，{w}安装红绿灯"), ("教育", "{p}放学后孩子没人接，{w}开展课后托管"),
    ("教育", "{p}幼儿园收费太高，每月{n}元，{w}增加普惠幼儿园"),
    ("就业", "{p}老板拖欠工资{t}，找劳动部门没有结果，{w}帮忙讨薪"), ("就业", "{p}大学生找工作难，投了{n}份简历没回音，{w}多办招聘会"),
    ("农业农村", "{p}灌溉水渠塌了，春灌用不上水，{w}修复水渠"), ("农业农村", "{p}苹果滞销，收购价只有{n}毛钱一斤，{w}帮助联系销路"),
    ("农业农村", "{p}通村公路损坏，农产品运不出去，{w}硬化道路"), ("农业农村", "{p}高标准农田建设质量差，{w}验收整改"),
    ("环境", "{p}垃圾箱满了{t}没人清运，臭气熏天，{w}及时清运垃圾"), ("环境", "{p}工厂夜里排放黑烟，空气污染严重，{w}查处排污"),
    ("环境", "{p}河道里堆满垃圾，河水发臭，{w}治理河道"), ("环境", "{p}饭店油烟直排，楼上住户不敢开窗，{w}安装油烟净化"),
    ("法律", "{p}租房押金{n}元被房东扣下不退，{w}提供法律援助"), ("法律", "{p}邻里因为宅基地起纠纷，{w}调解宅基地纠纷"),
    ("企业经营", "{p}小微企业贷款难，银行要求抵押，{w}支持小微企业融资"), ("企业经营", "{p}办营业执照跑了{n}趟，{w}简化审批手续"),
    ("科技", "{p}手机信号差，上网课经常断线，{w}建设通信基站"), ("科技", "{p}光纤宽带没有通到村里，{w}宽带进村"),
    ("文化体育", "{p}没有健身场地，大家只能在马路边跳广场舞，{w}建设健身广场"),
    ("文化体育", "{p}社区图书室常年锁门，{w}开放图书室"),
    ("宗教民族", "{p}少数民族群众办事语言不通，{w}配备双语工作人员"),
    ("其他", "{p}流浪狗越来越多，咬伤了{n}个孩子，{w}管理流浪犬"), ("其他", "{p}燃气管道老化漏气，{w}更换燃气管道"),
    ("其他", "{p}自来水发黄有异味，{w}检测水质"), ("其他", "{p}噪音扰民，附近工地夜间施工到{n}点，{w}禁止夜间施工"),
]
PLACES = ["幸福社区", "和平小区", "东岗村", "西湖街道", "金城花园", "红星村", "阳光家园", "建设路", "团结村", "滨河小区"]
SPANS = ["一个月", "两个月", "半年", "三周", "好几天", "一年多"]
WISHES = ["希望尽快", "请求帮助", "恳请有关部门", "盼望能够", "建议"]
EXTRAS = ["", "老人孩子都受影响。", "已经反映过多次。", "邻居们意见很大。", "电话13912345678。", "大家都很着急。"]


def description(rng: random.Random, pattern: str) -> str:
    text = pattern.format(p=rng.choice(PLACES), n=rng.randint(2, 90), t=rng.choice(SPANS), w=rng.choice(WISHES))
    return text + "。" + rng.choice(EXTRAS)


def seed(url: str, cases: int, seed_value: int = 11) -> None:
    """Regions, members and `cases` cases of the quarter (Core inserts, one transaction)."""
    upgrade(url)
    rng = random.Random(seed_value)
    engine = create_engine(url.replace("+aiosqlite", ""))
    with engine.begin() as connection:
        sector = connection.execute(select(Sector.id).order_by(Sector.id)).scalar()
        province = connection.execute(insert(Region).values(path="甘肃省", name="甘肃省", depth=1)
                                      .returning(Region.id)).scalar()
        districts = []
        for city, names in CITIES.items():
            city_id = connection.execute(insert(Region).values(path=f"甘肃省/{city}", name=city, depth=2,
                                                               parent_id=province).returning(Region.id)).scalar()
            for name in names:
                districts.append(connection.execute(insert(Region).values(
                    path=f"甘肃省/{city}/{name}", name=name, depth=3, parent_id=city_id).returning(Region.id)).scalar())
        connection.execute(insert(Member), [dict(number=f"B{i:05d}", name=f"委员{i}", level="province",
                                                 sector_id=sector, region_id=rng.choice(districts), active=True,
                                                 open_cases=0, case_assigned_us=0) for i in range(300)])
        members = connection.execute(select(Member.id)).scalars().all()
        start = QUARTER.start(TZ)
        rows = []
        for seq in range(1, cases + 1):
            category, pattern = rng.choice(PATTERNS)
            created = start + timedelta(minutes=rng.randrange(0, 88 * 24 * 60))
            resolved = created + timedelta(hours=rng.randrange(5, 600)) if rng.random() < 0.6 else None
            status = "confirmed" if resolved and rng.random() < 0.5 else "resolved" if resolved else "accepted"
            rows.append(dict(number=f"2026-{seq:06d}", year=2026, seq=seq, category=category,
                             region_id=rng.choice(districts), place_text="", description=description(rng, pattern),
                             phone_consent=False, status=status, member_id=rng.choice(members), via_member_link=False,
                             created_at=created, updated_at=created, accepted_at=created, resolved_at=resolved,
                             reopen_count=0))
        connection.execute(insert(Case), rows)
    engine.dispose()


def child(url: str) -> None:
    """The digest as /digest makes it, timed by phase in a fresh process; prints JSON."""
    async def read() -> list:
        db = Database(url, fast_driver=True)
        try:
            async with db.session() as session:
                return await digest_cases(session, quarter=QUARTER, tz=TZ, scopes=None)
        finally:
            await db.dispose()

    started = time.perf_counter()
    cases = asyncio.run(read())
    read_s = time.perf_counter() - started
    mark = time.perf_counter()
    digest = make_digest(cases, quarter=QUARTER, scopes=None, generated_at=datetime.now(UTC).astimezone(TZ))
    group_s = time.perf_counter() - mark
    mark = time.perf_counter()
    content = render_digest(digest)
    render_s = time.perf_counter() - mark
    total = time.perf_counter() - started
    # the reference, same process and data: jieba cutting the descriptions once more (dictionary loaded)
    mark = time.perf_counter()
    for case in cases:
        terms_of(case.description)
    cut_s = time.perf_counter() - mark
    print(json.dumps({"cases": len(cases), "themes": len(digest.themes), "themed": digest.total - digest.single,
                      "read": read_s, "group": group_s, "render": render_s, "total": total, "cut": cut_s,
                      "bytes": len(content), "rss_mb": memory_mb("VmHWM")}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5_000)
    parser.add_argument("--database-url")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="bench-digest-"))
    url, drop = fresh_database(args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.db'}")
    try:
        started = time.perf_counter()
        seed(url, args.cases)
        print(f"seeded {args.cases:,} cases of {QUARTER.label} in {time.perf_counter() - started:.1f} s; "
              f"load {os.getloadavg()[0]:.1f}")
        totals = []
        for round_ in range(1, args.rounds + 1):
            out = subprocess.run([sys.executable, "-m", "bench.bench_digest", "--child", url], check=True,
                                 capture_output=True, text=True, cwd=ROOT).stdout
            r = json.loads(out.strip().splitlines()[-1])
            totals.append(r["total"])
            print(f"round {round_}: {r['cases']:,} cases → {r['themes']} themes ({r['themed']:,} cases); "
                  f"read {r['read']:.2f} s, group {r['group']:.2f} s, DOCX {r['render']:.2f} s, "
                  f"total {r['total']:.2f} s = {r['total'] / r['cut']:.1f}× jieba cutting alone ({r['cut']:.2f} s); "
                  f"{r['bytes'] / 1e3:.0f} KB, peak RSS {r['rss_mb']:.0f} MB (load {os.getloadavg()[0]:.1f})")
        worst = max(totals)
        print(f"{'PASS' if worst < TARGET_SECONDS else 'FAIL'}: slowest {worst:.1f} s (target < {TARGET_SECONDS:.0f} s)")
    finally:
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
