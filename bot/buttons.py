"""Labelled buttons that more than one sender puts under a message: reminders, case deadlines, results.

A label from the text catalogue and data from the callback codec, built once for the jobs and the
CLI (as the services' `outbox.Button`, stored with an outbox message) and for the handlers (as
(label, data) rows of an inline keyboard).
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


def case_answer_row(case_id: int) -> list[tuple[str, str]]:
    """已解决 / 未解决 to a resolved case, as (label, data): under the result and the deadline's question."""
    return [(label("case_solved"), CaseButton(CaseAction.solved, case_id).pack()),
            (label("case_unsolved"), CaseButton(CaseAction.unsolved, case_id).pack())]


def case_answer_buttons(case_id: int) -> list[list[Button]]:
    """The deadline's question to the resident whether a resolved case is solved: `case_answer_row`."""
    return [[Button(text, callback_data=data) for text, data in case_answer_row(case_id)]]
