"""Roster import: read the office's CSV/XLSX, validate every row, apply all of it or nothing.

Runs on a blocking SQLAlchemy connection on purpose: it is a CLI bulk job over up to
hundreds of thousands of rows, where Core executemany is an order of magnitude faster
than ORM objects and nothing else shares the event loop.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from bot.services.encodings import decode_text
from bot.services.names import nearest
from bot.services.sectors import sector_names, squash
from models import ActivityGroup, ContactPoint, ContactPointKind, Level, Member, Region, Sector, utcnow

log = logging.getLogger(__name__)
MAX_CONTACT_POINTS = 3
CHUNK = 5000
HEADER_SCAN_ROWS = 10  # the header row is looked for among the first rows (title rows above it)
SHOWN_CHANGES = 20

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
# the first alias of each column is its name in messages
HEADER_NAMES = {key: aliases[0] for key, aliases in COLUMNS.items()}
# headers an office might use for a known column that we do NOT accept silently: a look-alike
# is reported (and blocks the import while the column it stands for is missing) rather than guessed
LOOKALIKES: dict[str, str] = {
    "联系电话": "phone", "电话号码": "phone", "移动电话": "phone", "联系方式": "phone", "手机号码1": "phone",
    "活动小组": "group", "小组": "group", "所在小组": "group", "界别小组": "group",
    "所在地区": "region", "所属地区": "region", "地址": "region", "所在地": "region", "行政区划": "region",
    "联系点位": "contact_points", "联系单位": "contact_points", "联系点名称": "contact_points",
    "所在界别": "sector", "所属界别": "sector", "界别名称": "sector",
    "委员姓名": "name", "名字": "name", "序号": "number", "委员证号": "number",
    "所在层级": "level", "委员层级": "level",
}

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
SUFFIXES = (".csv", ".xlsx", ".xlsm")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of Excel 97–2003 .xls (and .et) files
# a row counter column (序号) next to 编号 is a normal part of an office's sheet: ignored without a word
ROW_COUNTERS = frozenset({"序号", "行号"})

_KIND_SUFFIXES: list[tuple[ContactPointKind, tuple[str, ...]]] = [
    (ContactPointKind.community, ("社区", "居委会", "街道")),
    (ContactPointKind.village, ("村", "村委会", "嘎查")),
    (ContactPointKind.hospital, ("医院", "卫生院", "卫生室", "诊所", "卫生服务中心")),
    (ContactPointKind.school, ("学校", "小学", "中学", "大学", "学院", "幼儿园", "职校", "一中", "二中")),
    (ContactPointKind.new_org, ("商会", "协会", "学会", "联合会", "事务所", "基金会", "服务中心", "两新组织")),
    (ContactPointKind.company, ("公司", "集团", "企业", "厂", "合作社", "有限", "银行")),
]


@dataclass(frozen=True)
class Layout:
    """The columns of one kind of office file (the roster, the station file): the same reader takes each.

    `name` picks the words its messages use (`file_noun_<name>`, `<name> import -h`); `key` is the column
    that makes a row counter (序号) beside it harmless."""

    name: str
    columns: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    lookalikes: dict[str, str]
    key: str

    @property
    def header_names(self) -> dict[str, str]:
        """The first alias of each column: its name in messages."""
        return {key: aliases[0] for key, aliases in self.columns.items()}

    @property
    def aliases(self) -> dict[str, str]:
        """Every accepted header (lower-case, no spaces) -> its column."""
        return {alias.lower().replace(" ", ""): key for key, aliases in self.columns.items() for alias in aliases}

    @property
    def required_names(self) -> str:
        return "、".join(self.header_names[k] for k in self.required)


ROSTER = Layout("members", COLUMNS, REQUIRED, LOOKALIKES, "number")


class RosterFileError(Exception):
    """The file cannot be read as a roster at all; `code` and `values` name the text to show."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class RowError:
    """One problem of one row; `code` and `values` name the text to show."""

    row: int
    code: str
    values: dict = field(default_factory=dict)


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


@dataclass(frozen=True)
class UnknownColumn:
    header: str
    suggestion: str | None  # the known column it probably means


@dataclass
class RosterSource:
    """Where the roster was read: the sheet (XLSX), the header row and the columns found."""

    sheet: str | None
    header_row: int
    columns: dict[str, int]
    unknown: list[UnknownColumn]

    @property
    def present(self) -> frozenset[str]:
        return frozenset(self.columns)


