"""my_chat_member: Telegram says a user blocked (kicked) or unblocked (member) the bot in their private chat."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.constants import ChatType

from bot.context import LianxinContext
from bot.services.reachability import mark_blocked, mark_reachable
from bot.texts import log_line
from models import utcnow

log = logging.getLogger(__name__)


async def my_chat_member(update: Update, context: LianxinContext) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    status = change.new_chat_member.status
    user_id = change.from_user.id
    async with context.db.session() as session:
        if status in (ChatMember.BANNED, ChatMember.LEFT):  # BANNED is "kicked"
            await mark_blocked(session, telegram_id=user_id, now=utcnow())
            word = "屏蔽了"
        elif status == ChatMember.MEMBER:
            await mark_reachable(session, telegram_id=user_id, now=utcnow())
            word = "重新启用了"
        else:
            return
        await session.commit()
    log.info(log_line("blocked_event", user=user_id, change=word))
