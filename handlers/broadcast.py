"""/broadcast: a notice (text, optionally one photo) to the members in the sender's scope, through the outbox
(flow diagram: docs/broadcast.mmd).

Built on the form kit (handlers/forms.py): the notice, an optional photo, the audience
(everyone in scope, or those lagging this quarter), then the count it will reach and a
preview, and confirm. Confirming sends the progress message, then writes the broadcast,
one outbox row per recipient and the end of the form in one commit; the delivery job
sends the rows and the progress job (scheduler/broadcasts.py) edits that message until
the tally. Admins reach everyone; coordinators their scope, enforced in the service.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.callbacks import FormButton
from bot.config import Settings
from bot.context import LianxinContext
from bot.services import broadcasts as svc
from bot.services.outbox import MAX_CAPTION, MAX_TEXT
from bot.services.rules import local_today
from bot.services.scopes import Scope
from bot.texts import label, render_notice, scope_text, t
from handlers.forms import PRIVATE, TEXT, Choice, Form, FormDraft, reply
from handlers.views import edit_text, keyboard
from models import utcnow

SEND = "send"  # the preview's 发送 button (the form kit's Choice has no such value)

class Step(enum.StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    AUDIENCE = "audience"
    CONFIRM = "confirm"


class Action(enum.StrEnum):
    SKIP = "skip"
    AUDIENCE = "to"
    CONFIRM = "ok"


@dataclass
class Draft(FormDraft):
    text: str | None = None  # as typed (escaped when rendered)
    photo_id: str | None = None
    audience: str | None = None


FORM: Form[Draft] = Form(
    name="bc", conversation="broadcast", draft=Draft, steps=Step, button_steps={Step.AUDIENCE, Step.CONFIRM},
)
guarded = FORM.guarded


def scopes_of(context: LianxinContext) -> list[Scope] | None:
    """The sender's staff scopes (None: everything); covering nobody once they are no longer staff."""
    staff = context.identity.as_staff()
    return [] if staff is None else staff.scopes


def notice(context: LianxinContext, draft: Draft) -> str:
    return render_notice(body=draft.text or "", scope=scope_text(scopes_of(context)))


def too_long(context: LianxinContext, draft: Draft) -> int | None:
    """The limit the rendered notice exceeds (4,096 characters, or 1,024 as a photo's caption), else None."""
    high = MAX_CAPTION if draft.photo_id else MAX_TEXT
    return high if len(notice(context, draft)) > high else None


# --- steps --------------------------------------------------------------------------------------------

async def ask_text(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.TEXT)
    await reply(update, t("bc_ask_text", scope=scope_text(scopes_of(context))))
    return state


async def ask_photo(update: Update, context: LianxinContext, draft: Draft) -> str:
    state = await FORM.at_step(update, context, draft, Step.PHOTO)
    await reply(update, t("bc_ask_photo"), keyboard([[FORM.button(draft, label("skip"), Action.SKIP)]]))
    return state


async def ask_audience(update: Update, context: LianxinContext, draft: Draft) -> str:
    rows = [[FORM.button(draft, label(f"bc_to_{kind}"), Action.AUDIENCE, kind)] for kind in svc.AUDIENCES]
    rows.append([FORM.button(draft, label("cancel"), Action.AUDIENCE, Choice.CANCEL)])
    state = await FORM.at_step(update, context, draft, Step.AUDIENCE)
    await reply(update, t("bc_ask_audience"), keyboard(rows))
    return state


async def _audience(context: LianxinContext, kind: str) -> svc.Audience:
    policy = context.policies.duty
    async with context.db.session() as session:
        return await svc.audience(session, kind=kind, scopes=scopes_of(context),
                                  today=local_today(utcnow(), context.settings.tz), policy=policy)


async def show_preview(update: Update, context: LianxinContext, draft: Draft) -> str:
    """The notice as members will see it, then how many it reaches, with send / change / cancel."""
    people = await _audience(context, draft.audience or "all")
    if not people.recipients:
        await reply(update, t("bc_nobody", audience=label(f"bc_to_{people.kind}"), members=people.members))
        return await ask_audience(update, context, draft)
    chat = update.effective_chat
    await reply(update, t("bc_preview_head"))
    if draft.photo_id:
        await chat.send_photo(draft.photo_id, caption=notice(context, draft))
    else:
        await chat.send_message(notice(context, draft))
    rows = [[FORM.button(draft, label("bc_send", count=len(people.recipients)), Action.CONFIRM, SEND)],
            [FORM.button(draft, label("bc_change"), Action.CONFIRM, Choice.EDIT),
             FORM.button(draft, label("cancel"), Action.CONFIRM, Choice.CANCEL)]]
    state = await FORM.at_step(update, context, draft, Step.CONFIRM)
    await reply(update, t("bc_summary", audience=label(f"bc_to_{people.kind}"), scope=scope_text(scopes_of(context)),
                          count=len(people.recipients), members=people.members, unbound=people.unbound,
                          blocked=people.blocked),
                keyboard(rows))
    return state


FORM.asks = {Step.TEXT: ask_text, Step.PHOTO: ask_photo, Step.AUDIENCE: ask_audience, Step.CONFIRM: show_preview}


# --- entry, restart, cancel ---------------------------------------------------------------------------

@FORM.entry
async def start_broadcast(update: Update, context: LianxinContext) -> str | int:
    if context.identity.as_staff() is None:
        await reply(update, t("not_allowed"))
        return ConversationHandler.END
    return await ask_text(update, context, FORM.new())