@dataclass(frozen=True)
class MemberChange:
    """What an import does to one member: created, or these fields from old to new."""

    number: str
    name: str
    created: bool = False
    fields: tuple[tuple[str, object, object], ...] = ()


@dataclass
class RegisterImport:
    """What an import of a register file (the roster, the stations) did, or would do: the counts, the
    row errors, and why --deactivate-missing was refused ("no_rows": header only; "share": too many)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    reactivated: int = 0
    missing: int = 0
    deactivated: int = 0
    new_regions: int = 0
    # (new region, an existing one next to it that differs by a character or two): a typo, perhaps
    region_hints: list[tuple[str, str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    source: RosterSource | None = None
    active_before: int = 0
    refused: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.refused is None

    @property
    def missing_share(self) -> float:
        return self.missing / self.active_before if self.active_before else 0.0


@dataclass
class ImportReport(RegisterImport):
    new_groups: int = 0
    changes: list[MemberChange] = field(default_factory=list)  # the first SHOWN_CHANGES
    missing_members: list[tuple[str, str]] = field(default_factory=list)  # the first SHOWN_CHANGES
    # SHA-256 over every change and every missing member (not only those shown): equal digests, same effect
    digest: str = ""


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
    text = decode_text(raw)
    if text is None:
        raise RosterFileError("encoding")
    return text


def check_path(path: Path) -> None:
    """Refuse what is not a roster file before reading: missing (saying the folder looked in, and a roster
    file there of a like name), a folder, another format."""
    if path.is_dir():
        raise RosterFileError("is_folder", path=path)
    if not path.exists():
        folder = path.absolute().parent
        if not folder.is_dir():
            raise RosterFileError("folder_not_found", path=path, folder=folder)
        near = nearest(path.name, sorted(p.name for p in folder.iterdir() if p.suffix.lower() in SUFFIXES))
        raise RosterFileError("not_found", path=path, folder=folder, suggestions=near)
    if path.suffix.lower() not in SUFFIXES:
        raise RosterFileError("wrong_suffix", path=path, suffix=path.suffix)


def check_file(path: Path) -> None:
    """`check_path`, then refuse a file whose content is another format than its extension says."""
    check_path(path)
    actual = sniff(path)
    if actual is not None:
        raise RosterFileError(f"is_{actual}", path=path)


def sniff(path: Path) -> str | None:
    """What the file really is when its content does not fit its extension: "xlsx" (a .csv that is an
    Excel workbook), "xls" (an old Excel file), "html" (a web page, as some systems export "Excel"), "csv"
    (text); None when it fits."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    is_zip = head.startswith(b"PK\x03\x04")
    if path.suffix.lower() == ".csv":
        return "xlsx" if is_zip else "xls" if head.startswith(_OLE) else None
    if is_zip:
        return None
    if head.startswith(_OLE):
        return "xls"
    # the sample may end inside a character of a multi-byte encoding
    text = next((t for t in (decode_text(head[:len(head) - cut]) for cut in range(4)) if t is not None), None)
    if text is None:
        return None
    return "html" if text.lstrip().lower().startswith(("<!doctype html", "<html", "<table", "<?xml")) else "csv"


def _header_key(cell: object) -> str:
    return _clean(cell).lower().replace(" ", "").replace("*", "").replace("＊", "")


def _suggest_column(header: str, layout: Layout) -> str | None:
    """The known column an unknown header probably means (alias table first, then similarity)."""
    key = header.lower().replace(" ", "")
    if key in layout.lookalikes:
        return layout.lookalikes[key]
    aliases = layout.aliases
    close = nearest(key, aliases, limit=1, cutoff=0.6)
    return aliases[close[0]] if close else None


def _map_header(cells: list[object], layout: Layout) -> tuple[dict[str, int], list[UnknownColumn]]:
    mapping: dict[str, int] = {}
    unknown: list[UnknownColumn] = []
    aliases = layout.aliases
    for index, cell in enumerate(cells):
        text = _header_key(cell)
        if not text:
            continue
        key = aliases.get(text)
        if key and key not in mapping:
            mapping[key] = index
        elif not key:
            unknown.append(UnknownColumn(_clean(cell), _suggest_column(text, layout)))
    if layout.key in mapping:
        unknown = [u for u in unknown if _header_key(u.header) not in ROW_COUNTERS]
    return mapping, unknown


