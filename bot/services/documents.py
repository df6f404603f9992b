"""The one DOCX writer (python-docx): documents laid out as official Chinese documents (GB/T 9704 in spirit).

A4, margins 3.7/3.5/2.8/2.6 cm; the title in 黑体 二号 centred; headings in 黑体 三号; the body in
仿宋 三号 with a two-character first-line indent; tables in 宋体 小四. Every font is set by name on
the ASCII, high-ANSI *and* East Asian slots (`w:eastAsia`): without the last one Word and WPS draw the
Chinese in a Latin fallback font (STACK_NOTES). The built-in heading styles are restyled the same way,
their theme fonts and colour removed, so the headings stay headings (navigation pane, read-back in tests).

Blocking; the callers render in a thread. python-docx is imported inside `Writer` (most processes
never write a document).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

TITLE_FONT = "黑体"
HEADING_FONT = "黑体"
BODY_FONT = "仿宋"
TABLE_FONT = "宋体"
TITLE_PT = 22  # 二号
HEADING_PT = 16  # 三号
BODY_PT = 16  # 三号
TABLE_PT = 12  # 小四


def set_font(target, name: str, size: float | None = None, *, bold: bool | None = None) -> None:  # noqa: ANN001 - a run or a style
    """`name` on every font slot of a run or a style (ascii, hAnsi, eastAsia, cs), theme fonts removed."""
    from docx.oxml.ns import qn  # with the document writer

    font = target.font
    font.name = name
    if size is not None:
        from docx.shared import Pt

        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = target.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)


class Writer:
    """One document being written; `bytes()` when done."""

    def __init__(self) -> None:
        # python-docx (and lxml under it) only when a document is written
        from docx import Document
        from docx.shared import Cm, Pt, RGBColor

        self._cm, self._pt, self._rgb = Cm, Pt, RGBColor
        self.doc = Document()
        section = self.doc.sections[0]
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
        normal = self.doc.styles["Normal"]
        set_font(normal, BODY_FONT, BODY_PT)
        normal.paragraph_format.line_spacing = Pt(28)
        for level, size in ((1, HEADING_PT), (2, HEADING_PT)):
            style = self.doc.styles[f"Heading {level}"]
            set_font(style, HEADING_FONT, size, bold=False)
            style.font.color.rgb = RGBColor(0, 0, 0)
            style.font.italic = False
            style.paragraph_format.space_before = Pt(12)
            style.paragraph_format.space_after = Pt(6)
        title = self.doc.styles["Title"]
        set_font(title, TITLE_FONT, TITLE_PT, bold=False)
        title.font.color.rgb = RGBColor(0, 0, 0)

    def title(self, text: str) -> None:
        """The document's title, centred (style Title, its bottom border removed)."""
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml.ns import qn

        paragraph = self.doc.add_paragraph(style="Title")
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        ppr = paragraph.style.element.get_or_add_pPr()
        border = ppr.find(qn("w:pBdr"))
        if border is not None:
            ppr.remove(border)
        set_font(paragraph.add_run(text), TITLE_FONT, TITLE_PT)

    def centred(self, text: str, *, size: float = BODY_PT, font: str = BODY_FONT) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        set_font(paragraph.add_run(text), font, size)

    def heading(self, text: str, level: int = 1) -> None:
        """一、… (level 1) or （一）… (level 2), in 黑体, as Word's heading styles."""
        paragraph = self.doc.add_paragraph(style=f"Heading {level}")
        set_font(paragraph.add_run(text), HEADING_FONT, HEADING_PT, bold=False)

    def paragraph(self, text: str, *, indent: bool = True, font: str = BODY_FONT, size: float = BODY_PT) -> None:
        """A body paragraph in 仿宋, its first line indented two characters."""
        paragraph = self.doc.add_paragraph()
        if indent:
            paragraph.paragraph_format.first_line_indent = self._pt(size * 2)
        set_font(paragraph.add_run(text), font, size)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        """A grid table in 宋体 小四, the header row bold; numbers as written (None: —)."""
        table = self.doc.add_table(rows=1 + len(rows), cols=len(headers))
        table.style = "Table Grid"
        for index, text in enumerate(headers):
            cell = table.rows[0].cells[index]
            set_font(cell.paragraphs[0].add_run(str(text)), TABLE_FONT, TABLE_PT, bold=True)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                text = "—" if value is None else str(value)
                set_font(table.rows[r].cells[c].paragraphs[0].add_run(text), TABLE_FONT, TABLE_PT)
        for row in table.rows:  # single spacing in cells: the body's 28 pt is for running text
            for cell in row.cells:
                cell.paragraphs[0].paragraph_format.line_spacing = 1.0

    def picture(self, png: bytes, width_cm: float = 15.5) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH

        self.doc.add_picture(io.BytesIO(png), width=self._cm(width_cm))
        paragraph = self.doc.paragraphs[-1]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.line_spacing = 1.0  # the body's exact 28 pt would clip the picture to one line

    def blank_lines(self, count: int) -> None:
        """Room for a person to write in (empty paragraphs)."""
        for _ in range(count):
            self.doc.add_paragraph()

    def bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()
