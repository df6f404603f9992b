"""The roster from the chat: an admin sends the file, gets the dry run, and presses 确认导入 to apply it.

The same use case as `python -m bot members import` (`bot.services.roster_import.run_import`, every
safeguard included), run in a thread because the import is blocking. What waits for the
confirmation is kept in the admin's persisted user data (`PENDING_KEY`): the Telegram file id,
the file's SHA-256 and the dry run's fingerprint, under a random token the buttons carry. A
new file replaces it (old buttons go stale); a restart keeps it; the confirmation downloads the
same file again, checks its digest, and commits only if the import still gives the dry run's
result (otherwise it shows the new dry run and asks again).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import shutil
import tempfile
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit
from telegram.error import TelegramError

from bot.callbacks import RosterAction, RosterButton
from bot.context import LianxinContext
from bot.services.roster import SUFFIXES, RosterFileError
from bot.services.roster_import import ImportRun, file_error, fingerprint, render_import, run_import
from bot.texts import label, log_line, t
from handlers.common import plain_text
from handlers.views import checked_press

log = logging.getLogger(__name__)

PENDING_KEY = "roster_pending"  # user_data: the file waiting for 确认导入
MAX_ROSTER_BYTES = 20 * 1024 * 1024  # the cloud Bot API's download limit (getFile)
MAX_DEACTIVATE_SHARE = 0.2  # as `members import`; the chat has no --force
BODY_BUDGET = MessageLimit.MAX_TEXT_LENGTH - 600  # room for the message's own words around the body
CHAT_MAX_ERRORS = 40


def fit(lines: list[str], budget: int = BODY_BUDGET) -> str:
    """Join lines until `budget` characters, then say the rest was left out."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > budget:
            kept.append(t("roster_cut"))
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


async def _download(context: LianxinContext, file_id: str, suffix: str) -> tuple[Path, str]:
    """The file into a new temporary folder (the caller removes it) and its SHA-256."""
    folder = Path(tempfile.mkdtemp(prefix="lianxin-roster-"))
    path = folder / f"roster{suffix}"
    try:
        telegram_file = await context.bot.get_file(file_id)
        await telegram_file.download_to_drive(path)
        digest = await asyncio.to_thread(lambda: hashlib.sha256(path.read_bytes()).hexdigest())
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return path, digest


def _keyboard(token: str, run: ImportRun) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(label("roster_confirm"),
                                  callback_data=RosterButton(RosterAction.confirm, token).pack())]]
    report = run.report
    if report.missing and report.rows and report.missing_share <= MAX_DEACTIVATE_SHARE:
        rows.append([InlineKeyboardButton(label("roster_confirm_deactivate", count=report.missing),
                                          callback_data=RosterButton(RosterAction.deactivate, token).pack())])
    rows.append([InlineKeyboardButton(label("roster_cancel"),
                                      callback_data=RosterButton(RosterAction.cancel, token).pack())])
    return InlineKeyboardMarkup(rows)


async def _preview(update: Update, context: LianxinContext, *, name: str, file_id: str, path: Path,
                   digest: str) -> None:
    """Run the dry run, reply with it, and keep the file as pending when there is something to apply."""
    chat = update.effective_chat
    try:
        run = await asyncio.to_thread(run_import, context.db.url, path, apply=False,
                                      max_deactivate_share=MAX_DEACTIVATE_SHARE)
    except RosterFileError as exc:
        context.user_data.pop(PENDING_KEY, None)
        await chat.send_message(t("roster_rejected", name=name, body=file_error(exc)))
        return
    text = render_import(run.report, dry_run=True, deactivate_missing=False, max_deactivate_share=MAX_DEACTIVATE_SHARE,
                         max_errors=CHAT_MAX_ERRORS, kept_key="summary_kept_chat")
    if text.errors:
        context.user_data.pop(PENDING_KEY, None)
        await chat.send_message(t("roster_rejected", name=name, body=fit(text.notes + text.errors)))
        return
    report = run.report
    extra = []
    if report.missing and report.rows:
        share = round(report.missing_share * 100)
        extra.append(t("roster_deactivate_offer", count=report.missing) if report.missing_share <= MAX_DEACTIVATE_SHARE
                     else t("roster_deactivate_refused", count=report.missing, share=share,
                            limit=round(MAX_DEACTIVATE_SHARE * 100)))
    body = fit(text.notes + text.lines)
    if not (report.created or report.updated or (report.missing and report.rows)):
        context.user_data.pop(PENDING_KEY, None)
        await chat.send_message(t("roster_preview_nothing", name=name, body=body))
        return
    token = secrets.token_hex(6)
    context.user_data[PENDING_KEY] = {"token": token, "file_id": file_id, "name": name, "sha256": digest,
                                      "suffix": path.suffix, "fingerprint": fingerprint(report)}
    await chat.send_message("\n".join([t("roster_preview", name=name, body=body), *extra]),
                            reply_markup=_keyboard(token, run))


