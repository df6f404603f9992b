"""Workstations and studios (委员工作站/工作室): the office's station file, the list, a member's stations,
a station's record for staff.

The import reads the file with the roster's reader (`roster.open_roster` with the `STATIONS` layout) and
follows the roster import's rules: every row checked first, all of it applied or nothing, a column the
file lacks changes nothing, `--deactivate-missing` refused on an empty file or a mass deactivation.
It runs on a blocking connection like the roster import (a CLI bulk job); the queries for the bot and
`stations list` are async.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Subquery, bindparam, delete, func, insert, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import sync_engine
from bot.services.access import number_key
from bot.services.names import nearest
from bot.services.roster import (
    Layout,
    RegisterImport,
    RosterFileError,
    RowError,
    check_file,
    deactivation_refusal,
    ensure_regions,
    open_roster,
)
from bot.services.roster_import import ImportText, ImportWords, render_register_import
from bot.services.rules import Period
from bot.services.scopes import Scope, member_in_scopes
from bot.services.stats import DrillDown, live_in, within
from bot.texts import cli_text
from models import (
    Activity,
    Case,
    Member,
    Reception,
    ReceptionCheckin,
    ReceptionStatus,
    Region,
    ScopeKind,
    Station,
    StationKind,
    StationMember,
    utcnow,
)

SHOWN_CHANGES = 20
MAX_ERRORS = 200

# canonical column -> accepted headers (compared after lower-casing and removing spaces); the first is its name
COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("编号", "站点编号", "工作站编号", "code"),
    "name": ("名称", "站点名称", "工作站名称", "name"),
    "kind": ("类型", "站点类型", "kind", "type"),
    "address": ("地址", "详细地址", "address"),
    "region": ("地区", "区域", "region"),
    "latitude": ("纬度", "latitude", "lat"),
    "longitude": ("经度", "longitude", "lng", "lon"),
    "members": ("驻站委员", "驻站委员编号", "members"),
    "phone": ("联系电话", "电话", "phone"),
    "site": ("场地", "site"),
    "sign": ("标识", "sign"),
    "rules": ("制度", "rules"),
    "feature": ("特色", "feature"),
    "archive": ("档案", "archive"),
    "results": ("成果", "results"),
}
REQUIRED = ("code", "name", "kind")
# headers that look like a known column but are not taken silently (as the roster's LOOKALIKES)
LOOKALIKES: dict[str, str] = {
    "序号": "code", "站名": "name", "工作站": "name", "工作室": "name",
    "所在地区": "region", "所属地区": "region", "行政区划": "region",
    "委员": "members", "委员编号": "members", "驻站委员姓名": "members",
    "手机": "phone", "手机号": "phone", "电话号码": "phone", "联系方式": "phone",
    "维度": "latitude", "经纬度": "latitude",
}
STATIONS = Layout("stations", COLUMNS, REQUIRED, LOOKALIKES, "code")
HEADER_NAMES = STATIONS.header_names
SIX = ("site", "sign", "rules", "feature", "archive", "results")  # the "六有", in the file's order
KINDS: dict[str, StationKind] = {
    "工作站": StationKind.workstation, "委员工作站": StationKind.workstation, "政协委员工作站": StationKind.workstation,
    "workstation": StationKind.workstation,
    "工作室": StationKind.studio, "委员工作室": StationKind.studio, "政协委员工作室": StationKind.studio,
    "studio": StationKind.studio,
}
LIMITS = {"code": 32, "name": 128, "address": 255, "phone": 32, **{k: 128 for k in SIX}}
_SPLIT_MEMBERS = re.compile(r"[;；、,，\s]+")
_SPLIT_REGION = re.compile(r"[/／\\]+")
_PHONE = re.compile(r"^[0-9+\-－—()（）\s转/、,，]{5,32}$")
# the Station columns the file's columns set, besides code (the key) and the members on duty
_PLAIN = ("name", "kind", "address", "latitude", "longitude", "phone", *SIX)


@dataclass
class StationRow:
    row: int
    code: str
    values: dict[str, object]  # Station column -> value, only the columns the file has (region: its path)
    members: tuple[str, ...] | None  # the members' numbers as stored; None when the file has no 驻站委员


@dataclass(frozen=True)
class StationChange:
    """What an import does to one station: created, or these fields (column key, old, new)."""

    code: str
    name: str
    created: bool = False
    fields: tuple[tuple[str, object, object], ...] = ()


@dataclass
class StationImportReport(RegisterImport):
    changes: list[StationChange] = field(default_factory=list)  # the first SHOWN_CHANGES
    missing_stations: list[tuple[str, str]] = field(default_factory=list)  # the first SHOWN_CHANGES


def kind_of(text: str) -> StationKind | None:
    """类型 as written in a file or typed (工作站/工作室, with or without 委员), or None."""
    return KINDS.get(text.strip().lower())


def _coordinate(raw: str, limit: float) -> float | None:
    try:
        value = float(raw.replace("°", "").strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and -limit <= value <= limit else None


def validate(rows: Iterable[tuple[int, dict[str, str]]], present: frozenset[str], members: dict[str, str]
             ) -> tuple[list[StationRow], list[RowError]]:
    """Check every row; `members` maps each stored member number, as compared (`number_key`), to itself."""
    good: list[StationRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for row_no, cells in rows:
        reasons: list[tuple[str, dict]] = []
        values: dict[str, object] = {}
        code = cells.get("code", "")
        if not code:
            reasons.append(("station_row_missing_code", {}))
        elif len(code) > LIMITS["code"]:
            reasons.append(("station_row_too_long", {"column": HEADER_NAMES["code"], "max": LIMITS["code"]}))
        elif code in seen:
            reasons.append(("station_row_duplicate_code", {"code": code, "first": seen[code]}))
        else:
            seen[code] = row_no
        if not cells.get("name"):
            reasons.append(("station_row_missing_name", {}))
        kind_raw = cells.get("kind", "")
        kind = kind_of(kind_raw)
        if not kind_raw:
            reasons.append(("station_row_missing_kind", {}))
        elif kind is None:
            reasons.append(("station_row_unknown_kind", {"value": kind_raw}))
        values["kind"] = kind
        for key in ("name", "address", "phone", *SIX):
            if key in present:
                text = cells.get(key, "")
                if len(text) > LIMITS[key]:
                    reasons.append(("station_row_too_long", {"column": HEADER_NAMES[key], "max": LIMITS[key]}))
                values[key] = text or None
        phone = cells.get("phone", "")
        if phone and len(phone) <= LIMITS["phone"] and not _PHONE.match(phone):
            reasons.append(("station_row_bad_phone", {"value": phone}))
        if "region" in present:
            parts = [p.strip() for p in _SPLIT_REGION.split(cells.get("region", "")) if p.strip()]
            region = "/".join(parts) or None
            if region and (len(region) > 255 or any(len(p) > 64 for p in parts)):
                reasons.append(("row_region_too_long", {}))
            values["region"] = region
        for key, limit in (("latitude", 90.0), ("longitude", 180.0)):
            if key in present:
                raw = cells.get(key, "")
                value = _coordinate(raw, limit) if raw else None
                if raw and value is None:
                    reasons.append((f"station_row_bad_{key}", {"value": raw}))
                values[key] = value
        if "latitude" in present and bool(cells.get("latitude")) != bool(cells.get("longitude")):
            reasons.append(("station_row_half_coordinates", {}))
        numbers: tuple[str, ...] | None = None
        if "members" in present:
            typed = [p for p in _SPLIT_MEMBERS.split(cells.get("members", "")) if p]
            unknown = [p for p in typed if number_key(p) not in members]
            if unknown:
                hints = {u: nearest(number_key(u), members, limit=1) for u in unknown}
                named = "、".join(u + (cli_text("station_member_hint", number=members[hints[u][0]]) if hints[u] else "")
                                 for u in unknown)
                reasons.append(("station_row_unknown_members", {"numbers": named}))
            numbers = tuple(dict.fromkeys(members[number_key(p)] for p in typed if number_key(p) in members))
        if reasons:
            errors.extend(RowError(row_no, code, detail) for code, detail in reasons)
            continue
        good.append(StationRow(row_no, code, values, numbers))
    return good, errors


def _region_paths(connection: Connection) -> dict[int, str]:
    return dict(connection.execute(select(Region.id, Region.path)).all())


def import_stations(connection: Connection, path: Path, *, dry_run: bool = False, deactivate_missing: bool = False,
                    sheet: str | None = None, max_deactivate_share: float = 0.2, force: bool = False
                    ) -> StationImportReport:
    """Validate the whole file, then apply it in the caller's transaction; bad rows apply nothing.

    A column absent from the file leaves that field of every station as it is; an empty cell in a present
    column clears it (a station with an empty 驻站委员 has no members on duty). Stations are never deleted:
    `deactivate_missing` marks those the file lacks inactive, refused as the roster's is."""
    report = StationImportReport(dry_run=dry_run)
    members = {number_key(n): n for n in connection.execute(select(Member.number)).scalars()}
    with open_roster(path, sheet=sheet, layout=STATIONS) as (source, row_iter):
        report.source = source
        if ("latitude" in source.columns) != ("longitude" in source.columns):
            raise RosterFileError("missing_columns", sheet=source.sheet or "", row=source.header_row,
                                  columns=HEADER_NAMES["longitude" if "latitude" in source.columns else "latitude"])
        rows, errors = validate(row_iter, source.present, members)
    report.rows = len(rows) + len({e.row for e in errors})
    if errors:
        report.errors = errors
        return report
    present = source.present

    regions = ensure_regions(connection, {r.values["region"] for r in rows if r.values.get("region")}, report)  # type: ignore[misc] - paths
    region_paths = {v: k for k, v in regions.items()}
    member_ids = dict(connection.execute(select(Member.number, Member.id)).all())
    member_numbers = {v: k for k, v in member_ids.items()}
    existing = {s.code: s for s in connection.execute(select(Station)).all()}
    report.active_before = sum(1 for s in existing.values() if s.active)
    on_duty: dict[int, tuple[str, ...]] = {}
    if "members" in present:
        for station_id, member_id in connection.execute(
                select(StationMember.station_id, StationMember.member_id).order_by(StationMember.station_id,
                                                                                  StationMember.position)):
            on_duty[station_id] = (*on_duty.get(station_id, ()), member_numbers[member_id])

    columns = [c for c in _PLAIN if c in present] + (["region_id"] if "region" in present else [])
    now = utcnow()
    inserts: list[dict] = []
    updates: list[dict] = []
    duty: dict[str, tuple[str, ...]] = {}  # code -> the members on duty it gets
    for row in rows:
        values = {k: row.values[k] for k in _PLAIN if k in row.values}
        if "region" in present:
            region = row.values.get("region")
            values["region_id"] = regions[region] if region else None  # type: ignore[index] - a path
        current = existing.get(row.code)
        if current is None:
            inserts.append({"code": row.code, "active": True, "created_at": now, "updated_at": now, **values})
            if row.members:
                duty[row.code] = row.members
            report.created += 1
            if len(report.changes) < SHOWN_CHANGES:
                report.changes.append(StationChange(row.code, str(values["name"]), created=True))
            continue
        diff: list[tuple[str, object, object]] = []
        for column in columns:
            old, new = getattr(current, column), values[column]
            if old != new:
                key = "region" if column == "region_id" else column
                if key == "region":
                    old, new = region_paths.get(old, "") if old else "", region_paths.get(new, "") if new else ""  # type: ignore[arg-type] - ids
                diff.append((key, old, new))
        if row.members is not None and on_duty.get(current.id, ()) != row.members:
            duty[row.code] = row.members
            diff.append(("members", "；".join(on_duty.get(current.id, ())), "；".join(row.members)))
        if not current.active:
            diff.append(("active", False, True))
            report.reactivated += 1
        if diff:
            updates.append({"b_id": current.id, "active": True, "updated_at": now, **{c: values[c] for c in columns}})
            report.updated += 1
            if len(report.changes) < SHOWN_CHANGES:
                report.changes.append(StationChange(row.code, str(values["name"]), fields=tuple(diff)))
        else:
            report.unchanged += 1

    in_file = {r.code for r in rows}
    missing = sorted((s for c, s in existing.items() if c not in in_file and s.active), key=lambda s: s.code)
    report.missing = len(missing)
    report.missing_stations = [(s.code, s.name) for s in missing[:SHOWN_CHANGES]]
    if deactivate_missing:
        report.refused = deactivation_refusal(data_rows=len(rows), missing=report.missing,
                                              active_before=report.active_before, max_share=max_deactivate_share,
                                              force=force)
    if dry_run or report.refused:
        report.deactivated = report.missing if deactivate_missing and not report.refused else 0
        return report

    if inserts:
        connection.execute(insert(Station), inserts)
    if updates:
        connection.execute(update(Station).where(Station.id == bindparam("b_id"))
                           .values({k: bindparam(k) for k in (*columns, "active", "updated_at")}), updates)
    if duty:
        ids = dict(connection.execute(select(Station.code, Station.id).where(Station.code.in_(list(duty)))).all())
        connection.execute(delete(StationMember).where(StationMember.station_id.in_(list(ids.values()))))
        pairs = [{"station_id": ids[code], "member_id": member_ids[number], "position": position, "created_at": now}
                 for code, numbers in duty.items() for position, number in enumerate(numbers)]
        if pairs:
            connection.execute(insert(StationMember), pairs)
    if deactivate_missing and missing:
        connection.execute(update(Station).where(Station.id.in_([s.id for s in missing]))
                           .values(active=False, updated_at=now))
        report.deactivated = len(missing)
    return report


