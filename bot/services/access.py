"""Invite codes, binding a Telegram account to a member, coordinator grants and the names they take,
the roster's listings. No Telegram here (who someone is, from all of it: `identity.py`)."""

from __future__ import annotations

import enum
import hashlib
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import dialect_insert, dialect_of
from bot.services.names import nearest
from bot.services.rules import natural_key
from bot.services.scopes import Committee, Scope, member_in_scopes
from bot.services.sectors import accepted_names, other_names, sector_names, squash
from models import (
    ActivityGroup,
    AuditEvent,
    BindAttempt,
    ContactPoint,
    InviteCode,
    Level,
    Member,
    Region,
    Resident,
    RoleGrant,
    ScopeKind,
    Sector,
    utcnow,
)

# 31 characters that cannot be mistaken for one another when read aloud or off a screen
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16  # 31**16 ≈ 2**79


class NotFound(Exception):
    """A member, group, sector or region named by the caller does not exist; `suggestions` are near names."""

    def __init__(self, value: str, suggestions: list[str] | None = None) -> None:
        super().__init__(value)
        self.value = value
        self.suggestions = suggestions or []


class Ambiguous(Exception):
    """A short name (e.g. a region's last part) matches several; `candidates` lists them."""

    def __init__(self, value: str, candidates: list[str]) -> None:
        super().__init__(value)
        self.value = value
        self.candidates = candidates


class NumbersRefused(Exception):
    """Members named by 编号 that a command cannot take: each number, as typed or as found, with why
    ("missing": no such 编号, "inactive", "bound": already bound to Telegram)."""

    def __init__(self, reasons: list[tuple[str, str]]) -> None:
        super().__init__("、".join(number for number, _ in reasons))
        self.reasons = reasons


def number_key(text: str) -> str:
    """A 编号 as compared: full-width characters as ASCII, without spaces, upper case (gs 0001 is GS0001)."""
    return "".join(unicodedata.normalize("NFKC", text).split()).upper()


def stored_number_key() -> ColumnElement[str]:
    """`number_key` of Member.number in SQL (the roster keeps a 编号's inner spaces as single ASCII spaces)."""
    return func.upper(func.replace(Member.number, " ", ""))


async def members_numbered(session: AsyncSession, typed: Iterable[str]) -> tuple[list[Member], list[str]]:
    """The members (active or not) the 编号 typed name, by 编号, each once; and each text typed that names none.

    Numbers match in any case and without spaces; where two members differ only so, the one typed exactly."""
    wanted = {number_key(text): text.strip() for text in typed if number_key(text)}
    found: dict[str, Member] = {}
    if wanted:
        for member in (await session.exec(select(Member).where(stored_number_key().in_(list(wanted))))).all():
            key = number_key(member.number)
            if key not in found or member.number == wanted[key]:
                found[key] = member
    missing = [text for key, text in wanted.items() if key not in found]
    return sorted(found.values(), key=lambda m: m.number), missing