async def roster_document(update: Update, context: LianxinContext) -> None:
    """A document outside any form: an admin's roster; residents keep their hint, others are told who may import."""
    identity = context.identity
    message = update.effective_message
    if identity is None or not identity.is_admin:
        if identity is not None and identity.role == "resident":
            await plain_text(update, context)
        else:
            await message.reply_text(t("roster_admins_only"))
        return
    document = message.document
    name = document.file_name or ""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        await message.reply_text(t("roster_wrong_type", name=name or "?"))
        return
    if (document.file_size or 0) > MAX_ROSTER_BYTES:
        await message.reply_text(t("roster_too_big", size=round(document.file_size / 1024 / 1024, 1),
                                   limit=MAX_ROSTER_BYTES // 1024 // 1024))
        return
    # a new file replaces the one waiting: its buttons go stale now, whatever this file turns out to be
    context.user_data.pop(PENDING_KEY, None)
    await message.reply_text(t("roster_checking", name=name))
    try:
        path, digest = await _download(context, document.file_id, suffix)
    except TelegramError as exc:
        log.warning(log_line("roster_download", user=update.effective_user.id, error=exc))
        await message.reply_text(t("roster_download_failed"))
        return
    try:
        await _preview(update, context, name=name, file_id=document.file_id, path=path, digest=digest)
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)


async def roster_pressed(update: Update, context: LianxinContext) -> None:
    """确认导入 / 确认导入并停用 / 取消 under a dry run: only the admin's current pending file is applied."""
    query = update.callback_query
    identity = context.identity
    user = update.effective_user.id
    button = await checked_press(update, RosterButton, allowed=identity is not None and identity.is_admin,
                                 refusal="roster_admins_only",
                                 refused_log=log_line("roster_refused", user=user, data=query.data))
    if button is None:
        return
    pending = context.user_data.get(PENDING_KEY)
    if not pending or pending.get("token") != button.token:
        log.info(log_line("roster_stale", user=user, data=query.data))
        await query.answer(t("roster_stale"), show_alert=True)
        return
    # taken before anything else: a second press (or a replay) finds nothing to apply
    context.user_data.pop(PENDING_KEY, None)
    await query.answer()
    await query.edit_message_reply_markup(None)
    name = pending["name"]
    chat = update.effective_chat
    if button.action is RosterAction.cancel:
        await chat.send_message(t("roster_cancelled", name=name))
        return
    await chat.send_message(t("roster_applying", name=name))
    try:
        path, digest = await _download(context, pending["file_id"], pending["suffix"])
    except TelegramError as exc:
        log.warning(log_line("roster_download", user=user, error=exc))
        await chat.send_message(t("roster_download_failed"))
        return
    try:
        if digest != pending["sha256"]:  # other bytes under the same file id: never apply what was not shown
            await chat.send_message(t("roster_changed"))
            await _preview(update, context, name=name, file_id=pending["file_id"], path=path, digest=digest)
            return
        deactivate = button.action is RosterAction.deactivate
        try:
            run = await asyncio.to_thread(run_import, context.db.url, path, apply=True, deactivate_missing=deactivate,
                                          max_deactivate_share=MAX_DEACTIVATE_SHARE, expect=pending["fingerprint"])
        except RosterFileError as exc:
            await chat.send_message(t("roster_rejected", name=name, body=file_error(exc)))
            return
        text = render_import(run.report, dry_run=False, deactivate_missing=deactivate,
                             max_deactivate_share=MAX_DEACTIVATE_SHARE, max_errors=CHAT_MAX_ERRORS,
                             kept_key="summary_kept_chat")
        if text.errors:
            await chat.send_message(t("roster_rejected", name=name, body=fit(text.notes + text.errors)))
        elif text.refusal:
            await chat.send_message(t("roster_refused", reason=text.refusal))
        elif run.changed:
            await chat.send_message(t("roster_changed"))
            await _preview(update, context, name=name, file_id=pending["file_id"], path=path, digest=digest)
        else:
            report = run.report
            log.info(log_line("roster_applied", user=user, created=report.created, updated=report.updated,
                              deactivated=report.deactivated))
            await chat.send_message(t("roster_applied", name=name, body=fit(text.lines)))
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
