"""/forget: a resident asks for their personal data to be removed (bot/services/forget.py).

The command explains what goes and what stays and asks; nothing changes before a button says so. The
confirmation withdraws their open cases, removes their data and writes the handling members' notices in one
commit, then sends those at once and forgets the person's drafts in the bot's own state.
"""

from __future__ import annotations

import logging

from telegram import Update

from bot.callbacks import ForgetAction, ForgetButton
from bot.context import LianxinContext
from bot.sending import send_now
from bot.services import forget as svc
from bot.services import outbox
from bot.services.lifecycle import FINAL, Actor, CaseProblem
from bot.texts import label, t
from handlers.forms import answer, reply
from handlers.views import checked_press, drop_buttons, keyboard
from models import Case, CaseStatus, utcnow

log = logging.getLogger(__name__)


async def forget_command(update: Update, context: LianxinContext) -> None:
    async with context.db.session() as session:
        person = await svc.person_of_resident(session, telegram_id=update.effective_user.id)
        statuses = [CaseStatus((await session.get(Case, case_id)).status) for case_id in person.case_ids]
    if person.empty:
        await reply(update, t("forget_nothing"))
        return
    rows = [[(label("forget_keep_content"), ForgetButton(ForgetAction.keep_content).pack())],
            [(label("forget_with_content"), ForgetButton(ForgetAction.with_content).pack())],
            [(label("forget_cancel"), ForgetButton(ForgetAction.cancel).pack())]]
    await reply(update, t("forget_ask", cases=len(statuses), open=sum(s not in FINAL for s in statuses)),
                keyboard(rows))


async def on_button(update: Update, context: LianxinContext) -> None:
    button = await checked_press(update, ForgetButton)
    if button is None:
        return
    user_id = update.effective_user.id
    if button.action is ForgetAction.cancel:
        await answer(update.callback_query)
        await drop_buttons(update)
        await reply(update, t("forget_cancelled"))
        return
    with_content = button.action is ForgetAction.with_content
    claim = outbox.claim_token()
    async with context.db.session() as session:
        person = await svc.person_of_resident(session, telegram_id=user_id)
        if person.empty:  # a second press, or done meanwhile
            await answer(update.callback_query)
            await drop_buttons(update)
            await reply(update, t("forget_nothing"))
            return
        try:
            done = await svc.forget(session, person=person, actor=Actor.resident(person.resident_ids[0]),
                                    audit_actor="resident", now=utcnow(), via="chat", with_content=with_content,
                                    claim=claim)
        except CaseProblem as problem:  # a case moved underneath (a member pressed at the same moment)
            log.info("forget of a resident refused: %s", problem.code)
            await answer(update.callback_query, t("forget_changed"))
            return
        await session.commit()
    text = t("forget_done", cases=done.cases, withdrawn=len(done.withdrawn),
             content=t("forget_done_content") if with_content else "")
    context.mark_saved(update, text)
    # their drafts and settings in the bot's own state go too (written by the update's own commit)
    context.application.drop_user_data(user_id)
    context.application.drop_chat_data(update.effective_chat.id)
    await answer(update.callback_query)
    await drop_buttons(update)
    await reply(update, text)
    await send_now(context.application, context.db, claim)

