"""The callback codec (bot/callbacks.py): every button kind packs and parses back to itself,
malformed data parses to nothing, and every pattern matches exactly its own kind's data."""

from __future__ import annotations

import re

import pytest

from bot.callbacks import (
    MAX_BYTES,
    ActivityAction,
    ActivityButton,
    Button,
    CaseAction,
    CaseButton,
    ExportButton,
    FormButton,
    LagAction,
    LagButton,
    MemberAction,
    MemberButton,
    MyButton,
    MyView,
    QueueAction,
    QueueButton,
    RankButton,
    RankView,
    RemindButton,
    RosterAction,
    RosterButton,
    StatsButton,
    StatsDim,
    StatsView,
    any_button_pattern,
)
from bot.services.exports import ExportPeriod, ExportSection

BIG = 2**63 - 1
EXAMPLES: list[Button] = [
    MyButton(MyView.quarter, "2026Q4", 0), MyButton(MyView.page, "2026Q1", 25),
    ActivityButton(ActivityAction.delete_ok, BIG),
    RemindButton(),
    CaseButton(CaseAction.view, 12), CaseButton(CaseAction.rate, 12, 5), CaseButton(CaseAction.page, 0, 10),
    CaseButton(CaseAction.assign, BIG, BIG),
    QueueButton(QueueAction.page, 0, 15), QueueButton(QueueAction.reroute, 7, 5),
    StatsButton(StatsView.summary, "2026"), StatsButton(StatsView.chart, "2025Q1", StatsDim.kind, "visit"),
    StatsButton(StatsView.list, "2026Q4", StatsDim.region, str(BIG), StatsDim.region, 1_000_000),
    RankButton(RankView.cases, "2026Q1", 20),
    ExportButton(ExportSection.cases), ExportButton(ExportSection.summary, ExportPeriod.last_year),
    RosterButton(RosterAction.deactivate, "0123456789ab"),
    LagButton(LagAction.page, 20, 20), LagButton(LagAction.nudge, 123, 10),
    MemberButton(MemberAction.reactivate_ok, 9, 40),
]


@pytest.mark.parametrize("button", EXAMPLES, ids=lambda b: b.pack())
def test_every_kind_round_trips_within_the_limit_and_only_its_own_pattern_matches(button: Button) -> None:
    data = button.pack()
    assert len(data.encode()) <= MAX_BYTES
    assert type(button).parse(data) == button
    matching = {kind for kind in Button.KINDS.values() if re.match(kind.pattern(), data)}
    assert matching == {type(button)}
    assert re.match(any_button_pattern(()), data)
    others = [kind for kind in Button.KINDS.values() if kind is not type(button)]
    assert all(kind.parse(data) is None for kind in others)


@pytest.mark.parametrize("data", [
    "", "my", "my:x:2026Q4:0", "my:q:2026Q4:-1", "my:q:2026Q4:0:extra",
    "act:view:99999999999999999999999", "act:view:²", "act:edit:٣٣", "act:view:0", "act:fly:1",
    "rm", "rm:other", "rm:log:1",
    "case:v:0:0", "case:acc:00:0", "case:zz:1:0", "case:v:1", "case:rate:1:-5",
    "que:o:0:0", "que:pg:0:x",
    "st:s:2026Q5:-:0:-:0", "st:s:2026:g:abc:-:0", "st:s:2026:g:0:-:0", "st:l:2026:-:0:-:0",
    "st:s:2026:k:Visit!:-:0", "st:s:2026:x:1:-:0", "st:s:2026:-:7:-:0", "st:s:2026:g:１:-:0",
    "st:s:2026:g:99999999999999999999:-:0", "st:s:2026",
    "rk:x:2026:0", "rk:p:2026:-1", "rk:p:26:0",
    "ex", "ex:q", "ex:m:zz", "ex:m:tq:1",
    "rs:ok:XYZ", "rs:ok:0123456789abc", "rs:go:0123456789ab",
    "lag:n:1:x", "lag:p:10:0", "lag:q:1:0", "lag:n:99999999999999999999:0", "lag:n:0:0",
    "mbr:v:0:0", "mbr:v:1:-1",
])
def test_malformed_data_parses_to_nothing(data: str) -> None:
    assert all(kind.parse(data) is None for kind in Button.KINDS.values()), data


def test_patterns_name_the_actions_asked_for() -> None:
    accept = CaseButton.pattern(CaseAction.accept)
    assert re.match(accept, CaseButton(CaseAction.accept, 1).pack())
    assert not re.match(accept, CaseButton(CaseAction.view, 1).pack())
    assert re.match(ExportButton.pattern(), "ex:m") and not re.match(ExportButton.pattern(), "ex:m:tq:x")
    assert re.match(RemindButton.pattern(), "rm:log") and not re.match(RemindButton.pattern(), "rm:log:")


def test_form_buttons_carry_their_form_and_forms_cannot_take_a_button_prefix() -> None:
    button = FormButton("log", "a1b2c3", "kind", "visit")
    assert FormButton.parse(button.pack(), "log") == button
    assert FormButton.parse(button.pack(), "req") is None
    with pytest.raises(ValueError):
        FormButton.check_form_name("case")
    assert re.match(any_button_pattern(["log"]), button.pack()) and not re.match(any_button_pattern(()), "log:x")


def test_data_too_long_is_refused_when_packing() -> None:
    with pytest.raises(ValueError):
        StatsButton(StatsView.summary, "2026", StatsDim.kind, "k" * 60).pack()