def _find_header(rows: list[tuple[int, list[object]]], sheet: str | None, layout: Layout) -> RosterSource:
    """The header among the first rows: the first with every required column (the roster: 编号, 姓名 and 界别),
    else the likeliest for the error."""
    best: RosterSource | None = None
    best_score = 0
    for row_no, cells in rows:
        mapping, unknown = _map_header(cells, layout)
        source = RosterSource(sheet, row_no, mapping, unknown)
        if all(k in mapping for k in layout.required):
            return source
        score = len(mapping) + sum(1 for u in unknown if u.suggestion)
        if score > best_score:
            best, best_score = source, score
    if best is None:
        raise RosterFileError("no_header", rows=HEADER_SCAN_ROWS, sheet=sheet or "")
    return best


def _check_header(source: RosterSource, layout: Layout) -> None:
    """Refuse a header that lacks a required column, or where a look-alike stands in for a known one."""
    names = layout.header_names
    standing_in = [u for u in source.unknown if u.suggestion and u.suggestion not in source.columns]
    missing = [names[k] for k in layout.required if k not in source.columns]
    if standing_in:
        raise RosterFileError(
            "lookalike",
            pairs="、".join(f"{u.header} → {names[u.suggestion]}？" for u in standing_in),  # type: ignore[index] - standing_in have suggestions
            missing=missing,
            sheet=source.sheet or "",
            row=source.header_row,
        )
    if missing:
        raise RosterFileError("missing_columns", columns="、".join(missing), sheet=source.sheet or "",
                              row=source.header_row)


def _csv_rows(path: Path) -> Iterator[list[object]]:
    text = _decode(path.read_bytes())
    yield from csv.reader(io.StringIO(text))


def _numbered(rows: Iterable[Iterable[object]]) -> Iterator[tuple[int, list[object]]]:
    for row_no, cells in enumerate(rows, start=1):
        yield row_no, list(cells)


def _head(rows: Iterator[tuple[int, list[object]]]) -> list[tuple[int, list[object]]]:
    """The first HEADER_SCAN_ROWS non-blank rows (read from the iterator, which goes on after them)."""
    head: list[tuple[int, list[object]]] = []
    for row_no, cells in rows:
        if any(_clean(c) for c in cells):
            head.append((row_no, cells))
        if len(head) >= HEADER_SCAN_ROWS:
            break
    return head


def _body(head: list[tuple[int, list[object]]], source: RosterSource, rest: Iterator[tuple[int, list[object]]]
          ) -> Iterator[tuple[int, dict[str, str]]]:
    after = [(n, c) for n, c in head if n > source.header_row]
    for row_no, cells in _chain(after, rest):
        values = [_clean(c) for c in cells]
        if not any(values):
            continue
        yield row_no, {key: (values[i] if i < len(values) else "") for key, i in source.columns.items()}


def _chain(first: list, rest: Iterator) -> Iterator:
    yield from first
    yield from rest


