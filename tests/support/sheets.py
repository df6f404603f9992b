"""Reading back the workbooks the product writes (`bot/services/sheets.py`): row 1 the title line, row 2 the
headers, then the data, then (where a column adds up) the 合计 row; and checking each one prints as filed."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

TITLE_ROWS = 2
GENERATED = re.compile(r"生成于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


def open_book(content: bytes) -> Workbook:
    return load_workbook(io.BytesIO(content))


def title(sheet: Worksheet) -> str:
    return sheet["A1"].value


def headers(sheet: Worksheet) -> list:
    return [c.value for c in sheet[2]]


def body(sheet: Worksheet) -> list[tuple]:
    """The rows under the headers, without the totals row."""
    rows = list(sheet.iter_rows(min_row=TITLE_ROWS + 1, values_only=True))
    return rows[:-1] if rows and is_total(rows[-1]) else rows


def totals(sheet: Worksheet) -> tuple | None:
    rows = list(sheet.iter_rows(min_row=TITLE_ROWS + 1, values_only=True))
    return rows[-1] if rows and is_total(rows[-1]) else None


def is_total(row: tuple) -> bool:
    return isinstance(row[0], str) and row[0].startswith("合计")


def check_printable(sheet: Worksheet, *, numbers: dict[int, str] = {}) -> None:  # noqa: B006 - read only
    """What every sheet must have to print on A4 and be filed: title line, repeated title rows, page setup
    fit to one page wide, page numbers in the footer, a print area over the whole table, and each given
    column (index from 0 -> number format) formatted and right-aligned in every data and totals row."""
    columns = sheet.max_column
    last = get_column_letter(columns)
    assert GENERATED.search(title(sheet) or ""), title(sheet)
    assert sheet["A1"].font.bold
    if columns > 1:
        assert f"A1:{last}1" in {str(r) for r in sheet.merged_cells.ranges}  # the title across the table
    assert sheet.freeze_panes == "A3"
    assert sheet.print_title_rows == "$1:$2"
    setup = sheet.page_setup
    assert setup.paperSize == 9  # A4
    assert setup.orientation in ("portrait", "landscape")
    wide = sum(sheet.column_dimensions[get_column_letter(i)].width for i in range(1, columns + 1)) > 95
    assert setup.orientation == ("landscape" if wide else "portrait")
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text
    assert sheet.print_area == f"'{sheet.title}'!$A$1:${last}${sheet.max_row}"
    assert all(c.font.bold for c in sheet[2])
    for row in sheet.iter_rows(min_row=TITLE_ROWS + 1):
        for index, number_format in numbers.items():
            cell = row[index]
            if isinstance(cell.value, (int, float)):
                assert cell.number_format == number_format, (sheet.title, cell.coordinate)
                assert cell.alignment.horizontal == "right", (sheet.title, cell.coordinate)
