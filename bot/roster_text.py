"""What a roster import says, in plain Chinese lines: one renderer for `members import` and the chat.

The CLI prints `notes` and `errors` on stderr and `lines` on stdout; the chat joins them into one
message (escaped, shortened to Telegram's limit). Both run the same `roster.import_roster`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.services.roster import HEADER_NAMES, ImportReport, RosterFileError, RowError
from bot.texts import cli_text

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
    from bot.texts import LEVEL_NAMES
    from models import Level

    if isinstance(value, Level):
        return LEVEL_NAMES[value]
    if key == "active":
        return cli_text("state_active") if value else cli_text("state_inactive")
    return str(value) if value not in (None, "") else cli_text("empty_value")


def file_error(exc: RosterFileError) -> str:
    """Why a file cannot be read as a roster at all."""
    values = dict(exc.values)
    if exc.code == "lookalike":
        values["missing"] = "、".join(values.get("missing") or []) or "-"
    if exc.code == "wrong_suffix" and not values.get("suffix"):
        values["suffix"] = cli_text("no_suffix")
    if values.get("sheet"):
        values["where"] = cli_text("where_sheet_row", sheet=values["sheet"], row=values.get("row", "?"))
    else:
        values["where"] = cli_text("where_row", row=values.get("row", "?"))
    return cli_text(f"roster_{exc.code}", **values)


def row_reason(error: RowError) -> str:
    values = dict(error.values)
    if error.code == "unknown_sector":
        suggestions = values.pop("suggestions", [])
        text = cli_text("row_unknown_sector", **values)
        return text + (cli_text("did_you_mean", names="、".join(suggestions)) if suggestions else "")
    return cli_text(f"row_{error.code}", **values)


def render_import(report: ImportReport, *, dry_run: bool, deactivate_missing: bool, max_deactivate_share: float,
                  max_errors: int = MAX_ERRORS) -> ImportText:
    """The import's outcome as the clerk reads it: what was read, the row errors or the changes and the summary."""
    out = ImportText()
    source = report.source
    if source is not None:
        if source.sheet:
            out.notes.append(cli_text("import_read_sheet", sheet=source.sheet, row=source.header_row))
        else:
            out.notes.append(cli_text("import_read_csv", row=source.header_row))
        ignored = [u.header + (f" → {column_name(u.suggestion)}？" if u.suggestion else "") for u in source.unknown]
        if ignored:
            out.notes.append(cli_text("import_ignored_columns", columns="、".join(ignored)))
        absent = [column_name(k) for k in ("group", "level", "region", "phone", "contact_points")
                  if k not in source.columns]
        if absent:
            out.notes.append(cli_text("import_absent_columns", columns="、".join(absent)))
    if report.errors:
        out.errors.append(cli_text("import_rows_bad", rows=len({e.row for e in report.errors})))
        out.errors += [cli_text("import_row_line", row=e.row, reason=row_reason(e)) for e in report.errors[:max_errors]]
        if len(report.errors) > max_errors:
            out.errors.append(cli_text("import_more_errors", count=len(report.errors) - max_errors))
        return out

    prefix = cli_text("dry_run_prefix") if dry_run else ""
    for change in report.changes:
        if change.created:
            out.lines.append(cli_text("change_created", prefix=prefix, number=change.number, name=change.name))
        else:
            fields = "；".join(
                cli_text("change_field", field=column_name(k), old=shown(k, old), new=shown(k, new))
                for k, old, new in change.fields
            )
            out.lines.append(cli_text("change_updated", prefix=prefix, number=change.number, name=change.name,
                                      fields=fields))
    more = report.created + report.updated - len(report.changes)
    if more > 0:
        out.lines.append(cli_text("change_more", count=more))
    if report.missing and (dry_run or report.refused or deactivate_missing):
        verb = cli_text("missing_would_go") if deactivate_missing else cli_text("missing_kept")
        out.lines.append(cli_text("missing_header", count=report.missing, verb=verb))
        out.lines += [cli_text("missing_line", number=number, name=name) for number, name in report.missing_members]
        if report.missing > len(report.missing_members):
            out.lines.append(cli_text("change_more_missing", count=report.missing - len(report.missing_members)))
    if report.refused:
        key = "refuse_no_rows" if report.refused == "no_rows" else "refuse_share"
        reason = cli_text(key, missing=report.missing, active=report.active_before,
                          share=round(report.missing_share * 100), limit=round(max_deactivate_share * 100))
        if not dry_run:
            out.refusal = reason
            return out
        out.lines.append(cli_text("dry_run_would_refuse", reason=reason))
    tail = (cli_text("summary_deactivated", count=report.deactivated) if deactivate_missing and not report.refused
            else cli_text("summary_kept"))
    out.lines.append(cli_text(
        "import_summary", prefix=prefix, rows=report.rows, created=report.created, updated=report.updated,
        reactivated=report.reactivated, unchanged=report.unchanged, missing=report.missing, tail=tail,
        groups=report.new_groups, regions=report.new_regions))
    return out