def run_station_import(database_url: str, path: Path, *, apply: bool, deactivate_missing: bool = False,
                       sheet: str | None = None, max_deactivate_share: float = 0.2, force: bool = False
                       ) -> StationImportReport:
    """Check the path, import in one transaction, commit only a real run of a good file that was not refused.

    Raises `RosterFileError` for a file that cannot be read as a station file (nothing written)."""
    check_file(path)
    engine = sync_engine(database_url)
    try:
        with engine.begin() as connection:
            report = import_stations(connection, path, dry_run=not apply, deactivate_missing=deactivate_missing,
                                     sheet=sheet, max_deactivate_share=max_deactivate_share, force=force)
            if not apply or not report.ok:
                connection.rollback()
        return report
    finally:
        engine.dispose()


# --- what the clerk reads ------------------------------------------------------------------------------


def column_name(key: str) -> str:
    return cli_text("field_active") if key == "active" else HEADER_NAMES.get(key, key)


def shown(key: str, value: object) -> str:
    if key == "active":
        return cli_text("station_state_active") if value else cli_text("station_state_inactive")
    if isinstance(value, StationKind):
        return cli_text(f"station_kind_{value.value}")
    return str(value) if value not in (None, "") else cli_text("empty_value")


STATION_WORDS = ImportWords(
    optional=tuple(k for k in COLUMNS if k not in REQUIRED), column_name=column_name, shown=shown,
    row_reason=lambda e: cli_text(e.code, **e.values), absent="stations_absent_columns", rows_bad="stations_rows_bad",
    change_more="stations_change_more", missing_header="stations_missing_header", missing_more="stations_missing_more",
    refuse_no_rows="stations_refuse_no_rows", refuse_share="stations_refuse_share",
    deactivated="stations_summary_deactivated", summary="stations_import_summary")


