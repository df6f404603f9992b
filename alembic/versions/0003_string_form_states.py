"""Form states by name: stored integer states and `log_draft` drafts become string states and `form` drafts.

Before this revision the /log conversation stored its state as an index into
`range(10)`; a new step would have renumbered every form in progress. Forms left open
across the upgrade continue where they were.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# the /log steps as they were numbered up to revision 0002
OLD_STEPS = ["kind", "date", "place", "place_text", "people", "summary", "photos", "confirm", "field", "duplicate"]
CONVERSATION = "conversation:log_activity"

botstate = sa.table(
    "botstate", sa.column("kind", sa.String), sa.column("key", sa.String), sa.column("data", sa.String)
)


def _rows(connection, kind: str):  # noqa: ANN001, ANN202
    return connection.execute(sa.select(botstate.c.key, botstate.c.data).where(botstate.c.kind == kind)).all()


def _write(connection, kind: str, key: str, data: object) -> None:  # noqa: ANN001
    connection.execute(
        botstate.update()
        .where(botstate.c.kind == kind, botstate.c.key == key)
        .values(data=json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    )


def upgrade() -> None:
    connection = op.get_bind()
    for key, raw in _rows(connection, CONVERSATION):
        state = json.loads(raw)
        if isinstance(state, int) and 0 <= state < len(OLD_STEPS):
            _write(connection, CONVERSATION, key, OLD_STEPS[state])
    for key, raw in _rows(connection, "user_data"):
        data = json.loads(raw)
        draft = data.pop("log_draft", None) if isinstance(data, dict) else None
        if not isinstance(draft, dict):
            continue
        step = draft.get("step", 0)
        draft["step"] = OLD_STEPS[step] if isinstance(step, int) and 0 <= step < len(OLD_STEPS) else "kind"
        draft["form"] = "log"
        data["form"] = draft
        _write(connection, "user_data", key, data)


def downgrade() -> None:
    connection = op.get_bind()
    for key, raw in _rows(connection, CONVERSATION):
        state = json.loads(raw)
        if state in OLD_STEPS:
            _write(connection, CONVERSATION, key, OLD_STEPS.index(state))
    for key, raw in _rows(connection, "user_data"):
        data = json.loads(raw)
        draft = data.pop("form", None) if isinstance(data, dict) else None
        if not isinstance(draft, dict) or draft.pop("form", None) != "log":
            continue
        draft["step"] = OLD_STEPS.index(draft["step"]) if draft.get("step") in OLD_STEPS else 0
        data["log_draft"] = draft
        _write(connection, "user_data", key, data)
