"""Spreadsheets the bot hands out (the quarterly report, /export): one writer, XLSX.

A `Sheet` is a title, a header row and rows (any iterable: a streamed query result is read
once). `write_xlsx` writes in openpyxl's write-only mode, so a province's export never sits
in memory; it is blocking, meant for a thread.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

WIDTH_SAMPLE = 2000  # column widths fit the header and the first rows
MAX_WIDTH = 60


@dataclass(frozen=True)
class Sheet:
    """One sheet: title, headers and rows."""

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[object]]


def display_width(value: object) -> int:
    """Columns a value takes on screen: CJK characters take two."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_xlsx(path: Path, sheets: Iterable[Sheet]) -> int:
    """Write the sheets to `path` (rows are streamed); returns the data rows written.

    Each sheet: a bold header row, frozen; columns as wide as the header and the first
    WIDTH_SAMPLE rows (capped at MAX_WIDTH); text is never a formula, characters XLSX cannot
    hold are dropped.
    """
    # openpyxl costs ~0.2 s to import; only exports and reports need it
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    written = 0
    bold = Font(bold=True)
    for sheet_spec in sheets:
        sheet = book.create_sheet(sheet_spec.title[:31])
        rows = iter(sheet_spec.rows)
        head = list(islice(rows, WIDTH_SAMPLE))
        for index, header in enumerate(sheet_spec.headers, start=1):
            widest = max([display_width(header)] + [display_width(row[index - 1]) for row in head])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(widest + 2, 8), MAX_WIDTH)
        sheet.freeze_panes = "A2"
        header_cells = []
        for header in sheet_spec.headers:
            cell = WriteOnlyCell(sheet, value=header)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in chain(head, rows):
            values: list[object] = []
            for value in row:
                if isinstance(value, str):
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                    if value.startswith("="):  # user text is data, never a formula
                        cell = WriteOnlyCell(sheet, value=value)
                        cell.data_type = "s"
                        value = cell
                values.append(value)
            sheet.append(values)
            written += 1
    book.save(path)
    return written


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    """The workbook as bytes, for small sheets sent straight to a chat (blocking)."""
    with tempfile.TemporaryDirectory(prefix="lianxin-sheet-") as folder:
        path = Path(folder) / "sheet.xlsx"
        write_xlsx(path, sheets)
        return path.read_bytes()