def render_station_import(report: StationImportReport, *, dry_run: bool, deactivate_missing: bool,
                          max_deactivate_share: float, max_errors: int = MAX_ERRORS) -> ImportText:
    """The import's outcome as the clerk reads it: `roster_import.render_register_import` in the stations' words."""
    return render_register_import(
        report, STATION_WORDS, changes=[(c.code, c.name, c.created, c.fields) for c in report.changes],
        missing=report.missing_stations, summary={}, dry_run=dry_run, deactivate_missing=deactivate_missing,
        max_deactivate_share=max_deactivate_share, max_errors=max_errors)


# --- the stations, as the bot and `stations list` show them ----------------------------------------------


@dataclass(frozen=True)
class OnDuty:
    member_id: int
    number: str
    name: str
    active: bool


@dataclass(frozen=True)
class StationView:
    """A station with what its record shows: region path, members on duty, the 六有."""

    id: int
    code: str
    name: str
    kind: StationKind
    address: str | None
    region: str | None
    latitude: float | None
    longitude: float | None
    phone: str | None
    six: tuple[str | None, ...]  # SIX's values
    active: bool
    members: tuple[OnDuty, ...]

    @property
    def six_done(self) -> int:
        """How many of the 六有 the station has (a cell other than empty or 无)."""
        return sum(1 for value in self.six if has(value))


