"""Printable PNGs: the member's public 找我反映 card (name, sector, QR link, how to use it) and the member's
own invite slip (name, 编号, expiry, QR code, "仅限本人绑定"), each drawn so that the two cannot be taken
for one another.

No Telegram here; the CLI writes the files. Chinese text is drawn with Noto Sans CJK SC from
the `mplfonts` package (SIL Open Font License), so no system font is needed.
"""

from __future__ import annotations

import io
import re

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import NumbersRefused, members_numbered
from bot.services.cases import member_link_token
from bot.services.charts import cjk_font_path
from bot.texts import cli_text
from models import Member, Sector

# printed at PRINT_DPI: the card 800×1100 px is 6.8 × 9.3 cm, the invite slip (A7) 874×1240 px is 7.4 × 10.5 cm
PRINT_DPI = 300
WIDTH, HEIGHT = 800, 1100
SLIP_WIDTH, SLIP_HEIGHT = 874, 1240
CARD_RED = (178, 34, 34)
# the invite slip is blue, unlike the public card's red: a clerk sees at a glance which one is which
SLIP_BLUE = (28, 69, 135)


def _file_part(text: str) -> str:
    """`text` as part of a file name on any system (letters of any script, digits, . and -)."""
    return re.sub(r"[^\w.-]", "_", text.strip()) or "_"


def invite_file_name(*, number: str, name: str) -> str:
    """`邀请_GS0001_陆勇.png`: never to be mixed up with the member's public card."""
    return cli_text("file_invite", number=_file_part(number), name=_file_part(name))


def card_file_name(*, number: str, name: str) -> str:
    """`找我反映_GS0001_陆勇.png`."""
    return cli_text("file_card", number=_file_part(number), name=_file_part(name))


class _Drawing:
    """A white sheet to draw centred lines of Chinese on, saved as PNG at PRINT_DPI."""

    def __init__(self, width: int, height: int) -> None:
        # Pillow is needed only when a card or code is drawn, never by the running bot's hot path
        from PIL import Image, ImageDraw, ImageFont

        self.fonts = ImageFont
        self.font = str(cjk_font_path())
        self.width = width
        self.image = Image.new("RGB", (width, height), "white")
        self.draw = ImageDraw.Draw(self.image)

    def band(self, height: int, fill: tuple[int, int, int]) -> None:
        self.draw.rectangle([0, 0, self.width, height], fill=fill)

    def centred(self, text: str, y: int, size: int, fill: str | tuple[int, int, int] = (0, 0, 0)) -> None:
        face = self.fonts.truetype(self.font, size)
        box = self.draw.textbbox((0, 0), text, font=face)
        self.draw.text(((self.width - (box[2] - box[0])) / 2, y), text, font=face, fill=fill)

    def qr(self, link: str, y: int, size: int) -> None:
        import qrcode  # see __init__

        code = qrcode.make(link, box_size=10, border=2).get_image().convert("RGB").resize((size, size))
        self.image.paste(code, ((self.width - size) // 2, y))

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.image.save(buffer, format="PNG", dpi=(PRINT_DPI, PRINT_DPI))
        return buffer.getvalue()


def member_card_png(*, name: str, sector: str, link: str) -> bytes:
    """One card: title, the member's name and sector, the QR code of their link, three lines of instructions."""
    card = _Drawing(WIDTH, HEIGHT)
    card.band(150, CARD_RED)
    card.centred(cli_text("card_title"), 40, 60, fill="white")
    card.centred(cli_text("card_member", name=name), 190, 56)
    card.centred(sector, 270, 36, fill=(80, 80, 80))
    card.qr(link, 340, 520)
    for n, line in enumerate(cli_text("card_instructions").splitlines()):
        card.centred(line, 890 + n * 50, 30, fill=(60, 60, 60))
    return card.png()


def invite_slip_png(*, name: str, number: str, until: str, link: str) -> bytes:
    """A member's invite as a labelled slip: whose it is (name, 编号), until when, the QR code of the link, and
    that it binds only this member and must not be passed on or posted (it is no 找我反映 card)."""
    slip = _Drawing(SLIP_WIDTH, SLIP_HEIGHT)
    slip.band(140, SLIP_BLUE)
    slip.centred(cli_text("slip_title"), 38, 56, fill="white")
    slip.centred(cli_text("slip_member", name=name), 175, 52)
    slip.centred(cli_text("slip_number", number=number), 250, 34, fill=(60, 60, 60))
    slip.qr(link, 320, 540)
    slip.centred(cli_text("slip_until", until=until), 885, 34)
    slip.draw.rectangle([40, 950, SLIP_WIDTH - 40, 1040], outline=CARD_RED, width=4)
    slip.centred(cli_text("slip_warning"), 968, 40, fill=CARD_RED)
    for n, line in enumerate(cli_text("slip_instructions").splitlines()):
        slip.centred(line, 1080 + n * 46, 28, fill=(60, 60, 60))
    return slip.png()


async def member_links(session: AsyncSession, *, numbers: list[str] | None = None, rotate: bool = False
                       ) -> list[tuple[str, str, str, str]]:
    """(编号, 姓名, 界别, token) of every active member (or those named), making missing tokens; staged only.

    `rotate` replaces the tokens, so previously printed cards stop routing to the member. Numbers are
    matched as `access.members_numbered` does; one that names no active member raises NumbersRefused.
    """
    query = (select(Member.id, Member.number, Member.name, Sector.name)
             .join(Sector, Sector.id == Member.sector_id).where(Member.active.is_(True)).order_by(Member.number))
    if numbers:
        named, missing = await members_numbered(session, numbers)
        refused = [(n, "missing") for n in missing] + [(m.number, "inactive") for m in named if not m.active]
        if refused:
            raise NumbersRefused(refused)
        query = query.where(Member.id.in_([m.id for m in named]))
    rows = (await session.exec(query)).all()
    result = []
    for member_id, number, name, sector in rows:
        token = await member_link_token(session, member_id=member_id, rotate=rotate)
        result.append((number, name, sector, token))
    return result


# the check-in poster of a reception day: A5 (148 × 210 mm) at PRINT_DPI
POSTER_WIDTH, POSTER_HEIGHT = 1748, 2480


def checkin_poster_png(*, station: str, span: str, topic: str, link: str) -> bytes:
    """A5 poster for the door: the station's name, the date and time, the topic, the QR code of the
    check-in link and "扫码签到" in large type."""
    poster = _Drawing(POSTER_WIDTH, POSTER_HEIGHT)
    poster.band(300, CARD_RED)
    poster.centred(cli_text("poster_title"), 90, 110, fill="white")
    poster.centred(station[:24], 370, 96)
    poster.centred(span, 500, 70, fill=(60, 60, 60))
    poster.centred(cli_text("poster_topic", topic=topic[:28]), 600, 60, fill=(80, 80, 80))
    poster.qr(link, 740, 1100)
    poster.centred(cli_text("poster_scan"), 1900, 220, fill=CARD_RED)
    poster.centred(cli_text("poster_hint"), 2240, 46, fill=(60, 60, 60))
    return poster.png()
