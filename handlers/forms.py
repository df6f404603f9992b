"""The form kit: what every multi-step form needs, so a form module is its steps and nothing else.

- The draft lives in user_data under one key (`bot.services.forms.FORM_KEY`) and names its
  form, so a user has one form open at a time across all flows; starting another says
  which one is open and how to leave it.
- `checkpoint()` makes the state and draft durable *before* the next question is sent:
  PTB persists after the handler returns, and a crash in between would leave the user
  answering a question the restarted bot no longer expects.
- States are strings (a StrEnum per form), so adding a step never renumbers forms in progress.
- Every button carries the form's random nonce and is checked against the step it belongs
  to and the values that step offered (`pressed()`); anything else is a stale button.
- A form restored after a restart at a button step sends that step again, buttons included,
  on the next message: the crash may have come after the old buttons were removed.
- A form whose draft vanished (expired while the bot was down) ends politely on the next message.
"""

from __future__ import annotations

import enum
import functools
import logging
import secrets
import warnings
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import timedelta
from typing import Any, Generic, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.callbacks import FormButton, any_button_pattern
from bot.context import LianxinContext
from bot.persistence import SQLPersistence
from bot.services.forms import FORM_KEY, open_form
from bot.services.media import MediaProblem, Voice, check_voice, clock
from bot.texts import FORM_STEPS, label, t
from handlers.menus import MENU_LABELS
from handlers.views import chunked, keyboard
from models import utcnow

log = logging.getLogger(__name__)
END = ConversationHandler.END
PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
# typed answers: not commands and not the reply-keyboard's menu labels (those are commands)
TEXT = PRIVATE & filters.TEXT & ~filters.COMMAND & ~MENU_LABELS
# a voice note, or an audio file (a recording sent as a file)
VOICE = PRIVATE & (filters.VOICE | filters.AUDIO)


class Choice(enum.StrEnum):
    """Button values the forms share (a FormButton's `value`)."""

    SUBMIT = "submit"
    EDIT = "edit"
    CANCEL = "cancel"
    BACK = "back"
    YES = "yes"
    NO = "no"
    DONE = "done"
    SKIP = "skip"
    CLEAR = "clear"


@dataclass
class FormDraft:
    """What every form's draft keeps; a form subclasses it with its own fields (JSON-serialisable)."""

    form: str
    nonce: str
    step: str
    touched_at: str | None = None  # ISO UTC of the last answer, for expiring forms restored after a restart
    reviewing: bool = False  # after a field step, back to the card instead of onward


D = TypeVar("D", bound=FormDraft)
Handler = Callable[[Update, LianxinContext], Awaitable[Any]]
ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup
Ask = Callable[[Update, LianxinContext, Any], Awaitable[str]]

FORMS: dict[str, Form] = {}


