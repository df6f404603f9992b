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

It runs as one SQL statement (`_propose_sql`): a UNION ALL of small "arms" in rank order,
one per (sector, region tier), each an index lookup (`ix_member_route_*`) ordered by load and
cut at `limit`. Nothing proportional to the roster is loaded into Python.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sqlalchemy import TextClause, and_, bindparam, exists, func, or_, text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.encodings import decode_text
from bot.services.scopes import group_members
from bot.services.sectors import sector_names, squash
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
    text = decode_text(raw)
    if text is None:
        raise RoutingFileError([plain("routing_encoding")])
    return text


def parse_routing_csv(text: str, sectors: Iterable[tuple[int, str, str]]) -> RoutingTable:
    """Parse `诉求类别,对口界别` rows; sectors by any accepted name (`sectors.sector_names`). Every problem
    is reported at once."""
    sectors = list(sectors)
    ids_of = {name: sector_id for sector_id, name, _ in sectors}
    by_name = {alias: (ids_of[name], name)
               for alias, name in sector_names((name, short) for _, name, short in sectors).items()}
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
            found = by_name.get(squash(raw))
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


_ARM_COLUMNS = (
    "m.id AS member_id, {rank} AS sector_rank, {shared} AS shared, "
    "m.open_cases AS open_cases, m.case_assigned_us AS assigned_us"
)
# word for word the predicate of the partial ix_member_route_* indexes (models.roster.ROUTABLE)
_ROUTABLE = "m.active AND m.telegram_id IS NOT NULL"
# the region tiers of the case: its ancestors (`chain`), then every region below the top one,
# labelled with the depth of the deepest ancestor it sits under (`tiers`); both walk parent_id
_TIERS = """chain(id, parent_id, depth) AS (
    SELECT id, parent_id, depth FROM region WHERE id = :region
    UNION ALL
    SELECT r.id, r.parent_id, r.depth FROM region r JOIN chain c ON r.id = c.parent_id
),
tiers(region_id, shared) AS (
    SELECT id, depth FROM chain
    UNION ALL
    SELECT r.id, t.shared FROM region r JOIN tiers t ON r.parent_id = t.region_id
    WHERE r.id NOT IN (SELECT id FROM chain)
),
"""


