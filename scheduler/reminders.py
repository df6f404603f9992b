"""The reminder job: asks the database which occasion is due and not yet done, and enqueues it once.

Runs every few minutes (and shortly after start-up, so a bot that was down at 09:00
catches up within the same period); the outbox delivery job sends what it wrote.
"""

from __future__ import annotations

import asyncio
import logging

from telegram.ext import Application

from bot.buttons import log_button
from bot.context import LianxinContext
from bot.services import outbox
from bot.services.digest import build_digest, digest_cases, digest_filename, render_digest
from bot.services.reminders import claim_marker, coordinators, marker_done, report_due, report_key, run_due
from bot.services.report import build_report, quarter_stats
from bot.services.rules import local_today
from bot.texts import t
from models import utcnow

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 600


async def remind_due(context: LianxinContext) -> None:
    """One unit of work: the due occasion's scan, its run marker and its messages commit together."""
    policy = context.policies.duty
    async with context.db.session() as session:
        plan = await run_due(session, now=utcnow(), policy=policy, log_button=log_button())
        await session.commit()
    if plan is not None:
        log.info("%s %s: %d messages enqueued", plan.occasion.value, plan.quarter.label, len(plan.outgoing))


def schedule_reminders(application: Application) -> None:
    queue = application.job_queue
    if queue is None:
        return
    queue.run_repeating(remind_due, interval=CHECK_EVERY_SECONDS, first=20, name="reminders",
                        job_kwargs={"max_instances": 1, "coalesce": True})
    queue.run_repeating(send_reports, interval=CHECK_EVERY_SECONDS, first=40, name="quarterly_report",
                        job_kwargs={"max_instances": 1, "coalesce": True})


async def send_reports(context: LianxinContext) -> None:
    """The quarterly report, once per quarter, to every coordinator (their scopes) and admin (everything),
    with the quarter's 社情民意 digest draft of the same scope when it had cases.

    Figures and cases are read in one session, the spreadsheets, charts and drafts made off the event
    loop, then the run marker and every outbox row are written in one transaction.
    """
    settings = context.settings
    policy = context.policies.duty
    now = utcnow()
    quarter = report_due(policy, now)
    if quarter is None:
        return
    key = report_key(quarter)
    async with context.db.session() as session:
        if await marker_done(session, key=key):
            return
        people = await coordinators(session, policy)
        stats_by_scope, cases_by_scope = {}, {}
        for scopes in people.values():
            scope_key = None if scopes is None else tuple(scopes)
            if scope_key not in stats_by_scope:
                stats_by_scope[scope_key] = await quarter_stats(
                    session, quarter=quarter, today=local_today(now, policy.tz), policy=policy, scopes=scopes, now=now
                )
                cases_by_scope[scope_key] = await digest_cases(session, quarter=quarter, tz=policy.tz, scopes=scopes)
    kind_names = {k.code: k.name for k in settings.activity_kinds}
    reports = {scope_key: await build_report(stats, kind_names=kind_names)
               for scope_key, stats in stats_by_scope.items()}
    drafts = {}
    for scope_key, cases in cases_by_scope.items():
        if cases:
            digest = await build_digest(cases, quarter=quarter, scopes=scope_key,
                                        generated_at=now.astimezone(policy.tz))
            drafts[scope_key] = (await asyncio.to_thread(render_digest, digest), digest_filename(digest))
    async with context.db.session() as session:
        if not await claim_marker(session, key=key, now=now, detail="job"):
            return  # another process did it meanwhile
        for telegram_id, scopes in people.items():
            scope_key = None if scopes is None else tuple(scopes)
            report = reports[scope_key]
            base = f"report:{telegram_id}:{quarter.label}"
            await outbox.enqueue(session, key=f"{base}:chart", chat_id=telegram_id, kind="report", text=report.caption,
                                 now=now, photo=report.png)
            await outbox.enqueue(session, key=f"{base}:xlsx", chat_id=telegram_id, kind="report",
                                 text=t("report_document", quarter=quarter.cn_label), now=now,
                                 document=report.xlsx, document_name=report.filename)
            if scope_key in drafts:
                draft, filename = drafts[scope_key]
                await outbox.enqueue(session, key=f"{base}:digest", chat_id=telegram_id, kind="report",
                                     text=t("report_digest_document", quarter=quarter.cn_label), now=now,
                                     document=draft, document_name=filename)
        await session.commit()
    log.info("quarterly report %s enqueued for %d people", quarter.label, len(people))
