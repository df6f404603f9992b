"""`python -m bot remind`: preview an occasion's reminders (--dry-run) or write them to the outbox (--send).

`--send` is still exactly once: every message has its outbox key, and the occasion is
marked as done so the scheduled job does not scan it again.
"""

from __future__ import annotations

import argparse
import asyncio

from bot.buttons import log_button
from bot.cli.common import EXIT_BAD_INPUT, database, parse_quarter, say
from bot.cli.parsing import command
from bot.config import Settings
from bot.services.reminders import (
    DutyPolicy,
    Laggard,
    Occasion,
    Rule,
    claim_run,
    enqueue_plan,
    plan_occasion,
    sent_status,
)
from bot.services.rules import Quarter, local_today
from bot.texts import OCCASION_NAMES, OUTBOX_STATUS_NAMES, ROLE_NAMES, RULE_NAMES, cli_text
from models import utcnow


def add_parser(subparsers) -> argparse.ArgumentParser:  # noqa: ANN001 - argparse's subparsers
    parser = command(subparsers, "remind", "remind")
    parser.add_argument("--occasion", required=True, choices=["mid", "late", "quarter-end"],
                        metavar=cli_text("metavar_occasion"), help=cli_text("help_occasion"))
    parser.add_argument("--quarter", required=True, metavar=cli_text("metavar_quarter"), help=cli_text("help_quarter"))
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help=cli_text("help_remind_dry_run"))
    mode.add_argument("--send", action="store_true", help=cli_text("help_remind_send"))
    parser.set_defaults(handler=run, database="write")
    return parser


def run(settings: Settings, args: argparse.Namespace) -> int:
    quarter = parse_quarter(args.quarter)
    if quarter is None:
        return EXIT_BAD_INPUT
    return asyncio.run(_run(settings, args, quarter))


async def _run(settings: Settings, args: argparse.Namespace, quarter: Quarter) -> int:
    policy = DutyPolicy.from_settings(settings)
    occasion = Occasion(args.occasion)
    db = database(settings)
    try:
        async with db.session() as session:
            now = utcnow()
            plan = await plan_occasion(session, occasion=occasion, quarter=quarter, now=now, policy=policy)
            if args.send:
                await claim_run(session, occasion=occasion, quarter=quarter, now=now, detail="cli")
                new, existing = await enqueue_plan(session, plan, now=now, log_button=log_button())
                await session.commit()
                say("cli_remind_done", new=new, existing=existing)
                return 0
            written = await sent_status(session, plan)
    finally:
        await db.dispose()
    names = {"quarter": quarter.label, "occasion": OCCASION_NAMES[occasion.value], "day": plan.as_of.isoformat()}
    if occasion is not Occasion.quarter_end:
        say("cli_remind_header", **names, count=len(plan.laggards))
    else:
        admins = sum(item.chat_id in policy.admin_ids for item in plan.outgoing)
        staff = [cli_text(key, count=n) for key, n in (("cli_remind_coordinators", len(plan.outgoing) - admins),
                                                      ("cli_remind_admins", admins)) if n]
        recipients = cli_text("cli_remind_recipients", who="、".join(staff)) if staff else cli_text(
            "cli_remind_no_recipients")
        today = local_today(now, policy.tz)
        if today <= quarter.last_day:  # the list is sent after the quarter: this is what today's data would give
            say("cli_remind_header_preview", **names, today=today.isoformat(), recipients=recipients)
        else:
            say("cli_remind_header_lists", **names, recipients=recipients)
    for item in plan.outgoing:
        if item.chat_id is None:
            state = cli_text("cli_remind_unbound")
        elif item.key in written:
            state = cli_text("cli_remind_sent_state", status=OUTBOX_STATUS_NAMES[written[item.key].value])
        else:
            state = cli_text("cli_remind_will_send")
        if item.laggard is not None:
            why = "、".join(_why(item.laggard, rule) for rule in item.laggard.rules)
            say("cli_remind_member", number=item.laggard.number, name=item.laggard.name, why=why, state=state)
        else:
            role = ROLE_NAMES["admin" if item.chat_id in policy.admin_ids else "coordinator"]
            say("cli_remind_coordinator", chat_id=item.chat_id, role=role, count=item.idle, state=state)
    return 0


def _why(laggard: Laggard, rule: Rule) -> str:
    name = RULE_NAMES[rule.value]
    if rule is Rule.below_pace:
        return cli_text("cli_remind_why_pace", rule=name, people=laggard.year_people, expected=laggard.expected_people)
    if rule is Rule.bottom_share:
        return cli_text("cli_remind_why_bottom", rule=name, points=f"{laggard.points:g}", peers=laggard.peers)
    return name