@lru_cache(maxsize=128)
def _propose_sql(dialect: str, sectors: int, has_region: bool, has_exclusions: bool) -> str:
    """The one statement for a shape of request (how many sectors, region or not, exclusions or not).

    `picked` is a UNION ALL of arms in rank order — per sector (earlier first), per region
    tier (nearest first), then anywhere — each sorted by load and cut at :limit; the LIMIT on
    the compound stops at the first arms that fill it, so far tiers are read only when near
    ones are short. Every arm reads one partial covering index and no table row:

    - a tier arm of a sector looks its few members up by (sector, region) and sorts them
      (`+col` keeps SQLite from walking the load index instead);
    - the anywhere arm, and the province tier when any sector will do (most of the roster),
      walk the load index in order and stop at the first members that qualify.

    On PostgreSQL, whose planner cannot see how few regions a recursive CTE yields, the tier
    arms are one LATERAL per sector instead: for each region of the tiers, its best `limit`
    members by load from the index, then the nearest tier first. (The no-op GROUP BY brings
    the CTE's estimate from ~10,000 rows down to 200; with the larger one the plan's cost
    passes jit_above_cost and JIT compilation adds 100+ ms to a 1 ms query.)

    Only the winners are joined to member and sector for their names. The text depends only on
    the shape, so psycopg prepares it after a few calls (PostgreSQL still plans each call for
    its values, a custom plan: p50 1.7 ms, against 2.7 ms with the values written into the text).
    """
    eligible = _ROUTABLE
    if has_exclusions:
        eligible += " AND m.id NOT IN :exclude"
    arms: list[str] = []
    for rank in range(max(sectors, 1)):
        where_sector = f"m.sector_id = :sector{rank} AND " if sectors else ""
        if has_region and dialect == "postgresql":
            arms.append(
                f"SELECT * FROM (SELECT x.member_id, {rank} AS sector_rank, t.shared, x.open_cases, x.assigned_us "
                f"FROM (SELECT region_id, shared FROM tiers GROUP BY region_id, shared) t "
                f"CROSS JOIN LATERAL (SELECT m.id AS member_id, m.open_cases, "
                f"m.case_assigned_us AS assigned_us FROM member m WHERE {where_sector}m.region_id = t.region_id "
                f"AND {eligible} ORDER BY m.open_cases, m.case_assigned_us, m.id LIMIT :limit) x "
                f"ORDER BY t.shared DESC, x.open_cases, x.assigned_us, x.member_id LIMIT :limit) AS a{len(arms)}"
            )
        for depth in range(MAX_REGION_DEPTH, 0, -1) if has_region and dialect != "postgresql" else ():
            walk = not sectors and depth == 1
            order = "m.open_cases, m.case_assigned_us, m.id" if walk else \
                "+m.open_cases, +m.case_assigned_us, +m.id"
            arms.append(
                f"SELECT * FROM (SELECT {_ARM_COLUMNS.format(rank=rank, shared=depth)} FROM member m "
                f"WHERE {where_sector}m.region_id IN (SELECT region_id FROM tiers WHERE shared = {depth}) "
                f"AND {eligible} ORDER BY {order} LIMIT :limit) AS a{len(arms)}"
            )
        elsewhere = "(m.region_id IS NULL OR m.region_id NOT IN (SELECT region_id FROM tiers)) AND " \
            if has_region else ""
        arms.append(
            f"SELECT * FROM (SELECT {_ARM_COLUMNS.format(rank=rank, shared=0)} FROM member m "
            f"WHERE {where_sector}{elsewhere}{eligible} "
            f"ORDER BY m.open_cases, m.case_assigned_us, m.id LIMIT :limit) AS a{len(arms)}"
        )
    sql = (
        "WITH RECURSIVE " + (_TIERS if has_region else "")
        + "picked AS (\n" + "\nUNION ALL\n".join(arms) + "\nLIMIT :limit\n)\n"
        + "SELECT p.member_id, p.sector_rank, p.shared, p.open_cases, p.assigned_us, m.name, m.sector_id, "
        "s.name AS sector_name, s.short_name AS sector_short "
        "FROM picked p JOIN member m ON m.id = p.member_id JOIN sector s ON s.id = m.sector_id"
    )
    return sql


def _statement(sql: str, params: dict[str, object]) -> TextClause:
    """The statement with its parameters bound."""
    statement = text(sql)
    if "exclude" in params:
        statement = statement.bindparams(bindparam("exclude", expanding=True))
    return statement.bindparams(**params)


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
    dialect = session.bind.dialect.name
    sql = _propose_sql(dialect, len(category.sector_ids), region_id is not None, bool(exclude_member_ids))
    params: dict[str, object] = {"limit": limit}
    if region_id is not None:
        params["region"] = region_id
    for rank, sector_id in enumerate(category.sector_ids):
        params[f"sector{rank}"] = sector_id
    if exclude_member_ids:
        params["exclude"] = list(exclude_member_ids)
    statement = _statement(sql, params)
    rows = (await session.exec(statement)).all()
    found = [
        Candidate(
            member_id=row.member_id, name=row.name, sector_id=row.sector_id, sector_name=row.sector_name,
            sector_short=row.sector_short, sector_rank=int(row.sector_rank), shared_depth=int(row.shared),
            open_cases=row.open_cases, assigned_us=row.assigned_us,
        )
        for row in rows
    ]
    # the arms already come in rank order; sorting the few rows makes that a guarantee, not a plan detail
    found.sort(key=lambda c: (c.sector_rank, -c.shared_depth, c.open_cases, c.assigned_us, c.member_id))
    return found


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
        # a group covers the category when one of its active members (on the grant's committee, the
        # one rule of bot/services/scopes.py asked of each grant) sits in one of its sectors
        conditions.append(
            and_(
                RoleGrant.scope_kind == ScopeKind.group,
                exists(
                    select(Member.id).where(
                        group_members(RoleGrant.scope_value, RoleGrant.committee_level, RoleGrant.committee_region),
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
