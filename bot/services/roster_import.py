"""A roster import as a use case, shared by `members import` and the chat: run it, then say what it did.

`run_import` opens the one transaction (a dry run always rolls back; a real run commits only
when the file is good, not refused and, when asked, still gives the dry run's result).
`render_import` turns the report into plain Chinese lines (through `render_register_import`, which the
station import shares in its own words): the CLI prints `notes` and `errors` on stderr and `lines`
on stdout; the chat joins them into one escaped message within Telegram's limit.
Blocking (a sync connection, Core executemany): the bot runs it in a thread.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.db import sync_engine
from bot.services.roster import (
    HEADER_NAMES,
    ROSTER,
    ImportReport,
    Layout,
    RegisterImport,
    RosterFileError,
    RosterSource,
    RowError,
    check_file,
    import_roster,
)
from bot.texts import LEVEL_NAMES, cli_text
from models import Level

MAX_ERRORS = 200


@dataclass
class ImportText:
    notes: list[str] = field(default_factory=list)  # which sheet and row were read, ignored and absent columns
    errors: list[str] = field(default_factory=list)  # the file was rejected: a headline, then one line per row
    lines: list[str] = field(default_factory=list)  # changes, who is missing, the summary
    refusal: str | None = None  # a real run refused (mass deactivation): nothing was written


def column_name(key: str | None) -> str:
    if key == "active":
        return cli_text("field_active")
    return HEADER_NAMES.get(key or "", key or "")


def shown(key: str, value: object) -> str:
    if isinstance(value, Level):
        return LEVEL_NAMES[value]
    if key == "active":
        return cli_text("state_active") if value else cli_text("state_inactive")
    return str(value) if value not in (None, "") else cli_text("empty_value")


def file_error(exc: RosterFileError, layout: Layout = ROSTER) -> str:
    """Why a file cannot be read as a roster (or another file of `layout`) at all."""
    values = {"noun": cli_text(f"file_noun_{layout.name}"), "required": layout.required_names,
              "command": layout.name, **exc.values}
    code = exc.code
    if code == "lookalike":
        values["missing"] = "、".join(values.get("missing") or [])
        if not values["missing"]:
            code = "lookalike_optional"
    if code == "not_found":
        suggestions = values.pop("suggestions", [])
        values["hint"] = cli_text("did_you_mean", names="、".join(suggestions)) if suggestions else ""
    if code == "wrong_suffix" and not values.get("suffix"):
        values["suffix"] = cli_text("no_suffix")
    if values.get("sheet"):
        values["where"] = cli_text("where_sheet_row", sheet=values["sheet"], row=values.get("row", "?"))
    else:
        values["where"] = cli_text("where_row", row=values.get("row", "?"))
    return cli_text(f"roster_{code}", **values)


def row_reason(error: RowError) -> str:
    values = dict(error.values)
    if error.code == "unknown_sector":
        suggestions = values.pop("suggestions", [])
        text = cli_text("row_unknown_sector", **values)
        return text + (cli_text("did_you_mean", names="、".join(suggestions)) if suggestions else "")
    return cli_text(f"row_{error.code}", **values)


def source_notes(source: RosterSource, optional: list[str], name_of: Callable[[str], str],
                 absent_key: str = "import_absent_columns") -> list[str]:
    """Which sheet and header row were read, the columns ignored (with the known one each probably means) and the
    `optional` columns the file lacks (their fields stay as they are)."""
    notes = [cli_text("import_read_sheet", sheet=source.sheet, row=source.header_row) if source.sheet
             else cli_text("import_read_csv", row=source.header_row)]
    ignored = [u.header + (f" → {name_of(u.suggestion)}？" if u.suggestion else "") for u in source.unknown]
    if ignored:
        notes.append(cli_text("import_ignored_columns", columns="、".join(ignored)))
    absent = [name_of(k) for k in optional if k not in source.columns]
    if absent:
        notes.append(cli_text(absent_key, columns="、".join(absent)))
    return notes


@dataclass(frozen=True)
class ImportWords:
    """How one register's import speaks where the roster's and the stations' differ: its optional columns,
    how it names a column, a value and a bad row, and its own text keys."""

    optional: tuple[str, ...]  # the columns a file may lack (said in the notes when it does)
    column_name: Callable[[str], str]
    shown: Callable[[str, object], str]
    row_reason: Callable[[RowError], str]
    absent: str
    rows_bad: str
    change_more: str
    missing_header: str
    missing_more: str
    refuse_no_rows: str
    refuse_share: str
    deactivated: str
    summary: str


# a change as the report lists it: the record's number (or code), its name, created, (column, old, new) fields
Change = tuple[str, str, bool, tuple[tuple[str, object, object], ...]]


def render_register_import(report: RegisterImport, words: ImportWords, *, changes: Sequence[Change],
                           missing: Sequence[tuple[str, str]], summary: dict[str, object], dry_run: bool,
                           deactivate_missing: bool, max_deactivate_share: float, max_errors: int = MAX_ERRORS,
                           kept_key: str = "summary_kept") -> ImportText:
    """A register import's outcome as the clerk reads it: what was read, the row errors or the changes (the first
    ones, `changes`), who is missing (the first ones, `missing`) and the summary (plus the register's own counts,
    `summary`)."""
    out = ImportText()
    if report.source is not None:
        out.notes += source_notes(report.source, list(words.optional), words.column_name, absent_key=words.absent)
    if report.errors:
        out.errors.append(cli_text(words.rows_bad, rows=len({e.row for e in report.errors})))
        out.errors += [cli_text("import_row_line", row=e.row, reason=words.row_reason(e))
                       for e in report.errors[:max_errors]]
        if len(report.errors) > max_errors:
            out.errors.append(cli_text("import_more_errors", count=len(report.errors) - max_errors))
        return out

    prefix = cli_text("dry_run_prefix") if dry_run else ""
    for number, name, created, changed in changes:
        if created:
            out.lines.append(cli_text("change_created", prefix=prefix, number=number, name=name))
        else:
            fields = "；".join(
                cli_text("change_field", field=words.column_name(k), old=words.shown(k, old), new=words.shown(k, new))
                for k, old, new in changed
            )
            out.lines.append(cli_text("change_updated", prefix=prefix, number=number, name=name, fields=fields))
    more = report.created + report.updated - len(changes)
    if more > 0:
        out.lines.append(cli_text(words.change_more, count=more))
    if report.missing and (dry_run or report.refused or deactivate_missing):
        verb = cli_text("missing_would_go") if deactivate_missing else cli_text("missing_kept")
        out.lines.append(cli_text(words.missing_header, count=report.missing, verb=verb))
        out.lines += [cli_text("missing_line", number=number, name=name) for number, name in missing]
        if report.missing > len(missing):
            out.lines.append(cli_text(words.missing_more, count=report.missing - len(missing)))
    if report.refused:
        key = words.refuse_no_rows if report.refused == "no_rows" else words.refuse_share
        reason = cli_text(key, missing=report.missing, active=report.active_before,
                          share=round(report.missing_share * 100), limit=round(max_deactivate_share * 100))
        if not dry_run:
            out.refusal = reason
            return out
        out.lines.append(cli_text("dry_run_would_refuse", reason=reason))
    tail = (cli_text(words.deactivated, count=report.deactivated) if deactivate_missing and not report.refused
            else cli_text(kept_key))
    out.lines.append(cli_text(
        words.summary, prefix=prefix, rows=report.rows, created=report.created, updated=report.updated,
        reactivated=report.reactivated, unchanged=report.unchanged, missing=report.missing, tail=tail,
        regions=report.new_regions, **summary))
    out.lines += [cli_text("region_hint", new=new, known=known) for new, known in report.region_hints]
    return out


ROSTER_WORDS = ImportWords(
    optional=("group", "level", "region", "phone", "contact_points"), column_name=column_name, shown=shown,
    row_reason=row_reason, absent="import_absent_columns", rows_bad="import_rows_bad", change_more="change_more",
    missing_header="missing_header", missing_more="change_more_missing", refuse_no_rows="refuse_no_rows",
    refuse_share="refuse_share", deactivated="summary_deactivated", summary="import_summary")


def render_import(report: ImportReport, *, dry_run: bool, deactivate_missing: bool, max_deactivate_share: float,
                  max_errors: int = MAX_ERRORS, kept_key: str = "summary_kept") -> ImportText:
    """A roster import's outcome as the clerk reads it (`render_register_import` in the roster's words)."""
    return render_register_import(
        report, ROSTER_WORDS, changes=[(c.number, c.name, c.created, c.fields) for c in report.changes],
        missing=report.missing_members, summary={"groups": report.new_groups},
        dry_run=dry_run, deactivate_missing=deactivate_missing, max_deactivate_share=max_deactivate_share,
        max_errors=max_errors, kept_key=kept_key)


def fingerprint(report: ImportReport) -> str:
    """What a run would change, in short: equal fingerprints mean the dry run still holds."""
    shape = (report.rows, report.created, report.updated, report.unchanged, report.reactivated, report.missing,
             report.new_groups, report.new_regions, report.digest)
    return hashlib.sha256(repr(shape).encode()).hexdigest()[:32]


@dataclass
class ImportRun:
    report: ImportReport
    applied: bool  # committed
    changed: bool = False  # a real run whose result differs from the dry run it was confirmed on (rolled back)


def run_import(database_url: str, path: Path, *, apply: bool, deactivate_missing: bool = False,
               sheet: str | None = None, max_deactivate_share: float = 0.2, force: bool = False,
               expect: str | None = None, progress: Callable[[int], None] | None = None) -> ImportRun:
    """Check the path, import in one transaction, commit only a good, unrefused run that matches `expect`.

    Raises `RosterFileError` for a file that is not a roster at all (nothing written).
    """
    check_file(path)
    engine = sync_engine(database_url)
    try:
        with engine.begin() as connection:
            report = import_roster(
                connection, path, dry_run=not apply, deactivate_missing=deactivate_missing, sheet=sheet,
                max_deactivate_share=max_deactivate_share, force=force, progress=progress,
            )
            changed = apply and expect is not None and report.ok and fingerprint(report) != expect
            if not apply or not report.ok or changed:
                connection.rollback()
                return ImportRun(report, applied=False, changed=changed)
        return ImportRun(report, applied=True)
    finally:
        engine.dispose()
