"""Spreadsheets the bot hands out (the quarterly report, /export, the duty archive): one writer, XLSX.

A `Sheet` is a tab name, a title line (what, scope, period, when generated), a header row and rows
(any iterable: a streamed query result is read once), which columns hold numbers and in what format,
and which columns add up into a 合计 row. `write_xlsx` writes in openpyxl's write-only mode, so a
province's export never sits in memory; it is blocking, meant for a thread.

Every sheet prints as offices file it: A4, landscape when the table is wider than a portrait page,
fit to one page wide (as many pages tall as it takes), the title and header rows repeated on every
printed page, the page number in the footer, the print area set to the table.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING

from bot.texts import SHEET

if TYPE_CHECKING:  # openpyxl is imported when a sheet is written, not with the bot
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

WIDTH_SAMPLE = 2000  # column widths fit the header and the first rows
MAX_WIDTH = 60
MIN_WIDTH = 8
# a column width unit is about one Latin character; an A4 page with 1.3 cm margins holds about this
# many of them across at 100 %: wider tables are printed landscape (and then shrunk to fit if need be)
PORTRAIT_WIDTH = 95
TITLE_ROWS = 2  # the title line and the header row, repeated at the top of every printed page
A4 = 9  # the paper size code (ECMA-376 §18.3.1.63)

# number formats
COUNT = "#,##0"  # whole numbers: members, activities, 人次
DECIMAL = "#,##0.0"  # hours, ratings
POINTS = "#,##0.0#"  # duty points, which come in halves
DATE = "yyyy-mm-dd"


class Emphasis(tuple):
    """A row printed bold and left out of the totals: a subtotal the caller worked out itself."""

    __slots__ = ()


@dataclass(frozen=True)
class Sheet:
    """One sheet: its tab name, title line, headers and rows, number columns and totals.

    `numbers`: column index (from 0) -> number format: those cells are right-aligned and formatted.
    `totals`: the columns that add up; when given (even empty), a 合计 row follows the rows
    (`total_label` in the first column, `{rows}` standing for the number of data rows).
    """

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]
    caption: str = ""  # the title line; empty: the tab's name
    numbers: Mapping[int, str] = field(default_factory=dict)
    totals: Sequence[int] | None = None
    total_label: str = ""


def display_width(value: object) -> int:
    """Columns a value takes on screen: CJK characters take two."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> list[int]:
    """Each column as wide as its header and the given rows, MIN_WIDTH to MAX_WIDTH."""
    widths = []
    for index, header in enumerate(headers):
        widest = max([display_width(header)] + [display_width(row[index]) for row in rows if index < len(row)])
        widths.append(min(max(widest + 2, MIN_WIDTH), MAX_WIDTH))
    return widths


def _total(values: list[float]) -> float:
    total = math.fsum(values)
    return int(total) if all(isinstance(v, int) for v in values) else round(total, 6)


