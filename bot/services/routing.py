"""Who should handle a request: the category -> sectors table, the ranking engine, the fallback to staff.

The ranking, best first:

1. the member's sector is in the category's list (an earlier sector beats a later one;
   an empty list means any sector);
2. the nearest region: a member whose region is the case's region (or below it), then
   one sharing the case's city, then its province, then anyone (members without a region last
   with them) — "sharing" is the deepest common ancestor in the region tree;
3. fewest open cases (`Member.open_cases`);
4. longest since the last assignment (`Member.case_assigned_us`, 0 = never), then member id.

Only active members bound to a Telegram account are candidates, and members in the
case's skip list (declined / transferred / handed back) are left out.

It runs as one SQL statement: a UNION ALL of small "arms", one per (sector, region tier),
each an index range scan (`ix_member_route_*`) ordered by load and cut at `limit`; the outer
query orders the at most arms × limit rows. Nothing proportional to the roster is loaded.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from sqlalchemy import and_, exists, func, literal_column, or_, union_all
from sqlalchemy.orm import aliased
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.texts import plain
from models import Member, Region, RoleGrant, ScopeKind, Sector

# region tiers are generated for depths 1..MAX_REGION_DEPTH (province/city/district/town/village)
MAX_REGION_DEPTH = 5
CATEGORY_MAX = 32
_SPLIT_SECTORS = re.compile(r"[;；、,，|/\n]+")
HEADERS = {"category": ("诉求类别", "类别", "category"), "sectors": ("对口界别", "界别", "sectors")}


# --- the routing table -------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    """A request category and the sectors (ids and full names, in preference order) that handle it."""

    name: str
    sector_ids: tuple[int, ...] = ()
    sector_names: tuple[str, ...] = ()

    @property
    def any_sector(self) -> bool:
        return not self.sector_ids


@dataclass(frozen=True)
class RoutingTable:
    categories: tuple[Category, ...]

    def get(self, name: str) -> Category | None:
        return next((c for c in self.categories if c.name == name), None)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.categories]


class RoutingFileError(Exception):
    """The routing file cannot be used; `lines` are Chinese, one per problem, for whoever runs the bot."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


def default_routing_path() -> Path:
    return Path(str(resources.files("bot").joinpath("data/routing_sample.csv")))


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RoutingFileError([plain("routing_encoding")])


def parse_routing_csv(text: str, sectors: Iterable[tuple[int, str, str]]) -> RoutingTable:
    """Parse `诉求类别,对口界别` rows; sectors by full or short name. Every problem is reported at once."""
    by_name: dict[str, tuple[int, str]] = {}
    for sector_id, name, short in sectors:
        by_name[name.replace(" ", "")] = (sector_id, name)
        by_name.setdefault(short.replace(" ", ""), (sector_id, name))
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(c.strip() for c in r)]
    if not rows:
        raise RoutingFileError([plain("routing_empty")])
    header = [c.strip().lower() for c in rows[0]]
    columns: dict[str, int] = {}
    for key, aliases in HEADERS.items():
        for alias in aliases:
            if alias.lower() in header:
                columns[key] = header.index(alias.lower())
                break
    if "category" not in columns or "sectors" not in columns:
        raise RoutingFileError([plain("routing_header")])
    problems: list[str] = []
    categories: list[Category] = []
    seen: set[str] = set()
    for row_no, row in enumerate(rows[1:], start=2):
        cells = row + [""] * (max(columns.values()) + 1 - len(row))
        name = " ".join(cells[columns["category"]].split())
        if not name:
            problems.append(plain("routing_no_category", row=row_no))
            continue
        if len(name) > CATEGORY_MAX:
            problems.append(plain("routing_category_long", row=row_no, high=CATEGORY_MAX))
            continue
        if name in seen:
            problems.append(plain("routing_duplicate", row=row_no, category=name))
            continue
        seen.add(name)
        ids: list[int] = []
        names: list[str] = []
        for raw in _SPLIT_SECTORS.split(cells[columns["sectors"]]):
            raw = raw.strip().replace(" ", "")
            if not raw:
                continue
            found = by_name.get(raw)
            if found is None:
                problems.append(plain("routing_unknown_sector", row=row_no, category=name, sector=raw))
            elif found[0] not in ids:
                ids.append(found[0])
                names.append(found[1])
        categories.append(Category(name, tuple(ids), tuple(names)))
    if problems:
        raise RoutingFileError(problems)
    if not categories:
        raise RoutingFileError([plain("routing_empty")])
    return RoutingTable(tuple(categories))


async def load_routing_table(session: AsyncSession, *, path: str | Path | None = None) -> RoutingTable:
    """The table from `path` (ROUTING_FILE) or the bundled sample, checked against the sector table."""
    file = Path(path) if path else default_routing_path()
    try:
        raw = file.read_bytes()
    except OSError:
        raise RoutingFileError([plain("routing_missing", path=str(file))]) from None
    sectors = (await session.exec(select(Sector.id, Sector.name, Sector.short_name))).all()
    return parse_routing_csv(_decode(raw), sectors)


# --- the engine ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A member the engine proposes, with what decided their place (rendered by texts.routing_reason)."""

    member_id: int
    name: str
    sector_id: int
    sector_name: str
    sector_short: str
    sector_rank: int      # position of the member's sector in the category's list (0 when any sector)
    shared_depth: int     # depth of the deepest region shared with the case (0 = none / case has no region)
    open_cases: int
    assigned_us: int

    def reason(self, *, has_region: bool) -> dict:
        """What goes into the timeline: codes and values, no Chinese."""
        return {
            "near": self.shared_depth if has_region else None,
            "sector": self.sector_short,
            "open": self.open_cases,
        }