class Form(Generic[D]):
    """One form: its name (callback prefix and text-key prefix), conversation, draft type and steps."""

    def __init__(
        self, *, name: str, conversation: str, draft: type[D], steps: type[enum.StrEnum], button_steps: Collection[str]
    ) -> None:
        self.name = name
        self.conversation = conversation
        self.draft_type = draft
        self.steps = steps
        self.button_steps = frozenset(button_steps)
        self.first_step = next(iter(steps))
        self.asks: dict[str, Ask] = {}  # step -> the function that asks it; set by the form module
        FormButton.check_form_name(name)
        FORMS[name] = self

    # --- texts -----------------------------------------------------------------------------
    def text(self, key: str, /, **values: object) -> str:
        """The form's own text `<name>_<key>` from the catalogue."""
        return t(f"{self.name}_{key}", **values)

    def step_name(self, step: str | None) -> str:
        names = FORM_STEPS[self.name]
        return names.get(step or "", names[self.first_step])

    def busy_text(self, draft: dict | None) -> str:
        return self.text("busy", step=self.step_name(draft.get("step") if draft else None))

    # --- the draft -------------------------------------------------------------------------
    def new(self, **values: Any) -> D:
        return self.draft_type(form=self.name, nonce=secrets.token_hex(3), step=self.first_step, **values)

    def get(self, context: LianxinContext) -> D | None:
        """This form's draft; None when there is none, it is another form's, or from an incompatible version."""
        raw = open_form(context.user_data)
        if raw is None or raw.get("form") != self.name:
            return None
        known = {f.name for f in fields(self.draft_type)}
        try:
            return self.draft_type(**{k: v for k, v in raw.items() if k in known})
        except TypeError:
            return None

    def put(self, context: LianxinContext, draft: D) -> None:
        context.user_data[FORM_KEY] = asdict(draft)

    def drop(self, context: LianxinContext) -> None:
        if (open_form(context.user_data) or {}).get("form") == self.name:
            context.user_data.pop(FORM_KEY, None)

    def button(self, draft: D, label: str, action: str, value: str = "") -> tuple[str, str]:
        return label, FormButton(self.name, draft.nonce, action, value).pack()

    # --- durability ------------------------------------------------------------------------
    def _state_key(self, update: Update) -> tuple[int, int]:
        return (update.effective_chat.id, update.effective_user.id)

    async def checkpoint(self, update: Update, context: LianxinContext, state: str | int) -> str | int:
        """Make the form's state and draft durable (one transaction); END forgets the form."""
        persistence = context.application.persistence
        if isinstance(persistence, SQLPersistence):
            await persistence.write_form_state(
                user_id=update.effective_user.id, user_data=dict(context.user_data), conversation=self.conversation,
                key=self._state_key(update), state=None if state == END else str(state),
            )
        return state

    async def end_in(self, session: AsyncSession, update: Update, context: LianxinContext) -> Callable[[], None]:
        """Drop the draft and stage the form's end in the caller's transaction, so a record and the
        form's end are committed together (a crash can never leave a saved record's form open).

        Returns the confirmation to call once the caller has committed (so the flush after the
        update does not write the same again); the conversation state is then END.
        """
        self.drop(context)
        persistence = context.application.persistence
        if not isinstance(persistence, SQLPersistence):
            return lambda: None
        return await persistence.stage_form_state(
            session, user_id=update.effective_user.id, user_data=dict(context.user_data),
            conversation=self.conversation, key=self._state_key(update), state=None,
        )

    async def end(self, update: Update, context: LianxinContext) -> int:
        """Drop the draft and end the form, durably."""
        self.drop(context)
        await self.checkpoint(update, context, END)
        return END

    async def at_step(self, update: Update, context: LianxinContext, draft: D, step: str) -> str:
        """Record which step is being asked, durably; returns it as the conversation state."""
        draft.step = str(step)
        draft.touched_at = utcnow().isoformat()
        self.put(context, draft)
        await self.checkpoint(update, context, step)
        self._asked(context).add(update.effective_user.id)
        return step

    def _asked(self, context: LianxinContext) -> set[int]:
        """Users this running application has asked a step (so its buttons are on screen). A form
        restored after a restart is not in here, and its buttons may be gone. bot_data is never
        persisted, so this is per process."""
        return context.bot_data.setdefault(f"asked:{self.name}", set())

    # --- buttons ---------------------------------------------------------------------------
    async def pressed(
        self,
        update: Update,
        context: LianxinContext,
        *actions: str,
        values: Mapping[str, Collection[str]] | None = None,
    ) -> FormButton | None:
        """Answer the query; the button if it is this form's, this step's and offers a value this step
        offered (`values`: per action, when the action has a fixed set); else None, answered as stale."""
        query = update.callback_query
        button = FormButton.parse(query.data or "", self.name)
        draft = self.get(context)
        allowed = values.get(button.action) if (values and button) else None
        if (
            button is None
            or draft is None
            or button.nonce != draft.nonce
            or button.action not in actions
            or (allowed is not None and button.value not in allowed)
        ):
            await answer(query, t("stale_button"))
            return None
        await answer(query)
        return button

    @staticmethod
    def pressed_label(update: Update) -> str:
        """The text of the button that was pressed (as the user saw it)."""
        query = update.callback_query
        markup = query.message.reply_markup if query.message else None
        for row in markup.inline_keyboard if markup else ():
            for button in row:
                if button.callback_data == query.data:
                    return button.text
        return ""

    @staticmethod
    async def mark_choice(update: Update, choice: str) -> None:
        """Show the choice on the pressed message and drop its buttons, so it can't be pressed twice."""
        query = update.callback_query
        try:
            await query.edit_message_text(f"{query.message.text_html}\n✔ {t('choice', value=choice)}")
        except BadRequest:
            pass

    # --- the photo step every form with photos shares ------------------------------------------
    async def take_photo(self, update: Update, context: LianxinContext, *, limit: int, action: str) -> None:
        """A photo at the photo step: kept (largest size) up to `limit`, with a 完成 button under the count."""
        draft = self.get(context)
        if len(draft.photos) >= limit:
            await reply(update, self.text("photos_full", high=limit))
            return None
        biggest = update.effective_message.photo[-1]
        draft.photos.append([biggest.file_id, biggest.file_unique_id])
        self.put(context, draft)
        rows = [[self.button(draft, label("done"), action, Choice.DONE)]]
        await reply(update, self.text("photo_added", count=len(draft.photos), high=limit), keyboard(rows))
        return None

    # --- the voice step the forms with voices share (the draft keeps them in `voices`) ---------
    async def take_voice(self, update: Update, context: LianxinContext, draft: D, *, held: int,
                         limit: int) -> Voice | None:
        """A voice note (or an audio file) at a voice step: kept in `draft.voices` while the voices `held` are
        fewer than `limit`; the voice, or None when it is refused (the person is told why)."""
        if held >= limit:
            await reply(update, t("voice_full", high=limit))
            return None
        try:
            voice = voice_of(update.effective_message, max_seconds=context.settings.voice_max_seconds)
        except MediaProblem as problem:
            await reply(update, t(f"voice_{problem.code}", **problem.detail))
            return None
        draft.voices.append(voice.as_list())
        self.put(context, draft)
        return voice

    async def photos_pressed(self, update: Update, context: LianxinContext, *, action: str, ask: Ask,
                             advance: Callable) -> Any:
        """完成 / 跳过 / 清空重新上传 at the photo step: clear asks again; skip drops them; both go on."""
        button = await self.pressed(update, context, action, values={action: (Choice.DONE, Choice.SKIP, Choice.CLEAR)})
        if button is None:
            return None
        draft = self.get(context)
        if button.value == Choice.CLEAR:
            draft.photos = []
            await self.mark_choice(update, label("photos_cleared"))
            return await ask(update, context, draft)
        if button.value == Choice.SKIP:
            draft.photos = []
        await self.mark_choice(
            update, label("skip") if button.value == Choice.SKIP else label("photos_count", count=len(draft.photos)))
        return await advance(update, context, draft)

    # --- guards ----------------------------------------------------------------------------
    def guarded(self, handler: Handler) -> Handler:
        """For state handlers: a form whose draft is gone (expired while the bot was down) ends politely."""

        @functools.wraps(handler)
        async def wrapper(update: Update, context: LianxinContext) -> Any:
            if self.get(context) is not None:
                # any answer, even a wrong one, means the user is still there
                context.user_data[FORM_KEY]["touched_at"] = utcnow().isoformat()
                return await handler(update, context)
            if update.callback_query:
                await update.callback_query.answer(t("stale_button"), show_alert=True)
            await self.end(update, context)
            await reply(update, self.text("expired"))
            return END

        return wrapper

    def entry(self, handler: Handler) -> Handler:
        """For entry points: one form per user at a time, across all forms."""

        @functools.wraps(handler)
        async def wrapper(update: Update, context: LianxinContext) -> Any:
            other = open_form(context.user_data)
            if other is not None and other["form"] != self.name and other["form"] in FORMS:
                text = FORMS[other["form"]].busy_text(other)
                if update.callback_query:
                    await update.callback_query.answer(text, show_alert=True)
                else:
                    await reply(update, text)
                return END
            return await handler(update, context)

        return wrapper

    # --- the shared fallbacks ----------------------------------------------------------------
    async def reask(self, update: Update, context: LianxinContext) -> None:
        """Ask the current step again, buttons included."""
        draft = self.get(context)
        ask = self.asks.get(draft.step) if draft else None
        if ask is not None:
            await ask(update, context, draft)

    async def use_buttons(self, update: Update, context: LianxinContext) -> None:
        """A typed message at a button step: point at the buttons; a form restored after a restart
        (whose buttons may have been removed before the crash) gets the step again with its buttons."""
        if update.effective_user.id in self._asked(context):
            await reply(update, self.text("use_buttons"))
        else:
            await self.reask(update, context)
        return None

    async def not_understood(self, update: Update, context: LianxinContext) -> None:
        """Something the current step cannot take (a sticker, a voice message, a photo at a text step)."""
        draft = self.get(context)
        if draft.step in self.button_steps:
            return await self.use_buttons(update, context)
        await reply(update, self.text("text_expected", step=self.step_name(draft.step)))
        return None

    async def busy(self, update: Update, context: LianxinContext) -> None:
        """Another command mid-form: say what is running; stay in the same step."""
        await reply(update, self.busy_text(open_form(context.user_data)))
        return None

    async def busy_button(self, update: Update, context: LianxinContext) -> None:
        """Another flow's button while the form runs: explain instead of calling it stale."""
        await update.callback_query.answer(self.busy_text(open_form(context.user_data)), show_alert=True)
        return None

    @staticmethod
    async def stale(update: Update, context: LianxinContext) -> None:
        """A button this step does not expect (an old message, or another step's): answer, change nothing."""
        await update.callback_query.answer(t("stale_button"), show_alert=True)
        return None

    async def timed_out(self, update: Update, context: LianxinContext) -> None:
        if self.get(context) is None:  # the sweep (scheduler.expire_forms) got there first and said so
            return
        self.drop(context)
        minutes = f"{context.settings.conversation_timeout_minutes:g}"
        await context.bot.send_message(update.effective_chat.id, self.text("timeout", minutes=minutes))

    def handler(
        self,
        *,
        entry_points: list[BaseHandler],
        states: dict[str, list[BaseHandler]],
        cancel: Callable,
        restart: list[BaseHandler],
        timeout_minutes: float,
    ) -> ConversationHandler:
        """The ConversationHandler: the form's steps plus the fallbacks every form shares (order matters)."""
        for step in self.button_steps:  # at a button step, typing re-asks the step with its buttons
            states.setdefault(step, []).append(MessageHandler(TEXT, self.guarded(self.use_buttons)))
        states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, self.timed_out)]  # type: ignore[index] - PTB's own state key
        fallbacks: list[BaseHandler] = [
            CommandHandler("cancel", cancel, filters=PRIVATE),
            *restart,
            # other commands and menu buttons: say what is running, stay where we are
            MessageHandler(PRIVATE & (filters.COMMAND | MENU_LABELS), self.guarded(self.busy)),
            CallbackQueryHandler(self.stale, pattern=FormButton.pattern(self.name)),
            # another flow's button gets "you are in the middle of…"; garbage is stale
            CallbackQueryHandler(self.guarded(self.busy_button), pattern=any_button_pattern(FORMS)),
            CallbackQueryHandler(self.stale),
            MessageHandler(PRIVATE, self.guarded(self.not_understood)),
        ]
        with warnings.catch_warnings():
            # per_message=False on purpose: a form mixes buttons and typed answers; stale
            # buttons are recognised by the form nonce instead of per-message tracking
            warnings.simplefilter("ignore", PTBUserWarning)
            return ConversationHandler(
                entry_points=entry_points,
                states=states,  # type: ignore[arg-type] - string states, as PTB allows
                fallbacks=fallbacks,
                name=self.conversation,
                persistent=True,
                conversation_timeout=timeout_minutes * 60,
                allow_reentry=False,
            )


