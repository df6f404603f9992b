"""The button under a reminder: opens the /log form.

`open_log` must be an entry point of the /log ConversationHandler (so the form's state is
tracked): `CallbackQueryHandler(reminders.open_log, pattern=RemindButton.pattern())` in
`handlers.log_activity.build`'s entry points — the lead wires it.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.context import LianxinContext
from handlers.log_activity import start_log


async def open_log(update: Update, context: LianxinContext) -> str | int:
    """A reminder's 登记 button: the same as sending /log."""
    query = update.callback_query
    if query is not None:
        await query.answer()
    if update.effective_chat is None:
        return ConversationHandler.END
    return await start_log(update, context)