class CodesOutstanding(Exception):
    """Members named for new codes still hold unexpired ones; replacing them needs `replace=True`."""

    def __init__(self, numbers: list[str], codes: int) -> None:
        super().__init__("、".join(numbers))
        self.numbers = numbers
        self.codes = codes


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def hash_code(code: str) -> str:
    """Codes carry ~79 random bits, so a plain SHA-256 cannot be reversed by guessing."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvite:
    number: str
    name: str
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class InviteBatch:
    """What `issue_invites` did in the session (nothing is committed yet)."""

    issued: list[IssuedInvite]
    replaced: int = 0  # unexpired open codes revoked because replace=True
    replaced_members: int = 0
    skipped: list[str] = field(default_factory=list)  # holders of an unexpired code, left alone


async def issue_invites(
    session: AsyncSession,
    *,
    ttl_days: int,
    numbers: list[str] | None = None,
    replace: bool = False,
    now: datetime | None = None,
    actor: str = "cli",
) -> InviteBatch:
    """New codes for active, unbound members (or those named), in the session; the caller commits.

    A member who still holds an unexpired code keeps it: without `replace` they are skipped (or,
    when named in `numbers`, CodesOutstanding is raised); with `replace` their open codes are revoked.
    Numbers are matched as `members_numbered` does; one that names no active, unbound member raises
    NumbersRefused.
    """
    now = now or utcnow()
    if numbers:
        members, missing = await members_numbered(session, numbers)
        refused = [(n, "missing") for n in missing] + [
            (m.number, "inactive" if not m.active else "bound") for m in members
            if not m.active or m.telegram_id is not None]
        if refused:
            raise NumbersRefused(refused)
    else:
        members = list((await session.exec(
            select(Member).where(Member.active.is_(True), Member.telegram_id.is_(None)).order_by(Member.number)
        )).all())
    held: dict[int, int] = {}
    member_ids = [m.id for m in members]
    for start in range(0, len(member_ids), 5000):
        rows = await session.exec(
            select(InviteCode.member_id, func.count())
            .where(
                InviteCode.member_id.in_(member_ids[start : start + 5000]),
                InviteCode.used_at.is_(None),
                InviteCode.revoked_at.is_(None),
                InviteCode.expires_at > now,
            )
            .group_by(InviteCode.member_id)
        )
        held.update(dict(rows.all()))
    holders = [m for m in members if m.id in held]
    skipped: list[str] = []
    if holders and not replace:
        if numbers:
            raise CodesOutstanding([m.number for m in holders], sum(held.values()))
        skipped = [m.number for m in holders]
        members = [m for m in members if m.id not in held]
    replaced = sum(held[m.id] for m in members if m.id in held)
    target_ids = [m.id for m in members]
    for start in range(0, len(target_ids), 5000):
        await session.exec(
            update(InviteCode)
            .where(
                InviteCode.member_id.in_(target_ids[start : start + 5000]),
                InviteCode.used_at.is_(None),
                InviteCode.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    expires = now + timedelta(days=ttl_days)
    issued: list[IssuedInvite] = []
    for member in members:
        code = new_code()
        session.add(InviteCode(member_id=member.id, code_hash=hash_code(code), created_at=now, expires_at=expires))
        issued.append(IssuedInvite(member.number, member.name, code, expires))
    if issued:
        session.add(AuditEvent(actor=actor, action="member.invites", entity="member",
                               entity_id=issued[0].number if len(issued) == 1 else None,
                               detail=f"issued={len(issued)} replaced={replaced}"))
    return InviteBatch(issued, replaced, sum(1 for m in members if m.id in held), skipped)


@dataclass(frozen=True)
class RevokeResult:
    """What `revoke_member` did: the member, the account it unbound (if any) and the codes it revoked."""

    member: Member
    unbound_telegram_id: int | None
    codes_revoked: int

    @property
    def changed(self) -> bool:
        return self.unbound_telegram_id is not None or self.codes_revoked > 0


async def revoke_member(session: AsyncSession, number: str, *, actor: str = "cli", now: datetime | None = None
                        ) -> RevokeResult:
    """Unbind a member's Telegram account (if bound) and invalidate their open codes; the caller commits.
    The number is matched as `members_numbered` does."""
    named, _ = await members_numbered(session, [number])
    if not named:
        raise NotFound(number)
    member = named[0]
    now = now or utcnow()
    previous = member.telegram_id
    revoked = await session.exec(
        update(InviteCode)
        .where(InviteCode.member_id == member.id, InviteCode.used_at.is_(None), InviteCode.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    result = RevokeResult(member, previous, revoked.rowcount or 0)
    if previous is not None:
        member.telegram_id = None
        member.bound_at = None
        member.updated_at = now
        session.add(member)
    if result.changed:
        session.add(
            AuditEvent(actor=actor, action="member.revoke", entity="member", entity_id=member.number,
                       detail=f"telegram_id={previous} codes={result.codes_revoked}")
        )
    return result


class BindOutcome(str, enum.Enum):
    bound = "bound"
    already_bound = "already_bound"  # this account is this member already
    invalid = "invalid"
    expired = "expired"
    used = "used"
    locked = "locked"
    account_taken = "account_taken"  # this Telegram account is another member's
    member_taken = "member_taken"  # the member is bound to another account


@dataclass(frozen=True)
class BindResult:
    outcome: BindOutcome
    member_id: int | None = None


def bind_attempt_window(lockout: timedelta) -> timedelta:
    """How far back failed attempts matter: a lock-out can start up to one window before it ends."""
    return 2 * lockout


async def is_locked(
    session: AsyncSession, telegram_id: int, *, max_failures: int, lockout: timedelta, now: datetime
) -> bool:
    """Locked for `lockout` after the failure that made `max_failures` within one `lockout` window."""
    query = (
        select(BindAttempt.attempted_at)
        .where(BindAttempt.telegram_id == telegram_id, BindAttempt.attempted_at >= now - bind_attempt_window(lockout))
        .order_by(BindAttempt.attempted_at)
    )
    times = list((await session.exec(query)).all())
    for first, last in zip(times, times[max_failures - 1 :], strict=False):
        if last - first <= lockout and last > now - lockout:
            return True
    return False


async def purge_bind_attempts(session: AsyncSession, *, lockout: timedelta, now: datetime) -> int:
    """Drop failed attempts too old to matter for any lock-out; returns how many (the caller commits)."""
    result = await session.exec(
        delete(BindAttempt).where(BindAttempt.attempted_at < now - bind_attempt_window(lockout))
    )
    return result.rowcount


async def bind_member(
    session: AsyncSession,
    *,
    telegram_id: int,
    code: str,
    max_failures: int,
    lockout: timedelta,
    now: datetime | None = None,
) -> BindResult:
    """Bind `telegram_id` to the member whose code this is; failures count toward a lock-out.

    Stages everything in the caller's transaction (the binding, or the failed attempt);
    the caller commits. Two concurrent uses of one code bind once: the code is claimed
    with a conditional UPDATE. One account bound to two members at once is refused by
    the unique constraint at flush time; then the caller's transaction is rolled back.
    """
    now = now or utcnow()
    own = (await session.exec(select(Member).where(Member.telegram_id == telegram_id))).first()
    if await is_locked(session, telegram_id, max_failures=max_failures, lockout=lockout, now=now):
        return BindResult(BindOutcome.locked)
    invite = (await session.exec(select(InviteCode).where(InviteCode.code_hash == hash_code(code)))).first()
    if own is not None and (invite is None or invite.member_id != own.id):
        return BindResult(BindOutcome.account_taken, own.id)
    if own is not None:
        return BindResult(BindOutcome.already_bound, own.id)

    def fail(outcome: BindOutcome) -> BindResult:
        session.add(BindAttempt(telegram_id=telegram_id, attempted_at=now))
        return BindResult(outcome)

    if invite is None or invite.revoked_at is not None:
        return fail(BindOutcome.invalid)
    if invite.used_at is not None:
        return fail(BindOutcome.used)
    if invite.expires_at <= now:
        return fail(BindOutcome.expired)
    member = await session.get(Member, invite.member_id)
    if member is None or not member.active:
        return fail(BindOutcome.invalid)
    if member.telegram_id is not None:
        return BindResult(BindOutcome.member_taken, member.id)
    # claim the code atomically: two concurrent /start with one code bind once
    claimed = await session.exec(
        update(InviteCode)
        .where(InviteCode.id == invite.id, InviteCode.used_at.is_(None))
        .values(used_at=now, used_by=telegram_id)
    )
    if claimed.rowcount != 1:
        return fail(BindOutcome.used)
    member.telegram_id = telegram_id
    member.bound_at = now
    member.updated_at = now
    try:
        await session.flush()
    except IntegrityError:  # the account was bound to another member meanwhile: this unit of work is void
        await session.rollback()
        return BindResult(BindOutcome.account_taken)
    session.add(AuditEvent(actor=str(telegram_id), action="member.bind", entity="member", entity_id=member.number))
    await session.exec(delete(BindAttempt).where(BindAttempt.telegram_id == telegram_id))
    return BindResult(BindOutcome.bound, member.id)


@dataclass(frozen=True)
class MemberProfile:
    id: int
    number: str
    name: str
    sector: str
    group: str | None
    level: Level
    region: str | None
    contact_points: tuple[str, ...] = ()


async def member_profile(session: AsyncSession, member_id: int) -> MemberProfile | None:
    query = (
        select(Member, Sector, ActivityGroup, Region)
        .join(Sector, Sector.id == Member.sector_id)
        .join(ActivityGroup, ActivityGroup.id == Member.activity_group_id, isouter=True)
        .join(Region, Region.id == Member.region_id, isouter=True)
        .where(Member.id == member_id)
    )
    row = (await session.exec(query)).first()
    if row is None:
        return None
    member, sector, group, region = row
    points = (
        await session.exec(
            select(ContactPoint.name).where(ContactPoint.member_id == member_id)
            .order_by(ContactPoint.position, ContactPoint.id)
        )
    ).all()
    return MemberProfile(
        id=member.id, number=member.number, name=member.name, sector=sector.name,
        group=group.name if group else None, level=member.level,
        region=region.path if region else None, contact_points=tuple(points),
    )


async def touch_resident(
    session: AsyncSession, *, telegram_id: int, display_name: str, username: str | None, phone: str | None = None
) -> Resident:
    """Create or refresh the resident record of someone who talks to the bot (and their phone, if given).

    Staged in the caller's transaction; an upsert, so two updates of the same new user at once create one row.
    """
    now = utcnow()
    values = {"display_name": display_name[:128], "username": username, "last_seen_at": now}
    if phone is not None:
        values["phone"] = phone
    dialect = dialect_of(session)
    statement = dialect_insert(dialect, Resident.__table__).values(telegram_id=telegram_id, created_at=now, **values)
    await session.exec(statement.on_conflict_do_update(index_elements=["telegram_id"], set_=values))
    query = select(Resident).where(Resident.telegram_id == telegram_id).execution_options(populate_existing=True)
    return (await session.exec(query)).one()


async def resolve_scope(session: AsyncSession, kind: ScopeKind, value: str) -> str:
    """The canonical name of a group, sector (full or short name) or region.

    A region may be given by its last part(s) (`兰州市` for `甘肃省/兰州市`) when only one
    region ends so. NotFound carries the nearest names; Ambiguous the candidates.
    """
    value = value.strip().replace("／", "/").strip("/")
    if kind is ScopeKind.group:
        names = list((await session.exec(select(ActivityGroup.name))).all())
        exact = [n for n in names if n == value] or [n for n in names if squash(n) == squash(value)]
        if exact:
            return exact[0]
        raise NotFound(value, nearest(value, names))
    if kind is ScopeKind.sector:
        pairs = list((await session.exec(select(Sector.name, Sector.short_name).order_by(Sector.id))).all())
        found = sector_names(pairs).get(squash(value))
        if found is not None:
            return found
        by_alias = {alias: name for name, short in pairs for alias in accepted_names(name, short)}
        return_names = [by_alias[a] for a in nearest(value, by_alias)]
        raise NotFound(value, list(dict.fromkeys(return_names)))
    paths = list((await session.exec(select(Region.path))).all())
    wanted = "/".join(part.strip() for part in value.split("/") if part.strip())
    if wanted in paths:
        return wanted
    tail = [p for p in paths if p.endswith("/" + wanted)]
    if len(tail) == 1:
        return tail[0]
    if tail:
        raise Ambiguous(value, sorted(tail))
    leaves = {p.rsplit("/", 1)[-1]: p for p in paths}
    near = nearest(wanted, paths) or [leaves[n] for n in nearest(wanted.rsplit("/", 1)[-1], leaves)]
    raise NotFound(value, near)


class CommitteeNeeded(Exception):
    """A group grant's committee is not settled by what was given. `matching`: the committees with
    members of the group that fit the level and region given (none, or several); `committees`: all
    of them (none when the group has no member at all)."""

    def __init__(self, value: str, matching: list[Committee], committees: list[Committee]) -> None:
        super().__init__(value)
        self.value = value
        self.matching = matching
        self.committees = committees


# `--committee-region 无`: the committee of members the roster gives no region
NO_REGION = "无"


async def group_committees(session: AsyncSession, name: str) -> list[Committee]:
    """The committees with members (active or not: the next roster may reactivate them) in group `name`."""
    rows = (await session.exec(
        select(Member.level, Region.path).distinct()
        .join(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
        .join(Region, Region.id == Member.region_id, isouter=True)
        .where(ActivityGroup.name == name)
    )).all()
    return sorted((Committee(Level(level), path) for level, path in rows), key=Committee.sort_key)


async def resolve_committee(session: AsyncSession, group: str, *, level: Level | None = None,
                            region: str | None = None) -> Committee:
    """The committee of `group` that the level and region given (each optional) leave: exactly one of
    those where the group has members, else CommitteeNeeded. `region`: the committee's region path as
    `resolve_scope` gives it (the caller resolves what was typed, to say which name is wrong), or NO_REGION."""
    path = None if region is None or region.strip() == NO_REGION else region
    committees = await group_committees(session, group)
    matching = [c for c in committees
                if (level is None or c.level is level) and (region is None or c.region == path)]
    if len(matching) != 1:
        raise CommitteeNeeded(group, matching, committees)
    return matching[0]


class GrantOutcome(str, enum.Enum):
    created = "created"
    exists = "exists"
    fixed = "fixed"  # a group grant without a committee (see Scope) now names one


async def grant_role(
    session: AsyncSession, *, telegram_id: int, kind: ScopeKind, value: str, level: Level | None = None,
    region: str | None = None, actor: str = "cli",
) -> tuple[RoleGrant, GrantOutcome]:
    """Grant a coordinator scope in the session; granting twice changes nothing.

    A group grant names its committee: the one where the group has members, or the one `level` and
    `region` (a region path, or NO_REGION) pick out (CommitteeNeeded when that is not exactly one).
    The same user's grant of that group without a committee is given this one instead of a second grant.
    """
    canonical = await resolve_scope(session, kind, value)
    committee = await resolve_committee(session, canonical, level=level, region=region) \
        if kind is ScopeKind.group else None
    level_value = committee.level if committee else None
    region_value = committee.region if committee else None
    same = select(RoleGrant).where(RoleGrant.telegram_id == telegram_id, RoleGrant.scope_kind == kind,
                                   RoleGrant.scope_value == canonical)
    existing = (await session.exec(same.where(
        RoleGrant.committee_level == level_value if level_value else RoleGrant.committee_level.is_(None),
        RoleGrant.committee_region == region_value if region_value else RoleGrant.committee_region.is_(None),
    ))).first()
    if existing:
        return existing, GrantOutcome.exists
    detail = f"{kind.value}={canonical}" + (f" committee={level_value.value}:{region_value or ''}" if committee else "")
    unresolved = (await session.exec(same.where(RoleGrant.committee_level.is_(None)))).first() if committee else None
    if unresolved is not None:
        unresolved.committee_level, unresolved.committee_region = level_value, region_value
        session.add(unresolved)
        session.add(AuditEvent(actor=actor, action="role.committee", entity="rolegrant", entity_id=str(telegram_id),
                               detail=detail))
        return unresolved, GrantOutcome.fixed
    grant = RoleGrant(telegram_id=telegram_id, scope_kind=kind, scope_value=canonical,
                      committee_level=level_value, committee_region=region_value)
    session.add(grant)
    session.add(AuditEvent(actor=actor, action="role.grant", entity="rolegrant", entity_id=str(telegram_id),
                           detail=detail))
    return grant, GrantOutcome.created


async def revoke_role(session: AsyncSession, *, telegram_id: int, actor: str = "cli") -> int:
    """Remove every coordinator grant of a user in the session; returns how many there were."""
    result = await session.exec(delete(RoleGrant).where(RoleGrant.telegram_id == telegram_id))
    if result.rowcount:
        session.add(AuditEvent(actor=actor, action="role.revoke", entity="rolegrant", entity_id=str(telegram_id),
                               detail=f"grants={result.rowcount}"))
    return result.rowcount or 0


async def list_roles(session: AsyncSession) -> list[RoleGrant]:
    return list((await session.exec(select(RoleGrant).order_by(RoleGrant.telegram_id, RoleGrant.id))).all())


@dataclass(frozen=True)
class NameCount:
    """A sector, activity group or region and how many active members it has (regions: with those below)."""

    name: str
    members: int
    short_name: str | None = None
    other_names: tuple[str, ...] = ()  # sectors: the other forms also accepted (`sectors.SECTOR_ALIASES`)


async def list_sectors(session: AsyncSession) -> list[NameCount]:
    counts = dict((await session.exec(
        select(Member.sector_id, func.count()).where(Member.active.is_(True)).group_by(Member.sector_id)
    )).all())
    sectors = (await session.exec(select(Sector).order_by(Sector.id))).all()
    return [NameCount(s.name, counts.get(s.id, 0), s.short_name, other_names(s.name, s.short_name))
            for s in sectors]


async def list_groups(session: AsyncSession) -> list[NameCount]:
    counts = dict((await session.exec(
        select(Member.activity_group_id, func.count()).where(Member.active.is_(True))
        .group_by(Member.activity_group_id)
    )).all())
    groups = (await session.exec(select(ActivityGroup))).all()
    rows = [NameCount(g.name, counts.get(g.id, 0)) for g in groups]
    return sorted(rows, key=lambda r: natural_key(r.name))


async def group_committee_counts(session: AsyncSession) -> dict[str, list[tuple[Committee, int]]]:
    """Per group name, the committees it is on (as `group_committees`) with their active members, in one query."""
    rows = (await session.exec(
        select(ActivityGroup.name, Member.level, Region.path, func.count().filter(Member.active.is_(True)))
        .join(ActivityGroup, ActivityGroup.id == Member.activity_group_id)
        .join(Region, Region.id == Member.region_id, isouter=True)
        .group_by(ActivityGroup.name, Member.level, Region.path)
    )).all()
    found: dict[str, list[tuple[Committee, int]]] = {}
    for name, level, path, active in rows:
        found.setdefault(name, []).append((Committee(Level(level), path), int(active)))
    for committees in found.values():
        committees.sort(key=lambda pair: pair[0].sort_key())
    return found


async def list_regions(session: AsyncSession) -> list[NameCount]:
    direct = dict((await session.exec(
        select(Member.region_id, func.count()).where(Member.active.is_(True)).group_by(Member.region_id)
    )).all())
    regions = (await session.exec(select(Region).order_by(Region.path))).all()
    totals = {r.path: 0 for r in regions}
    for region in regions:
        parts = region.path.split("/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if prefix in totals:
                totals[prefix] += direct.get(region.id, 0)
    return [NameCount(path, totals[path]) for path in sorted(totals)]


@dataclass(frozen=True)
class MemberRow:
    number: str
    name: str
    sector: str
    group: str | None
    level: Level
    region: str | None
    active: bool
    bound: bool


async def list_members(session: AsyncSession, *, unbound_only: bool = False) -> list[MemberRow]:
    query = (
        select(Member, Sector.short_name, ActivityGroup.name, Region.path)
        .join(Sector, Sector.id == Member.sector_id)
        .join(ActivityGroup, ActivityGroup.id == Member.activity_group_id, isouter=True)
        .join(Region, Region.id == Member.region_id, isouter=True)
        .order_by(Member.number)
    )
    if unbound_only:
        query = query.where(Member.telegram_id.is_(None), Member.active.is_(True))
    return [
        MemberRow(m.number, m.name, sector, group, m.level, region, m.active, m.telegram_id is not None)
        for m, sector, group, region in (await session.exec(query)).all()
    ]


@dataclass(frozen=True)
class Overview:
    members: int
    bound: int
    residents: int


async def overview(session: AsyncSession, scopes: list[Scope] | None = None) -> Overview:
    """Member and binding counts, over everything (admins) or a coordinator's scopes."""
    query = select(func.count(), func.count(Member.telegram_id)).select_from(Member).where(Member.active.is_(True))
    condition = member_in_scopes(scopes)
    if condition is not None:
        query = query.where(condition)
    members, bound = (await session.exec(query)).one()
    # a resident who later bound as a member is counted as a member only
    bound_ids = select(Member.telegram_id).where(Member.telegram_id.is_not(None))
    residents = (
        (await session.exec(
            select(func.count()).select_from(Resident).where(Resident.telegram_id.not_in(bound_ids))
        )).one()
        if scopes is None
        else 0
    )
    return Overview(members=members, bound=bound, residents=residents)