def has(value: str | None) -> bool:
    """A 六有 cell says the station has it: anything but empty, 无, 否, 没有."""
    return bool(value) and value.strip() not in ("无", "否", "没有", "×", "-", "—")  # type: ignore[union-attr] - bool() checked


def station_in_scopes(scopes: Sequence[Scope] | None):  # noqa: ANN201 - a WHERE condition on Station, or None
    """A WHERE condition on `Station` for a coordinator's scopes: its region is in a region scope, or a member on
    duty there is in scope (as `scopes.case_in_scopes` for cases); None means everything (admins)."""
    if scopes is None:
        return None
    members = select(Member.id).where(member_in_scopes(scopes))
    conditions = [Station.id.in_(select(StationMember.station_id).where(StationMember.member_id.in_(members)))]
    conditions += [Station.region_id.in_(select(Region.id).where(or_(
        Region.path == s.value, Region.path.startswith(s.value + "/")))) for s in scopes if s.kind is ScopeKind.region]
    return or_(*conditions)


async def _views(session: AsyncSession, query) -> list[StationView]:  # noqa: ANN001 - a Select of Station ids
    stations = (await session.exec(
        select(Station, Region.path).outerjoin(Region, Region.id == Station.region_id)
        .where(Station.id.in_(query)).order_by(Station.code))).all()
    ids = [s.id for s, _ in stations]
    duty: dict[int, list[OnDuty]] = {}
    if ids:
        rows = await session.exec(
            select(StationMember.station_id, Member.id, Member.number, Member.name, Member.active)
            .join(Member, Member.id == StationMember.member_id)
            .where(StationMember.station_id.in_(ids)).order_by(StationMember.station_id, StationMember.position))
        for station_id, *member in rows.all():
            duty.setdefault(station_id, []).append(OnDuty(*member))
    return [StationView(s.id, s.code, s.name, s.kind, s.address, path, s.latitude, s.longitude, s.phone,  # type: ignore[arg-type] - stored rows have ids
                        tuple(getattr(s, k) for k in SIX), s.active, tuple(duty.get(s.id, ())))  # type: ignore[arg-type]
            for s, path in stations]