@contextmanager
def open_roster(path: Path, *, sheet: str | None = None, layout: Layout = ROSTER
                ) -> Iterator[tuple[RosterSource, Iterator[tuple[int, dict[str, str]]]]]:
    """(where the roster — or another file of `layout` — was found, its data rows as canonical column -> cleaned
    text).

    XLSX: the named sheet (name or 1-based number), else the first sheet with a header row.
    """
    check_file(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if sheet is not None:
            raise RosterFileError("sheet_not_xlsx")
        rows = _numbered(_csv_rows(path))
        head = _head(rows)
        if not head:
            raise RosterFileError("empty")
        source = _find_header(head, None, layout)
        _check_header(source, layout)
        yield source, _body(head, source, rows)
        return
    try:
        from openpyxl import load_workbook  # ~0.2 s to import; a CSV roster never needs it

        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file, each in English
        log.debug("openpyxl could not read %s", path, exc_info=True)
        raise RosterFileError("bad_xlsx") from exc
    try:
        names = list(workbook.sheetnames)
        if sheet is not None:
            wanted = sheet.strip()
            if wanted in names:
                chosen = [wanted]
            elif wanted.isdigit() and 1 <= int(wanted) <= len(names):
                chosen = [names[int(wanted) - 1]]
            else:
                raise RosterFileError("no_such_sheet", sheet=wanted, sheets="、".join(names))
        else:
            chosen = names
        first_error: RosterFileError | None = None
        for name in chosen:
            rows = _numbered(workbook[name].iter_rows(values_only=True))
            head = _head(rows)
            if not head:
                first_error = first_error or RosterFileError("empty_sheet", sheet=name)
                continue
            try:
                source = _find_header(head, name, layout)
                _check_header(source, layout)
            except RosterFileError as exc:
                if first_error is None or (exc.code in ("lookalike", "missing_columns")
                                           and first_error.code not in ("lookalike", "missing_columns")):
                    first_error = exc
                continue
            yield source, _body(head, source, rows)
            return
        # a sheet with a recognisable but unusable header explains more than "no header anywhere"
        if first_error is not None and (len(chosen) == 1 or first_error.code in ("lookalike", "missing_columns")):
            raise first_error
        raise RosterFileError("no_sheet_with_header", sheets="、".join(names), rows=HEADER_SCAN_ROWS)
    finally:
        workbook.close()


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
    """Check every row; `sectors` maps every accepted sector name, squashed, to the full name (`sector_names`)."""
    good: list[RosterRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    unknown_sectors: dict[str, list[str]] = {}
    for row_no, values in rows:
        reasons: list[tuple[str, dict]] = []
        number = values.get("number", "")
        name = values.get("name", "")
        if not number:
            reasons.append(("missing_number", {}))
        elif len(number) > 32:
            reasons.append(("number_too_long", {}))
        elif number in seen:
            reasons.append(("duplicate_number", {"number": number, "first": seen[number]}))
        else:
            seen[number] = row_no
        if not name:
            reasons.append(("missing_name", {}))
        elif len(name) > 64:
            reasons.append(("name_too_long", {}))
        sector_raw = values.get("sector", "")
        sector = sectors.get(squash(sector_raw))
        if not sector_raw:
            reasons.append(("missing_sector", {}))
        elif sector is None:
            if sector_raw not in unknown_sectors:
                unknown_sectors[sector_raw] = nearest(sector_raw, sorted(set(sectors.values())))
            reasons.append(("unknown_sector", {"value": sector_raw, "suggestions": unknown_sectors[sector_raw]}))
        level_raw = values.get("level", "")
        level = LEVELS.get(level_raw.lower()) if level_raw else Level.province
        if level is None:
            reasons.append(("unknown_level", {"value": level_raw}))
        phone_raw = values.get("phone", "")
        phone = normalise_phone(phone_raw) if phone_raw else None
        if phone_raw and phone is None:
            reasons.append(("bad_phone", {"value": phone_raw}))
        region_parts = [p.strip() for p in _SPLIT_REGION.split(values.get("region", "")) if p.strip()]
        region = "/".join(region_parts) or None
        if region and (len(region) > 255 or any(len(p) > 64 for p in region_parts)):
            reasons.append(("region_too_long", {}))
        points: list[str] = []
        for point in _SPLIT_POINTS.split(values.get("contact_points", "")):
            point = point.strip()
            if point and point not in points:
                points.append(point)
        if len(points) > MAX_CONTACT_POINTS:
            reasons.append(("too_many_points", {"max": MAX_CONTACT_POINTS, "count": len(points)}))
        if any(len(p) > 128 for p in points):
            reasons.append(("point_too_long", {}))
        group = values.get("group") or None
        if group and len(group) > 64:
            reasons.append(("group_too_long", {}))
        if reasons:
            errors.extend(RowError(row_no, code, detail) for code, detail in reasons)
            continue
        good.append(
            RosterRow(row_no, number, name, sector, group, level, region, phone, tuple(points))  # type: ignore[arg-type] - a row without reasons has every field
        )
    return good, errors


def sector_lookup(connection: Connection) -> tuple[dict[str, str], dict[str, int]]:
    """(any accepted name, squashed -> full name, full name -> id) from the sector table."""
    rows = connection.execute(select(Sector.id, Sector.name, Sector.short_name)).all()
    return sector_names((name, short) for _, name, short in rows), {name: sector_id for sector_id, name, _ in rows}


def _ensure_groups(connection: Connection, names: set[str], report: ImportReport) -> dict[str, int]:
    known = {k: v for k, v in connection.execute(select(ActivityGroup.name, ActivityGroup.id))}
    new = sorted(names - known.keys())
    report.new_groups = len(new)
    if new:
        connection.execute(insert(ActivityGroup), [{"name": n} for n in new])
        known = {k: v for k, v in connection.execute(select(ActivityGroup.name, ActivityGroup.id))}
    return known


def ensure_regions(connection: Connection, paths: set[str], report: ImportReport) -> dict[str, int]:
    """Region path -> id for `paths`, adding the regions (and their parents) not there yet; `report.new_regions`
    says how many (the station import's report too)."""
    known = {k: v for k, v in connection.execute(select(Region.path, Region.id))}
    wanted: set[str] = set()
    for path in paths:
        parts = path.split("/")
        wanted.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    new = sorted(wanted - known.keys(), key=lambda p: p.count("/"))
    report.new_regions = len(new)
    report.region_hints = region_hints(new, known)
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


def region_hints(new: Iterable[str], known: Iterable[str]) -> list[tuple[str, str]]:
    """For each new region directly under a known one (甘肃省/兰洲市 under 甘肃省), the known sibling it most
    looks like, when one does (甘肃省/兰州市): a new region is allowed, a misspelt one splits the office's scopes."""
    known = list(known)
    children: dict[str | None, list[str]] = {}
    for path in known:
        children.setdefault(path.rsplit("/", 1)[0] if "/" in path else None, []).append(path.rsplit("/", 1)[-1])
    hints = []
    for path in new:
        parent = path.rsplit("/", 1)[0] if "/" in path else None
        if parent is not None and parent not in known:
            continue  # under a region that is new too: its parent's hint says it
        close = nearest(path.rsplit("/", 1)[-1], children.get(parent, []), limit=1, cutoff=0.6)
        if close:
            hints.append((path, f"{parent}/{close[0]}" if parent else close[0]))
    return hints


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _apply_points(connection: Connection, changes: dict[str, tuple[str, ...]], now: datetime) -> None:
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


def deactivation_refusal(*, data_rows: int, missing: int, active_before: int, max_share: float, force: bool
                         ) -> str | None:
    """Why `--deactivate-missing` must not run, or None: "no_rows" (a file with a header only would take every
    record), "share" (more than `max_share` of the active records would go, without `force`)."""
    if not missing:
        return None
    if data_rows == 0:
        return "no_rows"
    if active_before and missing / active_before > max_share and not force:
        return "share"
    return None


# the member columns each roster column sets (contact points are a table of their own)
_FIELD_COLUMNS = {
    "group": "activity_group_id",
    "level": "level",
    "region": "region_id",
    "phone": "phone",
}
_COLUMN_KEYS = {"name": "name", "sector_id": "sector", **{v: k for k, v in _FIELD_COLUMNS.items()}}


def import_roster(
    connection: Connection,
    path: Path,
    *,
    dry_run: bool = False,
    deactivate_missing: bool = False,
    sheet: str | None = None,
    max_deactivate_share: float = 0.2,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate the whole file, then apply it in the caller's transaction; bad rows apply nothing.

    A column absent from the file leaves that field of every member as it is; an empty cell in a
    present column clears it (活动组, 地区, 手机, the roster's 联系点) or, for 层级, means 省.
    `--deactivate-missing` is refused (report.refused, nothing applied) for a file without data
    rows, and when more than `max_deactivate_share` of the active members would go, unless `force`.
    """
    report = ImportReport(dry_run=dry_run)
    sector_names, sector_ids = sector_lookup(connection)
    with open_roster(path, sheet=sheet) as (source, row_iter):
        report.source = source
        rows, errors = validate(row_iter, sector_names)
    report.rows = len(rows) + len({e.row for e in errors})
    if errors:
        report.errors = errors
        return report
    present = source.present

    groups = _ensure_groups(connection, {r.group for r in rows if r.group}, report)
    regions = ensure_regions(connection, {r.region for r in rows if r.region}, report)
    sector_by_id = {v: k for k, v in sector_ids.items()}
    group_by_id = {v: k for k, v in groups.items()}
    region_by_id = {v: k for k, v in regions.items()}

    existing: dict[str, tuple] = {
        row.number: row
        for row in connection.execute(
            select(
                Member.id, Member.number, Member.name, Member.sector_id, Member.activity_group_id,
                Member.level, Member.region_id, Member.phone, Member.active,
            )
        )
    }
    report.active_before = sum(1 for m in existing.values() if m.active)
    points_of: dict[int, list[str]] = {}
    if "contact_points" in present:
        for member_id, name in connection.execute(
            select(ContactPoint.member_id, ContactPoint.name)
            .where(ContactPoint.from_roster.is_(True))
            .order_by(ContactPoint.member_id, ContactPoint.position)
        ):
            points_of.setdefault(member_id, []).append(name)

    def shown(key: str, value: object) -> object:
        """A field's value as the clerk knows it (names, not ids)."""
        if key == "sector_id":
            return sector_by_id.get(value, value)  # type: ignore[arg-type] - ids as the row holds them
        if key == "activity_group_id":
            return group_by_id.get(value, "") if value else ""  # type: ignore[arg-type] - ids as the row holds them
        if key == "region_id":
            return region_by_id.get(value, "") if value else ""  # type: ignore[arg-type] - ids as the row holds them
        return "" if value is None else value

    # only the columns the file has are written: an absent column never clears a field
    set_keys = ["name", "sector_id"] + [column for key, column in _FIELD_COLUMNS.items() if key in present]
    now = utcnow()
    inserts: list[dict] = []
    updates: list[dict] = []
    point_changes: dict[str, tuple[str, ...]] = {}
    everything_changed = hashlib.sha256()  # every change, shown or not (ImportReport.digest)
    for row in rows:
        everything = {
            "name": row.name,
            "sector_id": sector_ids[row.sector],
            "activity_group_id": groups.get(row.group) if row.group else None,
            "level": row.level,
            "region_id": regions.get(row.region) if row.region else None,
            "phone": row.phone,
        }
        current = existing.get(row.number)
        if current is None:
            inserts.append({"number": row.number, "active": True, "created_at": now, "updated_at": now, **everything})
            if row.contact_points:
                point_changes[row.number] = row.contact_points
            report.created += 1
            everything_changed.update(repr((row.number, "new", sorted(everything.items()))).encode())
            if len(report.changes) < SHOWN_CHANGES:
                report.changes.append(MemberChange(row.number, row.name, created=True))
            continue
        values = {k: everything[k] for k in set_keys}
        diff = [(_COLUMN_KEYS[k], shown(k, getattr(current, k)), shown(k, v))
                for k, v in values.items() if getattr(current, k) != v]
        if "contact_points" in present:
            old_points = tuple(points_of.get(current.id, []))
            if old_points != row.contact_points:
                point_changes[row.number] = row.contact_points
                diff.append(("contact_points", "；".join(old_points), "；".join(row.contact_points)))
        if not current.active:
            diff.append(("active", False, True))
        if diff:
            if not current.active:
                report.reactivated += 1
            updates.append({"b_id": current.id, "active": True, "updated_at": now, **values})
            report.updated += 1
            everything_changed.update(repr((row.number, diff)).encode())
            if len(report.changes) < SHOWN_CHANGES:
                report.changes.append(MemberChange(row.number, row.name, fields=tuple(diff)))
        else:
            report.unchanged += 1

    in_file = {r.number for r in rows}
    missing = [(m.id, n, m.name) for n, m in existing.items() if n not in in_file and m.active]
    missing.sort(key=lambda m: m[1])
    report.missing = len(missing)
    report.missing_members = [(n, name) for _id, n, name in missing[:SHOWN_CHANGES]]
    everything_changed.update(repr([n for _id, n, _name in missing]).encode())
    report.digest = everything_changed.hexdigest()
    missing_ids = [m[0] for m in missing]
    data_rows = len(rows)
    # at 200,000 rows these hold ~100 MB that nothing below needs
    del rows, existing, points_of, in_file, missing

    if deactivate_missing:
        report.refused = deactivation_refusal(data_rows=data_rows, missing=report.missing,
                                              active_before=report.active_before, max_share=max_deactivate_share,
                                              force=force)
    if dry_run or report.refused:
        report.deactivated = report.missing if deactivate_missing and not report.refused else 0
        return report

    for chunk in _chunks(inserts):
        connection.execute(insert(Member), chunk)
        if progress:
            progress(len(chunk))
    inserts.clear()
    update_stmt = (
        update(Member)
        .where(Member.id == bindparam("b_id"))
        .values({k: bindparam(k) for k in (*set_keys, "active", "updated_at")})
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
