"""All handler registration, in one place; order matters where commented."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.callbacks import (
    ActivityButton,
    CaseAction,
    CaseButton,
    CheckinAction,
    CheckinButton,
    DigestButton,
    DutyButton,
    ExportButton,
    FlagButton,
    ForgetButton,
    LagButton,
    MemberButton,
    MyButton,
    QueueButton,
    RankButton,
    ReceptionButton,
    RosterButton,
    StationButton,
    StatsButton,
)
from bot.context import LianxinContext
from handlers import (
    broadcast,
    case_action,
    cases,
    chat_member,
    checkin,
    common,
    documents,
    export,
    flags,
    forget,
    laggards,
    log_activity,
    members,
    menus,
    my,
    queue,
    reception_form,
    receptions,
    report,
    request,
    roster_upload,
    start,
    stations,
    stats,
)

Callback = Callable[[Update, LianxinContext], Awaitable[Any]]


def register(application: Application) -> None:
    # a press without data matches every pattern handler in PTB: answer it as stale before anything else
    application.add_handler(CallbackQueryHandler(common.empty_button, game_pattern=r"(?!)"), group=-2)
    # group -1 runs before everything else: who is this?
    application.add_handler(TypeHandler(Update, common.load_identity), group=-1)
    # the user blocked or unblocked the bot
    application.add_handler(ChatMemberHandler(chat_member.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))

    # new messages in private chats only: edits (should Telegram send them) are never answers
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE

    def command(name: str, callback: Callback, button: filters.BaseFilter | None = None) -> None:
        """/name, and the reply-keyboard button that stands for it."""
        application.add_handler(CommandHandler(name, callback, filters=private))
        if button is not None:
            application.add_handler(MessageHandler(private & button, callback))

    def pressed(callback: Callback, pattern: str) -> None:
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))

    # a check-in link at the door counts even in the middle of a form (the form stays where it was)
    checkin_link = private & filters.Regex(r"^/start c_")
    application.add_handler(CommandHandler("start", checkin.checkin_start, filters=checkin_link))
    # the forms first: while one runs, it sees every message of its user before anything else
    application.add_handler(log_activity.build(application.settings))
    application.add_handler(request.build(application.settings))
    application.add_handler(case_action.build(application.settings))
    application.add_handler(broadcast.build(application.settings))
    application.add_handler(reception_form.build(application.settings))

    command("start", start.start)
    application.add_handler(MessageHandler(private & filters.CONTACT, start.shared_contact))
    command("help", common.help_command, menus.HELP_BUTTON)
    command("status", common.status_command)
    command("report", report.report_command)
    command("my", my.my_command, menus.MY_BUTTON)
    command("archive", my.archive_command, menus.ARCHIVE_BUTTON)
    pressed(my.my_navigate, MyButton.pattern())
    pressed(my.activity_action, ActivityButton.pattern(*my.ACTIONS))
    # the documents: a member's duty report; a scope's duty reports and 社情民意 digest
    command("report_me", documents.report_me_command)
    pressed(documents.duty_pressed, DutyButton.pattern())
    command("duty_reports", documents.duty_reports_command)
    command("digest", documents.digest_command)
    pressed(documents.digest_theme, DigestButton.pattern())

    # cases: the lists, and the buttons that act at once (the typed actions are the form above)
    command("mycases", cases.mycases_command, menus.MYCASES_BUTTON)
    command("cases", cases.cases_command, menus.CASES_BUTTON)
    pressed(cases.on_accept, CaseButton.pattern(CaseAction.accept))
    pressed(cases.on_answer, CaseButton.pattern(CaseAction.solved, CaseAction.unsolved, CaseAction.rate))
    pressed(cases.on_assign, CaseButton.pattern(CaseAction.assign))
    pressed(cases.on_view, CaseButton.pattern(CaseAction.view))
    pressed(cases.mycases_page, CaseButton.pattern(CaseAction.page))
    command("forget", forget.forget_command)
    pressed(forget.on_button, ForgetButton.pattern())

    # staff
    command("stats", stats.stats_command)
    command("ranking", stats.ranking_command)
    pressed(stats.stats_navigate, StatsButton.pattern())
    pressed(stats.ranking_navigate, RankButton.pattern())
    command("export", export.export_command)
    pressed(export.export_pressed, ExportButton.pattern())
    # a document outside any form: an admin's roster (the forms above take their own documents first)
    application.add_handler(MessageHandler(private & filters.Document.ALL, roster_upload.roster_document))
    pressed(roster_upload.roster_pressed, RosterButton.pattern())
    command("laggards", laggards.laggards_command)
    pressed(laggards.laggards_button, LagButton.pattern())
    command("member", members.member_command)
    pressed(members.on_button, MemberButton.pattern())
    command("queue", queue.queue_command)
    pressed(queue.on_button, QueueButton.pattern())
    pressed(flags.on_button, FlagButton.pattern())
    command("checkin_qr", checkin.checkin_qr_command)
    pressed(checkin.on_qr_button, CheckinButton.pattern(CheckinAction.qr, CheckinAction.rotate))

    # reception days: residents find and sign up, members list and cancel (修改 is the form above)
    command("receptions", receptions.receptions_command, menus.RECEPTIONS_BUTTON)
    command("mysignups", receptions.mysignups_command)
    command("myreceptions", receptions.myreceptions_command)
    pressed(receptions.on_button, ReceptionButton.pattern(*receptions.ACTIONS))
    # a location outside any form: the reception days nearest to it
    application.add_handler(MessageHandler(private & filters.LOCATION, receptions.on_location))

    command("station", stations.station_command)
    pressed(stations.on_button, StationButton.pattern())

    # the conversations are registered above these; whatever they leave falls through to here
    command("cancel", common.cancel_outside)
    application.add_handler(MessageHandler(private & filters.COMMAND, common.unknown_command))
    # text, photos, voice, stickers…: nothing is left without an answer
    application.add_handler(MessageHandler(private & ~filters.COMMAND, common.plain_text))
    application.add_handler(CallbackQueryHandler(common.stale_button))
    application.add_error_handler(common.error_handler)
