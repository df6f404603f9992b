"""Roster import: read the office's CSV/XLSX, validate every row, apply all of it or nothing.

Runs on a blocking SQLAlchemy connection on purpose: it is a CLI bulk job over up to
hundreds of thousands of rows, where Core executemany is an order of magnitude faster
than ORM objects and nothing else shares the event loop.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from models import ActivityGroup, ContactPoint, ContactPointKind, Level, Member, Region, Sector, utcnow

MAX_CONTACT_POINTS = 3
CHUNK = 5000

# canonical column -> accepted headers (compared after lower-casing and removing spaces)
COLUMNS: dict[str, tuple[str, ...]] = {
    "number": ("编号", "委员编号", "number", "no", "id", "member_no", "member_number"),
    "name": ("姓名", "name", "full_name"),
    "sector": ("界别", "sector"),
    "group": ("活动组", "界别活动组", "group", "activity_group"),
    "level": ("层级", "级别", "level"),
    "region": ("地区", "区域", "region"),
    "phone": ("手机", "手机号", "手机号码", "电话", "phone", "mobile"),
    "contact_points": ("联系点", "contact_points", "contact_point", "contacts"),
}
REQUIRED = ("number", "name", "sector")
HEADER_NAMES = {"number": "编号", "name": "姓名", "sector": "界别"}

LEVELS: dict[str, Level] = {
    "全国": Level.national, "national": Level.national,
    "省": Level.province, "省级": Level.province, "province": Level.province,
    "市": Level.city, "市级": Level.city, "市州": Level.city, "city": Level.city,
    "县": Level.county, "县级": Level.county, "区": Level.county, "县区": Level.county,
    "区县": Level.county, "county": Level.county,
}
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
_SPLIT_POINTS = re.compile(r"[;；、,，\n]+")
_SPLIT_REGION = re.compile(r"[/／\\]+")
_SPACES = re.compile(r"[\s\u3000]+")

_KIND_SUFFIXES: list[tuple[ContactPointKind, tuple[str, ...]]] = [
    (ContactPointKind.community, ("社区", "居委会", "街道")),
    (ContactPointKind.village, ("村", "村委会", "嘎查")),
    (ContactPointKind.hospital, ("医院", "卫生院", "卫生室", "诊所", "卫生服务中心")),
    (ContactPointKind.school, ("学校", "小学", "中学", "大学", "学院", "幼儿园", "职校", "一中", "二中")),
    (ContactPointKind.new_org, ("商会", "协会", "学会", "联合会", "事务所", "基金会", "服务中心", "两新组织")),
    (ContactPointKind.company, ("公司", "集团", "企业", "厂", "合作社", "有限", "银行")),
]


class RosterFileError(Exception):
    """The file cannot be read as a roster at all (format, encoding, missing columns)."""


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str


@dataclass
class RosterRow:
    row: int
    number: str
    name: str
    sector: str  # full sector name from the catalogue
    group: str | None
    level: Level
    region: str | None
    phone: str | None
    contact_points: tuple[str, ...]


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    reactivated: int = 0
    missing: int = 0
    deactivated: int = 0
    new_groups: int = 0
    new_regions: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


def contact_point_kind(name: str) -> ContactPointKind:
    """Guess a contact point's kind from how Chinese unit names end."""
    for kind, suffixes in _KIND_SUFFIXES:
        if any(name.endswith(s) for s in suffixes):
            return kind
    return ContactPointKind.other