async def restart(update: Update, context: LianxinContext) -> str | int:
    FORM.drop(context)
    await reply(update, t("bc_restart"))
    return await start_broadcast(update, context)


async def cancel(update: Update, context: LianxinContext) -> int:
    state = await FORM.end(update, context)
    await reply(update, t("bc_cancelled"))
    return state


# --- answers ----------------------------------------------------------------------------------------

def _take_text(context: LianxinContext, draft: Draft, text: str) -> str | None:
    """Keep the notice's text; a Chinese problem if it cannot be sent as it is."""
    text = text.strip()
    if not text:
        return t("bc_empty")
    draft.text = text
    high = too_long(context, draft)
    if high is not None:
        draft.text = None
        return t("bc_too_long", length=len(text), high=high)
    return None


@guarded
async def on_text(update: Update, context: LianxinContext) -> str | None:
    draft = FORM.get(context)
    draft.photo_id = None
    problem = _take_text(context, draft, update.effective_message.text)
    if problem:
        await reply(update, problem)
        return None
    return await ask_photo(update, context, draft)


@guarded
async def on_text_photo(update: Update, context: LianxinContext) -> str | None:
    """A photo with its caption at the first step: both at once."""
    message = update.effective_message
    if not message.caption:
        await reply(update, t("bc_caption_needed"))
        return None
    draft = FORM.get(context)
    draft.photo_id = message.photo[-1].file_id
    problem = _take_text(context, draft, message.caption)
    if problem:
        draft.photo_id = None
        await reply(update, problem)
        return None
    return await ask_audience(update, context, draft)


@guarded
async def on_photo(update: Update, context: LianxinContext) -> str | None:
    draft = FORM.get(context)
    draft.photo_id = update.effective_message.photo[-1].file_id
    high = too_long(context, draft)
    if high is not None:
        draft.photo_id = None
        await reply(update, t("bc_caption_too_long", length=len(notice(context, draft)), high=high))
        return None
    await reply(update, t("bc_photo_kept"))
    return await ask_audience(update, context, draft)


@guarded
async def on_photo_skip(update: Update, context: LianxinContext) -> str | None:
    if await FORM.pressed(update, context, Action.SKIP) is None:
        return None
    await FORM.mark_choice(update, label("skip"))
    return await ask_audience(update, context, FORM.get(context))


@guarded
async def photo_expected(update: Update, context: LianxinContext) -> None:
    await reply(update, t("bc_photo_expected"))
    return None


@guarded
async def on_audience(update: Update, context: LianxinContext) -> str | int | None:
    button = await FORM.pressed(update, context, Action.AUDIENCE,
                                values={Action.AUDIENCE: (*svc.AUDIENCES, Choice.CANCEL)})
    if button is None:
        return None
    await FORM.mark_choice(update, FORM.pressed_label(update))
    if button.value == Choice.CANCEL:
        return await cancel(update, context)
    draft = FORM.get(context)
    draft.audience = button.value
    return await show_preview(update, context, draft)


@guarded
async def on_confirm(update: Update, context: LianxinContext) -> str | int | None:
    button = await FORM.pressed(update, context, Action.CONFIRM,
                                values={Action.CONFIRM: (SEND, Choice.EDIT, Choice.CANCEL)})
    if button is None:
        return None
    await FORM.mark_choice(update, FORM.pressed_label(update))
    draft = FORM.get(context)
    if button.value == Choice.CANCEL:
        return await cancel(update, context)
    if button.value == Choice.EDIT:
        draft.text, draft.photo_id, draft.audience = None, None, None
        return await ask_text(update, context, draft)
    return await submit(update, context, draft)


async def submit(update: Update, context: LianxinContext, draft: Draft) -> int:
    """The progress message, then the broadcast, its messages and the end of the form in one commit."""
    user, chat = update.effective_user, update.effective_chat
    progress = await chat.send_message(t("bc_preparing"))
    now = utcnow()
    async with context.db.session() as session:
        broadcast = await svc.create(
            session, key=f"{user.id}:{draft.nonce}", created_by=user.id, chat_id=chat.id,
            progress_message_id=progress.message_id, text=notice(context, draft), photo_id=draft.photo_id,
            kind=draft.audience or "all", scopes=scopes_of(context), scope_label=scope_text(scopes_of(context)),
            today=local_today(now, context.settings.tz), policy=context.policies.duty, now=now,
        )
        confirm = await FORM.end_in(session, update, context)
        await session.commit()
        confirm()
    context.bot_data[svc.ACTIVE_FLAG] = True  # the progress job looks again
    context.mark_saved(update, t("bc_saved_short"))
    await edit_text(progress, t("bc_queued", count=broadcast.total))
    return ConversationHandler.END


def build(settings: Settings) -> ConversationHandler:
    form = FormButton.pattern(FORM.name)
    return FORM.handler(
        entry_points=[CommandHandler("broadcast", start_broadcast, filters=PRIVATE)],
        states={
            Step.TEXT: [MessageHandler(TEXT, on_text), MessageHandler(PRIVATE & filters.PHOTO, on_text_photo)],
            Step.PHOTO: [MessageHandler(PRIVATE & filters.PHOTO, on_photo),
                         CallbackQueryHandler(on_photo_skip, pattern=form),
                         MessageHandler(TEXT, photo_expected)],
            Step.AUDIENCE: [CallbackQueryHandler(on_audience, pattern=form)],
            Step.CONFIRM: [CallbackQueryHandler(on_confirm, pattern=form)],
        },
        cancel=cancel,
        restart=[CommandHandler("broadcast", restart, filters=PRIVATE)],
        timeout_minutes=settings.conversation_timeout_minutes,
    )