async def propose(
    session: AsyncSession,
    *,
    category: Category,
    region_id: int | None,
    exclude_member_ids: Sequence[int] = (),
    limit: int = 5,
) -> list[Candidate]:
    """The best `limit` candidates for a case of `category` filed under `region_id`, best first."""
    if limit < 1:
        return []
    m = Member
    eligible = [m.active.is_(True), m.telegram_id.is_not(None)]
    if exclude_member_ids:
        eligible.append(m.id.not_in(list(exclude_member_ids)))

    tiers = None
    if region_id is not None:
        anc = aliased(Region)
        target = select(Region.path).where(Region.id == region_id).scalar_subquery()
        # the case's region and its ancestors: regions whose path is a prefix of the case's
        ancestors = (
            select(anc.path.label("path"), anc.depth.label("depth"))
            .where(or_(anc.path == target, func.substr(target, 1, func.length(anc.path) + 1) == anc.path + "/"))
            .cte("ancestors")
        )
        r = aliased(Region)
        # every region under one of them, with the depth of the deepest one it is under
        tiers = (
            select(r.id.label("region_id"), func.max(ancestors.c.depth).label("shared"))
            .select_from(r)
            .join(
                ancestors,
                or_(r.path == ancestors.c.path,
                    func.substr(r.path, 1, func.length(ancestors.c.path) + 1) == ancestors.c.path + "/"),
            )
            .group_by(r.id)
            .cte("tiers")
        )

    sector_choices: list[tuple[int, int | None]] = (
        [(0, None)] if category.any_sector else list(enumerate(category.sector_ids))
    )
    arms = []
    for rank, sector_id in sector_choices:
        where_sector = [m.sector_id == sector_id] if sector_id is not None else []
        if tiers is None:
            region_tiers: list[tuple[int, list]] = [(0, [])]
        else:
            region_tiers = [
                (depth, [m.region_id.in_(select(tiers.c.region_id).where(tiers.c.shared == depth))])
                for depth in range(MAX_REGION_DEPTH, 0, -1)
            ]
            region_tiers.append(
                (0, [or_(m.region_id.is_(None), m.region_id.not_in(select(tiers.c.region_id)))])
            )
        for depth, where_region in region_tiers:
            arm = (
                select(
                    m.id.label("member_id"),
                    m.name.label("name"),
                    m.sector_id.label("sector_id"),
                    literal_column(str(rank)).label("sector_rank"),
                    literal_column(str(depth)).label("shared"),
                    m.open_cases.label("open_cases"),
                    m.case_assigned_us.label("assigned_us"),
                )
                .where(*where_sector, *where_region, *eligible)
                .order_by(m.open_cases, m.case_assigned_us, m.id)
                .limit(limit)
                .subquery()
            )
            arms.append(select(arm))
    ranked = union_all(*arms).subquery("ranked") if len(arms) > 1 else arms[0].subquery("ranked")
    query = (
        select(ranked, Sector.name.label("sector_name"), Sector.short_name.label("sector_short"))
        .join(Sector, Sector.id == ranked.c.sector_id)
        .order_by(
            ranked.c.sector_rank, ranked.c.shared.desc(), ranked.c.open_cases, ranked.c.assigned_us,
            ranked.c.member_id,
        )
        .limit(limit)
    )
    rows = (await session.exec(query)).all()
    return [
        Candidate(
            member_id=row.member_id, name=row.name, sector_id=row.sector_id, sector_name=row.sector_name,
            sector_short=row.sector_short, sector_rank=int(row.sector_rank), shared_depth=int(row.shared),
            open_cases=row.open_cases, assigned_us=row.assigned_us,
        )
        for row in rows
    ]


# --- nobody fits: the staff --------------------------------------------------------------------


@dataclass(frozen=True)
class Fallback:
    """Who gets a case nobody fits: coordinators in scope, else the admins (Telegram ids)."""

    kind: str  # "coordinators" | "admins"
    telegram_ids: list[int] = field(default_factory=list)


def _scope_covers(category: Category, region_id: int | None):  # noqa: ANN202 - a SQL condition
    """RoleGrant rows whose scope covers the category's sectors or the case's region."""
    conditions = []
    if category.sector_names:
        conditions.append(
            and_(RoleGrant.scope_kind == ScopeKind.sector, RoleGrant.scope_value.in_(category.sector_names))
        )
        from models import ActivityGroup

        # a group covers the category when one of its active members sits in one of its sectors
        conditions.append(
            and_(
                RoleGrant.scope_kind == ScopeKind.group,
                exists(
                    select(Member.id)
                    .join(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
                    .where(
                        ActivityGroup.name == RoleGrant.scope_value,
                        Member.sector_id.in_(category.sector_ids),
                        Member.active.is_(True),
                    )
                ),
            )
        )
    if region_id is not None:
        path = select(Region.path).where(Region.id == region_id).scalar_subquery()
        conditions.append(
            and_(
                RoleGrant.scope_kind == ScopeKind.region,
                or_(
                    RoleGrant.scope_value == path,
                    func.substr(path, 1, func.length(RoleGrant.scope_value) + 1) == RoleGrant.scope_value + "/",
                ),
            )
        )
    return or_(*conditions) if conditions else None


async def fallback_recipients(
    session: AsyncSession, *, category: Category, region_id: int | None, admin_ids: Sequence[int]
) -> Fallback:
    """The coordinators whose scope covers the category's sectors or the case's region, else the admins."""
    condition = _scope_covers(category, region_id)
    ids: list[int] = []
    if condition is not None:
        ids = sorted(
            set(
                (await session.exec(
                    select(RoleGrant.telegram_id).where(RoleGrant.role == "coordinator", condition)
                )).all()
            )
        )
    if ids:
        return Fallback("coordinators", ids)
    return Fallback("admins", sorted(set(admin_ids)))
