"""Labelled buttons that messages written to the outbox carry (reminders, case deadlines).

Built here once for the jobs and the CLI that enqueue those messages: a label from the text
catalogue and data from the callback codec. The handlers' own inline keyboards are built in
`handlers/`; these are the services' `outbox.Button`s, stored with the message.
"""

from __future__ import annotations

from bot.callbacks import CaseAction, CaseButton, RemindButton
from bot.services.outbox import Button
from bot.texts import label


def log_button() -> Button:
    """Under a reminder: opens the /log form."""
    return Button(label("remind_log"), callback_data=RemindButton().pack())


def case_view_button(case_id: int) -> Button:
    """Under a case deadline's message to the member or the staff: opens the case."""
    return Button(label("case_open"), callback_data=CaseButton(CaseAction.view, case_id).pack())


def case_answer_buttons(case_id: int) -> list[list[Button]]:
    """Under the question to the resident whether a resolved case is solved: 已解决 / 未解决."""
    return [[Button(label("case_solved"), callback_data=CaseButton(CaseAction.solved, case_id).pack()),
             Button(label("case_unsolved"), callback_data=CaseButton(CaseAction.unsolved, case_id).pack())]]
