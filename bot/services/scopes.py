"""A coordinator's scopes and which members they cover, as one SQL condition: the one place the rule lives.

A group scope covers the members of that activity group on that committee (the same level and
region as the roster gives them: group names repeat across committees, as peers in
`activities.standing` and `reminders._peer_partition` are compared); a group scope naming no
committee covers nobody. A sector
scope covers the members of that sector, a region scope the members of that region and every region
below it. `member_in_scopes` (statistics, reminders, exports, broadcasts, `access.overview`),
`case_in_scopes` and the routing engine's coordinators (`routing._scope_covers`, which asks the group
rule of every RoleGrant row through `group_members`) all come from here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, false, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import select

from bot.services.rules import natural_key
from models import ActivityGroup, Case, Level, Member, Region, ScopeKind, Sector


@dataclass(frozen=True)
class Committee:
    """One CPPCC committee as the roster names it: its members' 层级 and 地区 path (None: no region)."""

    level: Level
    region: str | None = None

    def sort_key(self) -> tuple:
        """Province first, then by region path in natural order (no region first)."""
        return list(Level).index(self.level), natural_key(self.region or "")


@dataclass(frozen=True)
class GroupKey:
    """An activity group on one committee: the unit every output counts, lists and ranks groups by.

    Group names repeat across committees (第1界别活动组 of the province and of a city are different
    people), so a group is its name and its committee, as peers are (`reminders._peer_partition`,
    `activities.standing`) and as a group scope is (`group_members`). Shown by `texts.group_label`.
    """

    name: str
    committee: Committee

    def sort_key(self) -> tuple:
        """第1…第16 in natural order, then the committee (`Committee.sort_key`)."""
        return natural_key(self.name), self.committee.sort_key()


def group_key(name: str | None, level: Level | str | None, region: str | None) -> GroupKey | None:
    """The group key of a row's group name, member level and region path; None without a group."""
    if name is None or level is None:
        return None
    return GroupKey(name, Committee(Level(level), region))


def group_order(key: GroupKey | None) -> tuple:
    """Sort key for lists of groups: natural order, members without a group last."""
    return (1,) if key is None else (0, key.sort_key())


@dataclass(frozen=True)
class Scope:
    """What a coordinator's grant covers (which members: `scope_members`).

    A group scope names its committee: group names repeat across committees. Without one (a grant
    made before grants named their committee, where the name was on several) it covers nobody until
    an admin names the committee.
    """

    kind: ScopeKind
    value: str
    committee: Committee | None = None

    @property
    def unresolved(self) -> bool:
        """A group scope that names no committee (covers nobody; `roles list` flags its grant)."""
        return self.kind is ScopeKind.group and self.committee is None


def scope_of(kind: ScopeKind | str, value: str, level: Level | str | None, region: str | None) -> Scope:
    """The scope a RoleGrant row stands for (ORM rows and the raw columns of a Core query alike)."""
    kind = ScopeKind(kind)
    committee = Committee(Level(level), region) if kind is ScopeKind.group and level is not None else None
    return Scope(kind, value, committee)


def _regions_under(path: str) -> Select:
    """Ids of the region `path` and every region below it."""
    return select(Region.id).where(or_(Region.path == path, Region.path.startswith(path + "/")))


def group_members(name: object, level: object, region: object) -> ColumnElement[bool]:
    """The members of activity group `name` on the committee (`level`, region path `region`).

    Values, or columns of a correlated row (the routing engine asks it of each RoleGrant): a region
    of None (or a NULL column) is the committee of members without a region; a level of None (a
    grant naming no committee) matches nobody.
    """
    if level is None:
        return false()
    # the subqueries see a correlated row's columns (correlate_except: everything but their own table)
    region_ids = select(Region.id).where(Region.path == region).correlate_except(Region)
    if isinstance(region, str):
        same_region = Member.region_id.in_(region_ids)
    elif region is None:
        same_region = Member.region_id.is_(None)
    else:
        same_region = or_(and_(region.is_(None), Member.region_id.is_(None)), Member.region_id.in_(region_ids))
    group_ids = select(ActivityGroup.id).where(ActivityGroup.name == name).correlate_except(ActivityGroup)
    return and_(Member.activity_group_id.in_(group_ids), Member.level == level, same_region)


def scope_members(scope: Scope) -> ColumnElement[bool]:
    """A WHERE condition on `Member`: the members one scope covers."""
    if scope.kind is ScopeKind.group:
        committee = scope.committee
        return false() if committee is None else group_members(scope.value, committee.level, committee.region)
    if scope.kind is ScopeKind.sector:
        return Member.sector_id.in_(select(Sector.id).where(Sector.name == scope.value))
    return Member.region_id.in_(_regions_under(scope.value))


def member_in_scopes(scopes: Sequence[Scope] | None) -> ColumnElement[bool] | None:
    """A WHERE condition on `Member` for these scopes; None means everything (admins)."""
    if scopes is None:
        return None
    conditions = [scope_members(scope) for scope in scopes]
    return or_(*conditions) if conditions else false()


def case_in_scopes(scopes: Sequence[Scope] | None) -> ColumnElement[bool] | None:
    """A WHERE condition on `Case`: its handler is a member in scope, or its region is in a region scope.

    The static part of who may see a case (`cases._coordinator_covers`, which adds the cases a
    coordinator was asked to assign); exports use it as is. None means everything (admins).
    """
    if scopes is None:
        return None
    handler = member_in_scopes(scopes)
    conditions = [Case.member_id.in_(select(Member.id).where(handler))]
    conditions += [Case.region_id.in_(_regions_under(s.value)) for s in scopes if s.kind is ScopeKind.region]
    return or_(*conditions)


def narrow(query, condition: ColumnElement[bool] | None):  # noqa: ANN001, ANN201 - any Select
    """`query` with `condition` added; unchanged for None (an admin's "everything")."""
    return query if condition is None else query.where(condition)


def within_scopes(query, scopes: Sequence[Scope] | None):  # noqa: ANN001, ANN201 - a Select over Member
    """`query` narrowed to the members these scopes cover (None: everything)."""
    return narrow(query, member_in_scopes(scopes))
