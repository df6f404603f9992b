"""`python -m bot forget --phone … | --case 2026-000123 [--with-content] [--dry-run]`: a resident's personal
data removed for someone without Telegram (bot/services/forget.py). Everything is done in one transaction;
`--dry-run` rolls it back after saying what it would change, otherwise it commits last."""

from __future__ import annotations

import argparse

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.common import EXIT_BAD_INPUT, fail, say
from bot.cli.parsing import command
from bot.services import forget as svc
from bot.services.lifecycle import Actor, CaseProblem, Role
from bot.texts import cli_text
from models import utcnow


def add_parser(subparsers) -> None:  # noqa: ANN001 - argparse's subparsers
    parser = command(subparsers, "forget", "forget")
    whom = parser.add_mutually_exclusive_group(required=True)
    whom.add_argument("--phone", metavar=cli_text("metavar_phone"), help=cli_text("help_forget_phone"))
    whom.add_argument("--case", metavar=cli_text("metavar_case_number"), help=cli_text("help_forget_case"))
    parser.add_argument("--with-content", action="store_true", help=cli_text("help_forget_content"))
    parser.add_argument("--dry-run", action="store_true", help=cli_text("help_forget_dry_run"))
    parser.set_defaults(session_handler=forget_command, database="write")


async def forget_command(session: AsyncSession, args: argparse.Namespace) -> int:
    try:
        if args.phone is not None:
            person = await svc.person_by_phone(session, phone=args.phone)
        else:
            person = await svc.person_by_case(session, number=args.case)
        done = await svc.forget(session, person=person, actor=Actor(Role.admin, None), audit_actor=svc.CLI_ACTOR,
                                now=utcnow(), via="cli", with_content=args.with_content)
    except svc.ForgetProblem as problem:
        await session.rollback()
        return fail("forget_refused", EXIT_BAD_INPUT, reason=cli_text(f"forget_{problem.code}", **problem.values))
    except CaseProblem:
        await session.rollback()
        return fail("forget_refused", EXIT_BAD_INPUT, reason=cli_text("forget_case_changed"))
    content = ""
    if args.with_content:
        content = cli_text("forget_summary_content", messages=done.messages, photos=done.photos)
    summary = cli_text("forget_summary", residents=done.residents, cases=done.cases, withdrawn=len(done.withdrawn),
                       notified=done.notified, outbox=done.outbox, inbox=done.inbox, content=content)
    if args.dry_run:
        await session.rollback()
        say("forget_dry_run")
        print(summary)
        return 0
    await session.commit()
    say("forget_committed")
    print(summary)
    return 0
