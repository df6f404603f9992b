"""python-telegram-bot persistence kept in our own database, so forms survive restarts.

Only user_data (form drafts) and conversation states are stored; chat, bot and
callback data are switched off. The application flushes after every update
(see `bot.app.LianxinApplication`), so an unclean stop loses at most the update
being processed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import delete
from sqlmodel import select
from telegram.ext import BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.db import Database, dialect_insert
from models import BotState, utcnow

log = logging.getLogger(__name__)
USER = "user_data"
CONVERSATION = "conversation:"


class SQLPersistence(BasePersistence[dict, dict, dict]):
    """Stores user_data and conversations as JSON rows in the `botstate` table."""

    def __init__(self, db: Database, update_interval: float = 5) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False),
            update_interval=update_interval,
        )
        self.db = db

    async def _put(self, kind: str, key: str, data: Any) -> None:
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        statement = dialect_insert(self.db.dialect, BotState.__table__).values(
            kind=kind, key=key, data=payload, updated_at=utcnow()
        )
        statement = statement.on_conflict_do_update(
            index_elements=["kind", "key"], set_={"data": payload, "updated_at": utcnow()}
        )
        async with self.db.session() as session:
            await session.exec(statement)
            await session.commit()

    async def _drop(self, kind: str, key: str) -> None:
        async with self.db.session() as session:
            await session.exec(delete(BotState).where(BotState.kind == kind, BotState.key == key))
            await session.commit()

    def _put_statement(self, kind: str, key: str, data: Any):  # noqa: ANN202
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        statement = dialect_insert(self.db.dialect, BotState.__table__).values(
            kind=kind, key=key, data=payload, updated_at=utcnow()
        )
        return statement.on_conflict_do_update(
            index_elements=["kind", "key"], set_={"data": payload, "updated_at": utcnow()}
        )

    async def stage_form_state(
        self, session, *, user_id: int, user_data: dict, conversation: str, key: tuple, state: str | None  # noqa: ANN001
    ) -> None:
        """Write a user's data and one conversation state in the caller's session (the caller commits).

        So a form can store its record and end itself in one commit.
        """
        if user_data:
            await session.exec(self._put_statement(USER, str(user_id), user_data))
        else:
            await session.exec(delete(BotState).where(BotState.kind == USER, BotState.key == str(user_id)))
        encoded = json.dumps(list(key))
        if state is None:
            await session.exec(
                delete(BotState).where(BotState.kind == CONVERSATION + conversation, BotState.key == encoded)
            )
        else:
            await session.exec(self._put_statement(CONVERSATION + conversation, encoded, state))

    async def write_form_state(
        self, *, user_id: int, user_data: dict, conversation: str, key: tuple, state: str | None
    ) -> None:
        """`stage_form_state` in a transaction of its own."""
        async with self.db.session() as session:
            await self.stage_form_state(
                session, user_id=user_id, user_data=user_data, conversation=conversation, key=key, state=state
            )
            await session.commit()

    async def _all(self, kind: str) -> list[tuple[str, Any]]:
        async with self.db.session() as session:
            rows = (await session.exec(select(BotState.key, BotState.data).where(BotState.kind == kind))).all()
        return [(key, json.loads(data)) for key, data in rows]

    async def get_user_data(self) -> dict[int, dict]:
        return {int(key): data for key, data in await self._all(USER)}

    async def update_user_data(self, user_id: int, data: dict) -> None:
        if data:
            await self._put(USER, str(user_id), data)
        else:
            await self._drop(USER, str(user_id))

    async def drop_user_data(self, user_id: int) -> None:
        await self._drop(USER, str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        """Nothing to refresh: this process is the only writer of its users' data."""

    async def get_conversations(self, name: str) -> ConversationDict:
        return {tuple(json.loads(key)): state for key, state in await self._all(CONVERSATION + name)}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        encoded = json.dumps(list(key))
        if new_state is None:
            await self._drop(CONVERSATION + name, encoded)
        else:
            await self._put(CONVERSATION + name, encoded, new_state)

    # switched off by PersistenceInput, but abstract in BasePersistence
    async def get_chat_data(self) -> dict[int, dict]:
        return {}

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        return None

    async def get_bot_data(self) -> dict:
        return {}

    async def update_bot_data(self, data: dict) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict) -> None:
        return None

    async def get_callback_data(self) -> None:
        return None

    async def update_callback_data(self, data: object) -> None:
        return None

    async def flush(self) -> None:
        """Every write is committed when made; nothing is buffered."""
