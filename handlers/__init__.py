"""All handler registration, in one place; order matters where commented."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler, MessageHandler, TypeHandler, filters

from handlers import (
    broadcast, case_action, cases, chat_member, common, export, laggards, log_activity, members, menus, my, queue, report, request,
    roster_upload, start, stats,
)
from bot.callbacks import ActivityButton, MyButton


def register(application: Application) -> None:
    # a press without data matches every pattern handler in PTB: answer it as stale before anything else
    application.add_handler(CallbackQueryHandler(common.empty_button, game_pattern=r"(?!)"), group=-2)
    # group -1 runs before everything else: who is this?
    application.add_handler(TypeHandler(Update, common.load_identity), group=-1)
    # the user blocked or unblocked the bot
    application.add_handler(ChatMemberHandler(chat_member.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))

    # new messages in private chats only: edits (should Telegram send them) are never answers
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    # the forms first: while one runs, it sees every message of its user before anything else
    application.add_handler(log_activity.build(application.settings))
    application.add_handler(request.build(application.settings))
    application.add_handler(case_action.build(application.settings))
    application.add_handler(broadcast.build(application.settings))
    application.add_handler(CommandHandler("start", start.start, filters=private))
    application.add_handler(MessageHandler(private & filters.CONTACT, start.shared_contact))
    application.add_handler(CommandHandler("help", common.help_command, filters=private))
    application.add_handler(MessageHandler(private & menus.HELP_BUTTON, common.help_command))
    application.add_handler(CommandHandler("status", common.status_command, filters=private))
    application.add_handler(CommandHandler("report", report.report_command, filters=private))
    application.add_handler(CommandHandler("my", my.my_command, filters=private))
    application.add_handler(MessageHandler(private & menus.MY_BUTTON, my.my_command))
    application.add_handler(CommandHandler("mycases", cases.mycases_command, filters=private))
    application.add_handler(MessageHandler(private & menus.MYCASES_BUTTON, cases.mycases_command))
    application.add_handler(CommandHandler("cases", cases.cases_command, filters=private))
    application.add_handler(MessageHandler(private & menus.CASES_BUTTON, cases.cases_command))
    cases.register(application)
    stats.register(application)
    export.register(application)
    roster_upload.register(application)
    laggards.register(application)
    members.register(application)
    queue.register(application)
    application.add_handler(CommandHandler("archive", my.archive_command, filters=private))
    application.add_handler(MessageHandler(private & menus.ARCHIVE_BUTTON, my.archive_command))
    application.add_handler(CallbackQueryHandler(my.my_navigate, pattern=MyButton.pattern()))
    application.add_handler(CallbackQueryHandler(my.activity_action, pattern=ActivityButton.pattern(*my.ACTIONS)))
    # the conversations are registered above these; whatever they leave falls through to here
    application.add_handler(CommandHandler("cancel", common.cancel_outside, filters=private))
    application.add_handler(MessageHandler(private & filters.COMMAND, common.unknown_command))
    # text, photos, voice, stickers…: nothing is left without an answer
    application.add_handler(MessageHandler(private & ~filters.COMMAND, common.plain_text))
    application.add_handler(CallbackQueryHandler(common.stale_button))
    application.add_error_handler(common.error_handler)
