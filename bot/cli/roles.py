"""`python -m bot roles grant | revoke | list`, and `sectors | groups | regions list` (the names a grant takes)."""

from __future__ import annotations

import argparse

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.common import EXIT_BAD_INPUT, fail, note, say
from bot.cli.parsing import actions, command, level, role, telegram_id
from bot.services.access import (
    NO_REGION,
    Ambiguous,
    CommitteeNeeded,
    GrantOutcome,
    NotFound,
    grant_role,
    group_committee_counts,
    list_groups,
    list_regions,
    list_roles,
    list_sectors,
    resolve_scope,
    revoke_role,
)
from bot.services.scopes import scope_of
from bot.texts import LEVEL_NAMES, ROLE_NAMES, SCOPE_NAMES, cli_text, committee_label, scope_label
from models import ScopeKind

_LIST_COMMANDS = {"group": "groups list", "sector": "sectors list", "region": "regions list"}


def add_parsers(sub) -> None:  # noqa: ANN001 - the top level's subparsers
    roles = actions(command(sub, "roles", "roles"), "roles_command")
    grant = command(roles, "grant", "grant")
    grant.add_argument("telegram_id", type=telegram_id, metavar=cli_text("metavar_telegram_id"),
                       help=cli_text("help_telegram_id"))
    grant.add_argument("role", nargs="?", type=role, default="coordinator", metavar=cli_text("metavar_role"),
                       help=cli_text("help_role"))
    scope = grant.add_mutually_exclusive_group(required=True)
    scope.add_argument("--group", metavar=cli_text("metavar_name"), help=cli_text("help_group"))
    scope.add_argument("--sector", metavar=cli_text("metavar_name"), help=cli_text("help_sector"))
    scope.add_argument("--region", metavar=cli_text("metavar_name"), help=cli_text("help_region"))
    grant.add_argument("--level", type=level, metavar=cli_text("metavar_level"), help=cli_text("help_level"))
    grant.add_argument("--committee-region", metavar=cli_text("metavar_name"), help=cli_text("help_committee_region"))
    grant.set_defaults(session_handler=grant_command, database="write")
    rrev = command(roles, "revoke", "roles_revoke")
    rrev.add_argument("telegram_id", type=telegram_id, metavar=cli_text("metavar_telegram_id"),
                      help=cli_text("help_telegram_id"))
    rrev.set_defaults(session_handler=revoke_command, database="write")
    command(roles, "list", "roles_list").set_defaults(session_handler=list_command, database="read")


def add_name_parsers(sub) -> None:  # noqa: ANN001 - the top level's subparsers
    for name, handler in (("sectors", sectors_command), ("groups", groups_command), ("regions", regions_command)):
        names = actions(command(sub, name, name), f"{name}_command")
        command(names, "list", f"{name}_list").set_defaults(session_handler=handler, database="read")


async def list_command(session: AsyncSession, args: argparse.Namespace) -> int:
    grants = await list_roles(session)
    if not grants:
        note("roles_none")
        return 0
    say("roles_list_header")
    unresolved = 0
    for grant in grants:
        scope = scope_of(grant.scope_kind, grant.scope_value, grant.committee_level, grant.committee_region)
        unresolved += scope.unresolved
        committee = (committee_label(scope.committee) if scope.committee else
                     cli_text("roles_list_unresolved") if scope.unresolved else "-")
        print("\t".join([str(grant.telegram_id), ROLE_NAMES.get(grant.role, grant.role),
                         SCOPE_NAMES[grant.scope_kind.value], grant.scope_value, committee]))
    if unresolved:
        note("roles_unresolved_note", count=unresolved)
    return 0


async def revoke_command(session: AsyncSession, args: argparse.Namespace) -> int:
    count = await revoke_role(session, telegram_id=args.telegram_id)
    if not count:
        await session.rollback()
        return fail("roles_revoke_none", EXIT_BAD_INPUT, telegram_id=args.telegram_id)
    await session.commit()
    say("roles_revoked", telegram_id=args.telegram_id, count=count)
    return 0


