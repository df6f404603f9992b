"""Which members a coordinator's scopes cover, as one SQL condition (the rule `access.overview` applies).

A group scope covers the members of that activity group, a sector scope the members of
that sector, a region scope the members of that region and every region below it.
Statistics, reminders and reports use this one function; `access.overview` spells out
the same rule inline and can switch to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import false, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import select

from bot.services.access import Scope
from models import ActivityGroup, Member, Region, ScopeKind, Sector


def _regions_under(path: str):  # noqa: ANN202
    """Ids of the region `path` and every region below it."""
    return select(Region.id).where(or_(Region.path == path, Region.path.startswith(path + "/")))


def member_in_scopes(scopes: Sequence[Scope] | None) -> ColumnElement[bool] | None:
    """A WHERE condition on `Member` for these scopes; None means everything (admins)."""
    if scopes is None:
        return None
    conditions = []
    for scope in scopes:
        if scope.kind is ScopeKind.group:
            conditions.append(Member.activity_group_id.in_(select(ActivityGroup.id).where(ActivityGroup.name == scope.value)))
        elif scope.kind is ScopeKind.sector:
            conditions.append(Member.sector_id.in_(select(Sector.id).where(Sector.name == scope.value)))
        else:
            conditions.append(Member.region_id.in_(_regions_under(scope.value)))
    return or_(*conditions) if conditions else false()


def case_in_scopes(scopes: Sequence[Scope] | None) -> ColumnElement[bool] | None:
    """A WHERE condition on `Case`: its handler is a member in scope, or its region is in a region scope.

    The static part of who may see a case (`cases._coordinator_covers`, which adds the cases a
    coordinator was asked to assign); exports use it as is. None means everything (admins).
    """
    if scopes is None:
        return None
    from models import Case

    handler = member_in_scopes(scopes)
    conditions = [Case.member_id.in_(select(Member.id).where(handler))]
    conditions += [Case.region_id.in_(_regions_under(s.value)) for s in scopes if s.kind is ScopeKind.region]
    return or_(*conditions)