def region_condition(text: str):  # noqa: ANN201 - a WHERE condition on Station
    """`--region`: the stations of a region path and below (甘肃省/兰州市), or of every region of that name and
    below (兰州市)."""
    path = "/".join(p.strip() for p in _SPLIT_REGION.split(text) if p.strip())
    named = or_(Region.path == path, Region.path.startswith(path + "/", autoescape=True),
                Region.path.endswith("/" + path, autoescape=True),
                Region.path.contains("/" + path + "/", autoescape=True))
    return Station.region_id.in_(select(Region.id).where(named))


async def list_stations(session: AsyncSession, *, region: str | None = None, kind: StationKind | None = None,
                        member: str | None = None, inactive: bool = False,
                        scopes: Sequence[Scope] | None = None) -> list[StationView]:
    """The stations (active ones; only inactive ones with `inactive`), by 编号, narrowed by the filters given."""
    query = select(Station.id).where(Station.active.is_(not inactive))
    if region:
        query = query.where(region_condition(region))
    if kind is not None:
        query = query.where(Station.kind == kind)
    if member:
        on_duty = select(StationMember.station_id).join(Member, Member.id == StationMember.member_id).where(
            func.upper(func.replace(Member.number, " ", "")) == number_key(member))
        query = query.where(Station.id.in_(on_duty))
    condition = station_in_scopes(scopes)
    if condition is not None:
        query = query.where(condition)
    return await _views(session, query)