async def grant_command(session: AsyncSession, args: argparse.Namespace) -> int:
    """A coordinator scope; a group names its committee (asked for until one is left). One commit, last."""
    kind, value = (
        (ScopeKind.group, args.group) if args.group is not None
        else (ScopeKind.sector, args.sector) if args.sector is not None
        else (ScopeKind.region, args.region)
    )
    if kind is not ScopeKind.group and (args.level is not None or args.committee_region is not None):
        return fail("grant_committee_not_group", EXIT_BAD_INPUT)
    region = args.committee_region
    if region is not None and region.strip() != NO_REGION:  # the committee's region, named as region scopes are
        try:
            region = await resolve_scope(session, ScopeKind.region, region)
        except (NotFound, Ambiguous) as exc:
            return _scope_problem(exc, ScopeKind.region, args.committee_region)
    try:
        grant, outcome = await grant_role(session, telegram_id=args.telegram_id, kind=kind, value=value,
                                          level=args.level, region=region)
    except (NotFound, Ambiguous) as exc:
        await session.rollback()
        return _scope_problem(exc, kind, value)
    except CommitteeNeeded as exc:
        await session.rollback()
        if not exc.committees:
            return fail("grant_committee_no_members", EXIT_BAD_INPUT, value=exc.value)
        if not exc.matching:
            return fail("grant_committee_no_match", EXIT_BAD_INPUT, value=exc.value,
                        candidates="、".join(committee_label(c) for c in exc.committees))
        example = exc.matching[-1]
        return fail("grant_committee_needed", EXIT_BAD_INPUT, value=exc.value,
                    candidates="、".join(committee_label(c) for c in exc.matching),
                    level=LEVEL_NAMES[example.level], region=example.region or NO_REGION)
    scope = scope_of(grant.scope_kind, grant.scope_value, grant.committee_level, grant.committee_region)
    scope_name = SCOPE_NAMES[kind.value]
    if outcome is GrantOutcome.exists:
        await session.rollback()
        say("grant_exists", telegram_id=args.telegram_id, kind=scope_name, value=scope_label(scope))
        return 0
    await session.commit()
    if outcome is GrantOutcome.fixed:
        say("grant_fixed", telegram_id=args.telegram_id, value=scope.value, committee=committee_label(scope.committee))
        return 0
    say("grant_done", telegram_id=args.telegram_id, kind=scope_name, value=scope_label(scope))
    return 0


def _scope_problem(exc: NotFound | Ambiguous, kind: ScopeKind, value: str) -> int:
    """A name `roles grant` could not resolve: unknown (with the nearest names) or ambiguous (the candidates)."""
    if isinstance(exc, NotFound):
        hint = cli_text("did_you_mean", names="、".join(exc.suggestions)) if exc.suggestions else ""
        return fail("scope_not_found", EXIT_BAD_INPUT, kind=SCOPE_NAMES[kind.value], value=value, hint=hint,
                    command=_LIST_COMMANDS[kind.value])
    return fail("scope_ambiguous", EXIT_BAD_INPUT, kind=SCOPE_NAMES[kind.value], value=value,
                candidates="、".join(exc.candidates))


async def sectors_command(session: AsyncSession, args: argparse.Namespace) -> int:
    say("sectors_header")
    for row in await list_sectors(session):
        others = "、".join(row.other_names) or "-"
        print(f"{row.name}\t{row.short_name if row.short_name != row.name else '-'}\t{row.members}\t{others}")
    return 0


async def groups_command(session: AsyncSession, args: argparse.Namespace) -> int:
    """Each group with its members and the committees its name is on: what `roles grant --group` asks for."""
    rows = await list_groups(session)
    if not rows:
        note("groups_none")
        return 0
    say("groups_header")
    committees = await group_committee_counts(session)
    for row in rows:
        on = "、".join(f"{committee_label(c)} {n}" for c, n in committees.get(row.name, []))
        print(f"{row.name}\t{row.members}\t{on or '-'}")
    return 0


async def regions_command(session: AsyncSession, args: argparse.Namespace) -> int:
    rows = await list_regions(session)
    if not rows:
        note("regions_none")
        return 0
    say("regions_header")
    for row in rows:
        print(f"{row.name}\t{row.members}")
    return 0