class _Styles:
    """The writer's cell styles, made once per workbook (openpyxl shares equal styles)."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side  # see write_xlsx

        self.title_font = Font(bold=True, size=12)
        self.title_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.bold = Font(bold=True)
        self.header_fill = PatternFill("solid", fgColor="DDE4EE")
        self.header_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        thin = Side(style="thin", color="808080")
        self.header_border = Border(bottom=thin)
        self.total_border = Border(top=thin)
        self.right = Alignment(horizontal="right", indent=1)  # a gap before the text of the next column
        self.wrap = Alignment(wrap_text=True, vertical="top")


def write_xlsx(path: Path, sheets: Iterable[Sheet]) -> int:
    """Write the sheets to `path` (rows are streamed); returns the data rows written (not the totals).

    Each sheet: the title line (merged across the table), a bold header row, both frozen and repeated
    on every printed page; columns as wide as the header and the first WIDTH_SAMPLE rows (capped at
    MAX_WIDTH, longer text wraps); numbers right-aligned in their format; a totals row where asked;
    text is never a formula, characters XLSX cannot hold are dropped; the page set up for A4.
    """
    # openpyxl costs ~0.2 s to import; only exports, reports and archives need it
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    styles = _Styles()
    written = 0
    for spec in sheets:
        written += _write_sheet(book.create_sheet(spec.title[:31]), spec, styles)
    book.save(path)
    return written


def _write_sheet(sheet: WriteOnlyWorksheet, spec: Sheet, styles: _Styles) -> int:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    rows = iter(spec.rows)
    head = list(islice(rows, WIDTH_SAMPLE))
    # the totals row's label spans the columns before the first one that adds up (all of them when none does)
    label_span = min([*(spec.totals or ()), len(spec.headers)]) if spec.totals is not None else 0
    label = (spec.total_label or SHEET["total"]) if spec.totals is not None else ""
    sample = [*head, [label.format(rows=len(head) * 10 + 9)]] if label_span == 1 else head
    widths = column_widths(spec.headers, sample)
    columns = max(len(widths), 1)
    last_column = get_column_letter(columns)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    caption = spec.caption or spec.title
    # the title line wraps within the table's width: as many lines as it needs (a 12 pt CJK character ≈ 2.2 units)
    lines = max(1, math.ceil(display_width(caption) * 1.1 / max(sum(widths), 1)))
    sheet.row_dimensions[1].height = 20 * lines
    _set_up_page(sheet, wide=sum(widths) > PORTRAIT_WIDTH)
    sheet.freeze_panes = f"A{TITLE_ROWS + 1}"
    if columns > 1:
        sheet.merged_cells.add(f"A1:{last_column}1")

    def styled(value: object, **style: object) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=value)
        for name, setting in style.items():
            setattr(cell, name, setting)
        return cell

    sheet.append([styled(caption, font=styles.title_font, alignment=styles.title_alignment)])
    sheet.append([styled(header, font=styles.bold, fill=styles.header_fill, alignment=styles.header_alignment,
                         border=styles.header_border) for header in spec.headers])
    numbers = dict(spec.numbers)
    # only text in a column capped at MAX_WIDTH can be wider than its column: those cells wrap
    capped = {index for index, width in enumerate(widths) if width >= MAX_WIDTH}
    sums: dict[int, list[float]] = {index: [] for index in spec.totals or ()}

    def cell(index: int, value: object, bold: bool) -> object:
        """The value as written: plain where it can be (most cells of a large export), else a styled cell."""
        style: dict[str, object] = {"font": styles.bold} if bold else {}
        kind = type(value)
        if kind is str:
            value = ILLEGAL_CHARACTERS_RE.sub("", value)  # type: ignore[arg-type] - a str
            if value.startswith("="):  # user text is data, never a formula
                formula_like = styled(value, **style)
                formula_like.data_type = "s"
                return formula_like
            if index in capped and len(value) * 2 > MAX_WIDTH and display_width(value) > MAX_WIDTH:
                style["alignment"] = styles.wrap
            elif index in numbers:  # "—" for a figure there is none of
                style["alignment"] = styles.right
        elif kind is int or kind is float or (isinstance(value, (int, float, Decimal)) and kind is not bool):
            if not bold and index in sums:
                sums[index].append(value)  # type: ignore[arg-type] - a number
            if index in numbers:
                style.update(number_format=numbers[index], alignment=styles.right)
        elif isinstance(value, (date, datetime)):
            style["number_format"] = DATE
        return styled(value, **style) if style else value

    written = appended = 0
    for row in chain(head, rows):
        emphasis = isinstance(row, Emphasis)
        sheet.append([cell(index, value, emphasis) for index, value in enumerate(row)])
        appended += 1
        written += not emphasis
    if spec.totals is not None:
        totals: list[object] = [label.format(rows=written)] + [None] * (columns - 1)
        for index, values_ in sums.items():
            totals[index] = _total(values_)
        sheet.append([styled(value, font=styles.bold, border=styles.total_border,
                             **({"number_format": numbers[index], "alignment": styles.right}
                                if index in numbers and value is not None else {}))
                      for index, value in enumerate(totals)])
        appended += 1
        if label_span > 1:
            sheet.merged_cells.add(f"A{TITLE_ROWS + appended}:{get_column_letter(label_span)}{TITLE_ROWS + appended}")
    sheet.print_area = f"A1:{last_column}{TITLE_ROWS + appended}"
    return written


def _set_up_page(sheet: WriteOnlyWorksheet, *, wide: bool) -> None:
    """A4, portrait or landscape, one page wide, the title rows on every page, page numbers in the footer."""
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.properties import PageSetupProperties, WorksheetProperties

    # written with the sheet's first row: set before any row is appended
    sheet.sheet_properties = WorksheetProperties(pageSetUpPr=PageSetupProperties(fitToPage=True))
    sheet.page_setup.paperSize = A4
    sheet.page_setup.orientation = "landscape" if wide else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages tall as the rows need
    sheet.page_margins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = f"1:{TITLE_ROWS}"
    sheet.oddFooter.center.text = SHEET["footer"]


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    """The workbook as bytes, for small sheets sent straight to a chat (blocking)."""
    with tempfile.TemporaryDirectory(prefix="lianxin-sheet-") as folder:
        path = Path(folder) / "sheet.xlsx"
        write_xlsx(path, sheets)
        return path.read_bytes()