async def member_stations(session: AsyncSession, member_id: int) -> list[StationView]:
    """The active stations a member is on duty at."""
    query = select(StationMember.station_id).join(Station, Station.id == StationMember.station_id).where(
        StationMember.member_id == member_id, Station.active.is_(True))
    return await _views(session, query)


async def find_stations(session: AsyncSession, text: str, *, scopes: Sequence[Scope] | None,
                        limit: int = 8) -> list[StationView]:
    """`/station 名称或编号`: the station of that 编号 (any case), else those whose name contains the text; inactive
    ones too (a record is still a record), within the scopes (None: everything)."""
    text = " ".join(text.split())
    condition = station_in_scopes(scopes)
    exact = select(Station.id).where(func.upper(Station.code) == text.upper())
    if condition is not None:
        exact = exact.where(condition)
    found = await _views(session, exact)
    if found:
        return found
    like = select(Station.id).where(Station.name.contains(text, autoescape=True)).order_by(
        Station.active.desc(), Station.code).limit(limit + 1)
    if condition is not None:
        like = like.where(condition)
    return await _views(session, like)


async def station_view(session: AsyncSession, station_id: int, *, scopes: Sequence[Scope] | None
                       ) -> StationView | None:
    """One station by id, if the scopes cover it."""
    query = select(Station.id).where(Station.id == station_id)
    condition = station_in_scopes(scopes)
    if condition is not None:
        query = query.where(condition)
    found = await _views(session, query)
    return found[0] if found else None


@dataclass(frozen=True)
class LastReception:
    id: int
    starts_at: datetime
    ends_at: datetime
    topic: str
    status: ReceptionStatus
    member_name: str
    checkins: int


async def last_reception(session: AsyncSession, station_id: int, *, now: datetime) -> LastReception | None:
    """The station's latest reception day that has begun (held or not, cancelled ones left out)."""
    row = (await session.exec(
        select(Reception, Member.name).join(Member, Member.id == Reception.member_id)
        .where(Reception.station_id == station_id, Reception.starts_at <= now,
               Reception.status != ReceptionStatus.cancelled)
        .order_by(Reception.starts_at.desc()).limit(1))).first()
    if row is None:
        return None
    reception, name = row
    checkins = (await session.exec(select(func.count()).select_from(ReceptionCheckin).where(
        ReceptionCheckin.reception_id == reception.id))).scalar_one()
    return LastReception(reception.id, reception.starts_at, reception.ends_at, reception.topic, reception.status,
                         name, checkins)


# --- the places in the statistics ------------------------------------------------------------------------


async def verified_people(session: AsyncSession, *, period: Period, scopes: Sequence[Scope] | None,
                          drill: DrillDown | None = None) -> int:
    """扫码核实人次: of the period's 人次 (active members in scope, as the statistics count them), those checked in at
    the door. Only an activity made from a reception day has any, so the index on `reception_id` bounds the read."""
    query = (
        select(func.coalesce(func.sum(Activity.verified_people), 0))
        .select_from(Activity)
        .join(Member, Member.id == Activity.member_id)
        .where(Activity.reception_id.is_not(None), live_in(period), Member.active.is_(True))
    )
    return int((await session.exec(within(query, scopes, drill))).scalar_one())