@dataclass
class RecordDraft(FormDraft):
    """The draft of a form that ends with a record: photos, and whether a likely duplicate was accepted."""

    photos: list[list[str]] = field(default_factory=list)  # [file_id, file_unique_id]
    duplicate_ok: bool = False


R = TypeVar("R", bound=RecordDraft)
Step = Callable[[Update, LianxinContext, Any], Awaitable[Any]]


class RecordForm(Form[R]):
    """A form that ends with a record: a photo step, a card to confirm (确认提交 / 修改 / 取消), a step to
    pick the field to change, and a question when the record looks like one just saved. The form's
    Step and Action enums name these PHOTOS, CONFIRM, FIELD and DUPLICATE; the form supplies its card's
    text, its fields and what submitting does."""

    def __init__(self, *, actions: type[enum.StrEnum], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.actions = actions

    async def ask_photos(self, update: Update, context: LianxinContext, draft: R, text: str) -> str:
        """The photo step: 完成 / 跳过, or, with photos attached (editing, or back from the card), keep or
        replace them."""
        action = self.actions.PHOTOS
        if draft.photos:
            rows = [[self.button(draft, label("photos_keep", count=len(draft.photos)), action, Choice.DONE),
                     self.button(draft, label("photos_clear"), action, Choice.CLEAR)]]
        else:
            rows = [[self.button(draft, label("done"), action, Choice.DONE),
                     self.button(draft, label("skip"), action, Choice.SKIP)]]
        state = await self.at_step(update, context, draft, self.steps.PHOTOS)
        await reply(update, text, keyboard(rows))
        return state

    async def show_card(self, update: Update, context: LianxinContext, draft: R, text: str) -> str:
        """The card to confirm; after it, changing a field comes back here."""
        draft.reviewing = True
        action = self.actions.CONFIRM
        rows = [[self.button(draft, label("submit"), action, Choice.SUBMIT)],
                [self.button(draft, label("change"), action, Choice.EDIT),
                 self.button(draft, label("cancel"), action, Choice.CANCEL)]]
        state = await self.at_step(update, context, draft, self.steps.CONFIRM)
        await reply(update, text, keyboard(rows))
        return state

    async def ask_field(self, update: Update, context: LianxinContext, draft: R, fields: Sequence[str]) -> str:
        """Which field to change (each labelled `field_<name>`), or 返回 to the card."""
        rows = chunked([self.button(draft, label(f"field_{name}"), self.actions.FIELD, name) for name in fields], 3)
        rows.append([self.button(draft, label("back"), self.actions.FIELD, Choice.BACK)])
        state = await self.at_step(update, context, draft, self.steps.FIELD)
        await reply(update, self.text("choose_field"), keyboard(rows))
        return state

    async def ask_duplicate(self, update: Update, context: LianxinContext, draft: R, text: str) -> str:
        """`text` names the record this one looks like: 仍要提交 / 返回修改."""
        rows = [[self.button(draft, label("duplicate_yes"), self.actions.DUPLICATE, Choice.YES),
                 self.button(draft, label("duplicate_no"), self.actions.DUPLICATE, Choice.NO)]]
        state = await self.at_step(update, context, draft, self.steps.DUPLICATE)
        await reply(update, text, keyboard(rows))
        return state

    async def confirm_pressed(self, update: Update, context: LianxinContext, *,
                              field_names: Callable[[R], Sequence[str]], submit: Step,
                              cancel: Callable[[Update, LianxinContext], Awaitable[Any]]) -> Any:
        """确认提交 (submit), 修改 (which field?) or 取消 on the card."""
        action = self.actions.CONFIRM
        button = await self.pressed(update, context, action,
                                    values={action: (Choice.SUBMIT, Choice.EDIT, Choice.CANCEL)})
        if button is None:
            return None
        draft = self.get(context)
        await self.mark_choice(update, self.pressed_label(update))
        if button.value == Choice.CANCEL:
            return await cancel(update, context)
        if button.value == Choice.EDIT:
            return await self.ask_field(update, context, draft, field_names(draft))
        return await submit(update, context, draft)

    async def field_pressed(self, update: Update, context: LianxinContext, *, field_names: Callable[[R], Sequence[str]],
                            asks: Mapping[str, Step], card: Step) -> Any:
        """A field to change (its step is asked; the card comes back after it) or 返回 to the card."""
        draft = self.get(context)
        action = self.actions.FIELD
        button = await self.pressed(update, context, action, values={action: [*field_names(draft), Choice.BACK]})
        if button is None:
            return None
        if button.value == Choice.BACK:
            return await card(update, context, draft)
        await self.mark_choice(update, self.pressed_label(update))
        return await asks[button.value](update, context, draft)

    def record_states(self, *, photo_limit: int, ask_photos: Step, after_photos: Step, card: Step, submit: Step,
                      cancel: Callable[[Update, LianxinContext], Awaitable[Any]],
                      field_names: Callable[[R], Sequence[str]], asks: Mapping[str, Step]
                      ) -> dict[str, list[BaseHandler]]:
        """The handlers of the shared steps (PHOTOS, CONFIRM, FIELD, DUPLICATE) for the form's `states`:
        photos up to `photo_limit` then `after_photos`; the card's buttons; the field to change (each
        asked by `asks`, back to `card` after); the duplicate question (`submit` anyway, or the card)."""
        form = FormButton.pattern(self.name)
        guard = self.guarded

        async def on_photo(update: Update, context: LianxinContext) -> None:
            return await self.take_photo(update, context, limit=photo_limit, action=self.actions.PHOTOS)

        async def on_photos_button(update: Update, context: LianxinContext) -> Any:
            return await self.photos_pressed(update, context, action=self.actions.PHOTOS, ask=ask_photos,
                                             advance=after_photos)

        async def photos_expected(update: Update, context: LianxinContext) -> None:
            await reply(update, self.text("photos_expected"))

        async def on_confirm(update: Update, context: LianxinContext) -> Any:
            return await self.confirm_pressed(update, context, field_names=field_names, submit=submit, cancel=cancel)

        async def on_field(update: Update, context: LianxinContext) -> Any:
            return await self.field_pressed(update, context, field_names=field_names, asks=asks, card=card)

        async def on_duplicate(update: Update, context: LianxinContext) -> Any:
            return await self.duplicate_pressed(update, context, submit=submit, card=card)

        return {
            self.steps.PHOTOS: [
                MessageHandler(PRIVATE & filters.PHOTO, guard(on_photo)),
                CallbackQueryHandler(guard(on_photos_button), pattern=form),
                # anything else but a command: the step wants photos or a button
                MessageHandler(PRIVATE & ~filters.COMMAND & ~MENU_LABELS, guard(photos_expected)),
            ],
            self.steps.CONFIRM: [CallbackQueryHandler(guard(on_confirm), pattern=form)],
            self.steps.FIELD: [CallbackQueryHandler(guard(on_field), pattern=form)],
            self.steps.DUPLICATE: [CallbackQueryHandler(guard(on_duplicate), pattern=form)],
        }

    async def duplicate_pressed(self, update: Update, context: LianxinContext, *, submit: Step, card: Step) -> Any:
        """仍要提交 (submit anyway) or 返回修改 (back to the card)."""
        action = self.actions.DUPLICATE
        button = await self.pressed(update, context, action, values={action: (Choice.YES, Choice.NO)})
        if button is None:
            return None
        draft = self.get(context)
        await self.mark_choice(update, self.pressed_label(update))
        if button.value == Choice.YES:
            draft.duplicate_ok = True
            return await submit(update, context, draft)
        return await card(update, context, draft)


async def reply(update: Update, text: str, markup: ReplyMarkup | None = None) -> None:
    await update.effective_chat.send_message(text, reply_markup=markup)


async def answer(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a button press (an alert when there is text). A press replayed from the inbox after a
    restart may be too old to answer; the step still goes on, so that is not an error."""
    try:
        await query.answer(text, show_alert=text is not None)
    except BadRequest as exc:
        if "too old" not in str(exc).lower() and "invalid" not in str(exc).lower():
            raise


def voice_of(message: Message, *, max_seconds: int) -> Voice:
    """The voice note (or audio file) of a message, within the limits (MediaProblem: too long, too big)."""
    media = message.voice or message.audio
    kind = "voice" if message.voice else "audio"
    duration = media.duration or 0
    seconds = int(duration.total_seconds()) if isinstance(duration, timedelta) else int(duration)  # PTB: either
    check_voice(duration=seconds, size=media.file_size, max_seconds=max_seconds)
    return Voice(media.file_id, media.file_unique_id, seconds, kind)


async def play_back(update: Update, voices: Sequence[Voice]) -> None:
    """Send voice notes back to the person who sent them, so they can hear them before submitting. One that
    cannot be sent is left out: the card still comes, and says how many there are."""
    chat = update.effective_chat
    for n, voice in enumerate(voices, start=1):
        caption = t("voice_playback", n=n, total=len(voices), length=clock(voice.duration))
        try:
            if voice.kind == "audio":
                await chat.send_audio(voice.file_id, caption=caption)
            else:
                await chat.send_voice(voice.file_id, caption=caption)
        except TelegramError as exc:
            log.info("voice %d/%d not played back to %s: %s", n, len(voices), chat.id, exc)
