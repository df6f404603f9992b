"""`python -m bot remind`: preview an occasion's reminders (--dry-run) or write them to the outbox (--send).

Exposes `add_parser(subparsers)` and `run(settings, args) -> int`; `bot/cli.py` wires it.
`--send` is still exactly once: every message has its outbox key, and the occasion is
marked as done so the scheduled job does not scan it again.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.config import Settings
from bot.texts import OCCASION_NAMES, OUTBOX_STATUS_NAMES, RULE_NAMES, cli_text, t

EXIT_BAD_INPUT = 1


def add_parser(subparsers) -> argparse.ArgumentParser:  # noqa: ANN001 - argparse's private subparsers type
    parser = subparsers.add_parser("remind", help=cli_text("help_remind"), description=cli_text("help_remind"),
                                   epilog=cli_text("epilog_remind"))
    parser.add_argument("--occasion", required=True, choices=["mid", "late", "quarter-end"],
                        metavar=cli_text("metavar_occasion"), help=cli_text("help_occasion"))
    parser.add_argument("--quarter", required=True, metavar=cli_text("metavar_quarter"), help=cli_text("help_quarter"))
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help=cli_text("help_remind_dry_run"))
    mode.add_argument("--send", action="store_true", help=cli_text("help_remind_send"))
    return parser


def run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.rules import Quarter

    try:
        quarter = Quarter.parse(args.quarter)
    except ValueError:
        print(t("cli_remind_bad_quarter", value=args.quarter), file=sys.stderr)
        return EXIT_BAD_INPUT
    return asyncio.run(_run(settings, args, quarter))


async def _run(settings: Settings, args: argparse.Namespace, quarter) -> int:  # noqa: ANN001
    from bot.db import Database
    from bot.services.reminders import Occasion, ReminderPolicy, claim_run, enqueue_plan, plan_occasion, sent_status
    from models import utcnow
    from scheduler.reminders import log_button

    policy = ReminderPolicy.from_settings(settings)
    occasion = Occasion(args.occasion)
    db = Database(settings.database_url, fast_driver=settings.sqlite_fast_driver)
    try:
        async with db.session() as session:
            now = utcnow()
            plan = await plan_occasion(session, occasion=occasion, quarter=quarter, now=now, policy=policy)
            if args.send:
                await claim_run(session, occasion=occasion, quarter=quarter, now=now, detail="cli")
                new, existing = await enqueue_plan(session, plan, now=now, log_button=log_button())
                await session.commit()
                print(t("cli_remind_done", new=new, existing=existing))
                return 0
            written = await sent_status(session, plan)
    finally:
        await db.dispose()
    count = len(plan.laggards) if occasion is not Occasion.quarter_end else len(plan.outgoing)
    print(t("cli_remind_header", quarter=quarter.label, occasion=OCCASION_NAMES[occasion.value],
            day=plan.as_of.isoformat(), count=count))
    for item in plan.outgoing:
        if item.chat_id is None:
            state = t("cli_remind_unbound")
        elif item.key in written:
            state = t("cli_remind_sent_state", status=OUTBOX_STATUS_NAMES[written[item.key].value])
        else:
            state = t("cli_remind_will_send")
        if item.laggard is not None:
            why = "、".join(_why(item.laggard, rule) for rule in item.laggard.rules)
            print(t("cli_remind_member", number=item.laggard.number, name=item.laggard.name, why=why, state=state))
        else:
            print(t("cli_remind_coordinator", chat_id=item.chat_id, count=item.idle, state=state))
    return 0


def _why(laggard, rule) -> str:  # noqa: ANN001
    name = RULE_NAMES[rule.value]
    if rule.value == "below_pace":
        return f"{name}（{laggard.year_people}/{laggard.expected_people}）"
    if rule.value == "bottom_share":
        return f"{name}（{laggard.points:g} 分，{laggard.peers} 人中）"
    return name