def _clean(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub(" ", str(value)).strip()


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterFileError("无法识别文件编码（支持 UTF-8、带 BOM 的 UTF-8 和 GB18030）")


def _read_cells(path: Path) -> Iterator[list[object]]:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            from openpyxl import load_workbook

            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise RosterFileError(f"无法读取 Excel 文件：{exc}") from exc
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()
    elif suffix in (".csv", ".txt"):
        text = _decode(path.read_bytes())
        yield from csv.reader(io.StringIO(text))
    else:
        raise RosterFileError("只支持 .csv 和 .xlsx 文件")


def _map_header(cells: list[object]) -> dict[str, int]:
    wanted = {alias.lower().replace(" ", ""): key for key, aliases in COLUMNS.items() for alias in aliases}
    mapping: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = wanted.get(_clean(cell).lower().replace(" ", "").replace("*", ""))
        if key and key not in mapping:
            mapping[key] = index
    missing = [HEADER_NAMES[k] for k in REQUIRED if k not in mapping]
    if missing:
        raise RosterFileError("缺少必需的列：" + "、".join(missing))
    return mapping


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row number, canonical column -> cleaned text) for every non-blank row."""
    cells_iter = _read_cells(path)
    header: dict[str, int] | None = None
    for row_no, cells in enumerate(cells_iter, start=1):
        values = [_clean(c) for c in cells]
        if not any(values):
            continue
        if header is None:
            header = _map_header(cells)
            continue
        yield row_no, {key: (values[i] if i < len(values) else "") for key, i in header.items()}
    if header is None:
        raise RosterFileError("文件是空的")


def normalise_phone(raw: str) -> str | None:
    """A mainland mobile number as 11 digits, or None when it is not one."""
    digits = re.sub(r"[\s\-()（）]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _PHONE_RE.match(digits) else None


def validate(
    rows: Iterable[tuple[int, dict[str, str]]], sectors: dict[str, str]
) -> tuple[list[RosterRow], list[RowError]]:
    """Check every row; `sectors` maps full and short names to the full name."""
    good: list[RosterRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row_no, values in rows:
        reasons: list[str] = []
        number = values.get("number", "")
        name = values.get("name", "")
        if not number:
            reasons.append("缺少编号")
        elif len(number) > 32:
            reasons.append("编号过长（最多 32 个字符）")
        elif number in seen:
            reasons.append(f"编号 {number} 与第 {seen[number]} 行重复")
        else:
            seen[number] = row_no
        if not name:
            reasons.append("缺少姓名")
        elif len(name) > 64:
            reasons.append("姓名过长（最多 64 个字符）")
        sector_raw = values.get("sector", "")
        sector = sectors.get(sector_raw.replace(" ", ""))
        if not sector_raw:
            reasons.append("缺少界别")
        elif sector is None:
            reasons.append(f"未知界别「{sector_raw}」")
        level_raw = values.get("level", "")
        level = LEVELS.get(level_raw.lower()) if level_raw else Level.province
        if level is None:
            reasons.append(f"未知层级「{level_raw}」（应为 全国/省/市/县）")
        phone_raw = values.get("phone", "")
        phone = normalise_phone(phone_raw) if phone_raw else None
        if phone_raw and phone is None:
            reasons.append(f"手机号格式不正确「{phone_raw}」")
        region_parts = [p.strip() for p in _SPLIT_REGION.split(values.get("region", "")) if p.strip()]
        region = "/".join(region_parts) or None
        if region and (len(region) > 255 or any(len(p) > 64 for p in region_parts)):
            reasons.append("地区过长")
        points: list[str] = []
        for point in _SPLIT_POINTS.split(values.get("contact_points", "")):
            point = point.strip()
            if point and point not in points:
                points.append(point)
        if len(points) > MAX_CONTACT_POINTS:
            reasons.append(f"联系点最多 {MAX_CONTACT_POINTS} 个，这里有 {len(points)} 个")
        if any(len(p) > 128 for p in points):
            reasons.append("联系点名称过长（最多 128 个字符）")
        group = values.get("group") or None
        if group and len(group) > 64:
            reasons.append("活动组名称过长")
        if reasons:
            errors.extend(RowError(row_no, r) for r in reasons)
            continue
        good.append(
            RosterRow(row_no, number, name, sector, group, level, region, phone, tuple(points))  # type: ignore[arg-type]
        )
    return good, errors


def sector_lookup(connection: Connection) -> tuple[dict[str, str], dict[str, int]]:
    """(full-or-short name -> full name, full name -> id) from the sector table."""
    names: dict[str, str] = {}
    ids: dict[str, int] = {}
    for sector_id, name, short in connection.execute(select(Sector.id, Sector.name, Sector.short_name)):
        ids[name] = sector_id
        names[name.replace(" ", "")] = name
        names.setdefault(short.replace(" ", ""), name)
    return names, ids


def _ensure_groups(connection: Connection, names: set[str], report: ImportReport) -> dict[str, int]:
    known = {k: v for k, v in connection.execute(select(ActivityGroup.name, ActivityGroup.id))}
    new = sorted(names - known.keys())
    report.new_groups = len(new)
    if new:
        connection.execute(insert(ActivityGroup), [{"name": n} for n in new])
        known = {k: v for k, v in connection.execute(select(ActivityGroup.name, ActivityGroup.id))}
    return known


def _ensure_regions(connection: Connection, paths: set[str], report: ImportReport) -> dict[str, int]:
    known = {k: v for k, v in connection.execute(select(Region.path, Region.id))}
    wanted: set[str] = set()
    for path in paths:
        parts = path.split("/")
        wanted.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    new = sorted(wanted - known.keys(), key=lambda p: p.count("/"))
    report.new_regions = len(new)
    for depth in sorted({p.count("/") for p in new}):
        batch = [p for p in new if p.count("/") == depth]
        connection.execute(
            insert(Region),
            [
                {
                    "path": p,
                    "name": p.rsplit("/", 1)[-1],
                    "depth": depth + 1,
                    "parent_id": known.get(p.rsplit("/", 1)[0]) if "/" in p else None,
                }
                for p in batch
            ],
        )
        known = {k: v for k, v in connection.execute(select(Region.path, Region.id))}
    return known


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _apply_points(connection: Connection, changes: dict[str, tuple[str, ...]], now) -> None:  # noqa: ANN001
    """Make each member's roster contact points the given list, in place.

    Points are matched by name and kept (their ids are what activities link to): only
    reordered, adopted (a unit the member had added by chat that the roster now lists) or,
    when the roster no longer lists them, deleted.
    """
    ids = {k: v for k, v in connection.execute(select(Member.number, Member.id))}
    member_ids = [ids[n] for n in changes]
    have: dict[int, dict[str, tuple[int, bool, int]]] = {}
    for chunk in _chunks(member_ids):
        rows = connection.execute(
            select(ContactPoint.member_id, ContactPoint.name, ContactPoint.id, ContactPoint.from_roster,
                   ContactPoint.position).where(ContactPoint.member_id.in_(chunk))
        )
        for member_id, name, point_id, from_roster, position in rows:
            have.setdefault(member_id, {})[name] = (point_id, from_roster, position)
    inserts: list[dict] = []
    updates: list[dict] = []
    deletes: list[int] = []
    for number, names in changes.items():
        member_id = ids[number]
        current = have.get(member_id, {})
        for position, name in enumerate(names):
            if name in current:
                point_id, from_roster, old_position = current[name]
                if not from_roster or old_position != position:
                    updates.append({"b_id": point_id, "position": position, "from_roster": True})
            else:
                inserts.append({"member_id": member_id, "name": name, "kind": contact_point_kind(name),
                                "position": position, "from_roster": True, "created_at": now})
        deletes += [point_id for name, (point_id, from_roster, _) in current.items()
                    if from_roster and name not in names]
    for chunk in _chunks(deletes):
        connection.execute(delete(ContactPoint).where(ContactPoint.id.in_(chunk)))
    statement = (
        update(ContactPoint)
        .where(ContactPoint.id == bindparam("b_id"))
        .values(position=bindparam("position"), from_roster=bindparam("from_roster"))
    )
    for chunk in _chunks(updates):
        connection.execute(statement, chunk)
    for chunk in _chunks(inserts):
        connection.execute(insert(ContactPoint), chunk)


def import_roster(
    connection: Connection,
    path: Path,
    *,
    dry_run: bool = False,
    deactivate_missing: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate the whole file, then apply it in the caller's transaction; bad rows apply nothing."""
    report = ImportReport(dry_run=dry_run)
    sector_names, sector_ids = sector_lookup(connection)
    rows, errors = validate(read_rows(path), sector_names)
    report.rows = len(rows) + len({e.row for e in errors})
    if errors:
        report.errors = errors
        return report

    groups = _ensure_groups(connection, {r.group for r in rows if r.group}, report)
    regions = _ensure_regions(connection, {r.region for r in rows if r.region}, report)

    existing: dict[str, tuple] = {
        row.number: row
        for row in connection.execute(
            select(
                Member.id, Member.number, Member.name, Member.sector_id, Member.activity_group_id,
                Member.level, Member.region_id, Member.phone, Member.active,
            )
        )
    }
    points_of: dict[int, list[str]] = {}
    for member_id, name in connection.execute(
        select(ContactPoint.member_id, ContactPoint.name)
        .where(ContactPoint.from_roster.is_(True))
        .order_by(ContactPoint.member_id, ContactPoint.position)
    ):
        points_of.setdefault(member_id, []).append(name)

    now = utcnow()
    inserts: list[dict] = []
    updates: list[dict] = []
    point_changes: dict[str, tuple[str, ...]] = {}
    for row in rows:
        values = {
            "name": row.name,
            "sector_id": sector_ids[row.sector],
            "activity_group_id": groups.get(row.group) if row.group else None,
            "level": row.level,
            "region_id": regions.get(row.region) if row.region else None,
            "phone": row.phone,
        }
        current = existing.get(row.number)
        if current is None:
            inserts.append({"number": row.number, "active": True, "created_at": now, "updated_at": now, **values})
            if row.contact_points:
                point_changes[row.number] = row.contact_points
            report.created += 1
            continue
        changed = any(getattr(current, k) != v for k, v in values.items()) or not current.active
        if tuple(points_of.get(current.id, [])) != row.contact_points:
            point_changes[row.number] = row.contact_points
            changed = True
        if changed:
            if not current.active:
                report.reactivated += 1
            updates.append({"b_id": current.id, "active": True, "updated_at": now, **values})
            report.updated += 1
        else:
            report.unchanged += 1

    in_file = {r.number for r in rows}
    missing_ids = [m.id for n, m in existing.items() if n not in in_file and m.active]
    report.missing = len(missing_ids)
    # at 200,000 rows these hold ~100 MB that nothing below needs
    del rows, existing, points_of, in_file

    if dry_run:
        report.deactivated = report.missing if deactivate_missing else 0
        return report

    for chunk in _chunks(inserts):
        connection.execute(insert(Member), chunk)
        if progress:
            progress(len(chunk))
    inserts.clear()
    update_stmt = (
        update(Member)
        .where(Member.id == bindparam("b_id"))
        .values({k: bindparam(k) for k in ("name", "sector_id", "activity_group_id", "level", "region_id", "phone", "active", "updated_at")})
    )
    for chunk in _chunks(updates):
        connection.execute(update_stmt, chunk)
        if progress:
            progress(len(chunk))
    if progress and report.unchanged:
        progress(report.unchanged)

    if point_changes:
        _apply_points(connection, point_changes, now)

    if deactivate_missing and missing_ids:
        for chunk in _chunks(missing_ids):
            connection.execute(
                update(Member).where(Member.id.in_(chunk)).values(active=False, updated_at=now)
            )
        report.deactivated = len(missing_ids)
    return report