@dataclass(frozen=True)
class StationStat:
    """One station in a period: its reception days held, their check-ins and the cases raised there."""

    code: str
    name: str
    kind: StationKind
    region: str | None
    members: int  # on duty
    six_done: int
    receptions: int
    checkins: int
    cases: int


async def has_stations(session: AsyncSession, *, scopes: Sequence[Scope] | None) -> bool:
    """Whether any active station is in the scopes (None: anywhere)."""
    query = select(Station.id).where(Station.active.is_(True)).limit(1)
    condition = station_in_scopes(scopes)
    if condition is not None:
        query = query.where(condition)
    return (await session.exec(query)).first() is not None


async def _held_per_station(session: AsyncSession, *, start: datetime, end: datetime, now: datetime,
                            member_id: int | None = None) -> tuple[Subquery, dict[int, int], dict[int, int]]:
    """The reception days held in [start, end) (begun in the window, over by `now`, not cancelled; only the
    member's when `member_id` is given): the subquery (id, station_id), and per station the days and their
    check-ins."""
    query = (select(Reception.id, Reception.station_id)
             .where(Reception.starts_at >= start, Reception.starts_at < end, Reception.ends_at <= now,
                    Reception.status != ReceptionStatus.cancelled))
    if member_id is not None:
        query = query.where(Reception.member_id == member_id)
    held = query.subquery()
    receptions = dict((await session.exec(
        select(held.c.station_id, func.count()).group_by(held.c.station_id))).all())
    checkins = dict((await session.exec(
        select(held.c.station_id, func.count(ReceptionCheckin.id))
        .join(ReceptionCheckin, ReceptionCheckin.reception_id == held.c.id).group_by(held.c.station_id))).all())
    return held, receptions, checkins


async def station_stats(session: AsyncSession, *, start: datetime, end: datetime, now: datetime,
                        scopes: Sequence[Scope] | None) -> list[StationStat]:
    """The active stations in scope, by 编号, with the reception days held in [start, end) (begun in the window,
    over by `now`, not cancelled), their check-ins and the cases raised at them."""
    views = await list_stations(session, scopes=scopes)
    held, receptions, checkins = await _held_per_station(session, start=start, end=end, now=now)
    cases = dict((await session.exec(
        select(held.c.station_id, func.count(Case.id))
        .join(Case, Case.reception_id == held.c.id).group_by(held.c.station_id))).all())
    return [StationStat(v.code, v.name, v.kind, v.region, len(v.members), v.six_done, receptions.get(v.id, 0),
                        checkins.get(v.id, 0), cases.get(v.id, 0)) for v in views]


@dataclass(frozen=True)
class MemberStation:
    """A station in a member's year: on duty there now, or where they held a reception day in the window."""

    code: str
    name: str
    kind: StationKind
    on_duty: bool
    receptions: int  # the member's reception days held there (as `station_stats` counts a day held)
    checkins: int


async def member_station_year(session: AsyncSession, *, member_id: int, start: datetime, end: datetime,
                              now: datetime) -> list[MemberStation]:
    """The member's stations for the duty report, by 编号: the active ones they are on duty at, and any where they
    held a reception day in [start, end) (begun in the window, over by `now`, not cancelled), with those days and
    their check-ins."""
    _, receptions, checkins = await _held_per_station(session, start=start, end=end, now=now, member_id=member_id)
    on_duty = set((await session.exec(
        select(StationMember.station_id).join(Station, Station.id == StationMember.station_id)
        .where(StationMember.member_id == member_id, Station.active.is_(True)))).scalars().all())
    stations = (await session.exec(
        select(Station).where(Station.id.in_(on_duty | set(receptions))).order_by(Station.code))).scalars().all()
    return [MemberStation(s.code, s.name, s.kind, s.id in on_duty, int(receptions.get(s.id, 0)),
                          int(checkins.get(s.id, 0))) for s in stations]
