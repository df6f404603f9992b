"""The one catalogue of user-facing texts (简体中文), rendered as Telegram HTML; one module per feature.

Every value passed to `t()` is HTML-escaped unless wrapped in `Safe` (already-rendered
HTML made by this package). Templates use str.format fields. Each feature module writes
its own part of TEXTS, BUTTONS, CLI, LOG_LINES and FORM_STEPS; they are merged here, and
a key that two modules define stops the import.
"""

from __future__ import annotations

from bot.texts import (
    backups,
    broadcast,
    cases,
    checkin,
    cli,
    common,
    documents,
    export,
    flags,
    forget,
    laggards,
    log,
    logs,
    members,
    menus,
    my,
    queue,
    receptions,
    reminders,
    request,
    roster,
    scopes,
    shell,
    standby,
    start,
    stations,
    stats,
    voice,
    webapp,
)
from bot.texts.broadcast import render_broadcast_progress, render_notice
from bot.texts.cases import (
    CASE_ACTION_NAMES,
    CASE_ACTOR_NAMES,
    CASE_STATUS_NAMES,
    NEAR_NAMES,
    case_problem,
    routing_reason,
)
from bot.texts.catalogue import (
    BUTTONS,
    CLI,
    FORM_STEPS,
    LOG_LINES,
    TEXTS,
    DuplicateKey,
    Safe,
    cli_text,
    fill,
    label,
    log_line,
    merge,
    plain,
    t,
)
from bot.texts.cli import ARG_KINDS, SETTING_EXAMPLES, setting_problem
from bot.texts.common import LEVEL_NAMES, ROLE_NAMES, number, progress_bar
from bot.texts.documents import DIGEST, DUTY, cn_ordinal
from bot.texts.export import EXPORT, EXPORT_PERIOD_NAMES, EXPORT_SECTION_NAMES
from bot.texts.laggards import render_laggard_line, render_nudge
from bot.texts.menus import COMMANDS
from bot.texts.my import ARCHIVE, ARCHIVE_COLUMNS
from bot.texts.queue import QUEUE_REASON_NAMES
from bot.texts.reminders import (
    OCCASION_NAMES,
    OUTBOX_STATUS_NAMES,
    QUARTER_END_MAX_LINES,
    RULE_NAMES,
    render_quarter_end,
    render_reminder,
)
from bot.texts.scopes import SCOPE_NAMES, committee_label, group_label, scope_label, scope_text
from bot.texts.stats import REPORT, SHEET, STATS_CHART, STATS_DIMENSION_NAMES, pace_text, sheet_caption
from bot.texts.webapp import WEBAPP_PAGE

FEATURES = (common, menus, start, log, my, request, cases, reminders, scopes, stats, export, roster, laggards,
            broadcast, members, queue, cli, logs, shell, checkin, backups, forget, documents, receptions, voice, stations,
            standby, webapp, flags)

fill(TEXTS, "TEXTS", FEATURES)
fill(BUTTONS, "BUTTONS", FEATURES)
fill(CLI, "CLI", FEATURES)
fill(LOG_LINES, "LOG_LINES", FEATURES)
fill(FORM_STEPS, "FORM_STEPS", FEATURES)

__all__ = [
    "ARCHIVE", "ARCHIVE_COLUMNS", "ARG_KINDS", "BUTTONS", "CASE_ACTION_NAMES", "CASE_ACTOR_NAMES", "CASE_STATUS_NAMES",
    "CLI", "COMMANDS", "DIGEST", "DUTY", "EXPORT", "EXPORT_PERIOD_NAMES", "EXPORT_SECTION_NAMES", "FEATURES", "FORM_STEPS", "LEVEL_NAMES",
    "LOG_LINES", "NEAR_NAMES", "OCCASION_NAMES", "OUTBOX_STATUS_NAMES", "QUARTER_END_MAX_LINES", "QUEUE_REASON_NAMES",
    "REPORT", "ROLE_NAMES", "RULE_NAMES", "SCOPE_NAMES", "SHEET", "SETTING_EXAMPLES", "STATS_CHART", "STATS_DIMENSION_NAMES",
    "TEXTS", "DuplicateKey", "Safe", "case_problem", "cli_text", "cn_ordinal", "committee_label", "group_label", "label", "log_line", "merge",
    "number", "pace_text", "plain", "progress_bar", "render_broadcast_progress", "render_laggard_line", "render_notice",
    "render_nudge", "render_quarter_end", "render_reminder", "routing_reason", "scope_label", "scope_text",
    "setting_problem", "sheet_caption", "t",
    "WEBAPP_PAGE",
]
