"""The member's 找我反映 card: a printable PNG with the member's name, sector, QR link and how to use it.

No Telegram here; the CLI writes the files. Chinese text is drawn with Noto Sans CJK SC from
the `mplfonts` package (SIL Open Font License), so no system font is needed.
"""

from __future__ import annotations

import io

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.access import NumbersRefused, members_numbered
from bot.services.cases import member_link_token
from bot.services.charts import cjk_font_path
from bot.texts import cli_text
from models import Member, Sector

WIDTH, HEIGHT = 800, 1100


def member_card_png(*, name: str, sector: str, link: str) -> bytes:
    """One card: title, the member's name and sector, the QR code of their link, three lines of instructions."""
    # qrcode and Pillow are needed only when a card or code is drawn, never by the running bot's hot path
    import qrcode
    from PIL import Image, ImageDraw, ImageFont

    font = str(cjk_font_path())
    card = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(card)
    draw.rectangle([0, 0, WIDTH, 150], fill=(178, 34, 34))

    def centred(text: str, y: int, size: int, fill: str | tuple[int, int, int] = (0, 0, 0)) -> None:
        face = ImageFont.truetype(font, size)
        box = draw.textbbox((0, 0), text, font=face)
        draw.text(((WIDTH - (box[2] - box[0])) / 2, y), text, font=face, fill=fill)

    centred(cli_text("card_title"), 40, 60, fill="white")
    centred(cli_text("card_member", name=name), 190, 56)
    centred(sector, 270, 36, fill=(80, 80, 80))
    code = qrcode.make(link, box_size=10, border=2).get_image().convert("RGB").resize((520, 520))
    card.paste(code, ((WIDTH - 520) // 2, 340))
    for n, line in enumerate(cli_text("card_instructions").splitlines()):
        centred(line, 890 + n * 50, 30, fill=(60, 60, 60))
    buffer = io.BytesIO()
    card.save(buffer, format="PNG")
    return buffer.getvalue()


def invite_qr_png(link: str) -> bytes:
    """The QR code of an invite link as PNG (the CLI's `--qr-dir` files and the admin's re-issued invite)."""
    import qrcode  # see member_card_png

    buffer = io.BytesIO()
    qrcode.make(link).save(buffer)
    return buffer.getvalue()


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
