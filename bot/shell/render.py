"""What the shell prints: a bot message as terminal text (Telegram HTML as styles) with numbered buttons."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from rich.text import Text

from bot.standin.api import BotMessage
from bot.texts import cli_text

# Telegram's HTML tags (core.telegram.org/bots/api#html-style) as terminal styles
STYLES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strike", "strike": "strike", "del": "strike", "code": "cyan", "pre": "cyan", "a": "underline blue",
    "blockquote": "dim", "tg-spoiler": "reverse", "span": "reverse",
}


class _Html(HTMLParser):
    """Telegram HTML → a rich Text: each open tag adds its style to what it encloses."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = Text()
        self.open: list[str] = []
        self.links: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(STYLES.get(tag, ""))
        if tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if self.open:
            self.open.pop()
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and not href.startswith("tg://"):
                self.text.append(f" ({href})", style="dim")

    def handle_data(self, data: str) -> None:
        self.text.append(data, style=" ".join(s for s in self.open if s) or None)


def html_text(html: str) -> Text:
    """Telegram HTML as styled terminal text; a tag Telegram doesn't know only loses its style."""
    parser = _Html()
    parser.feed(html)
    parser.close()
    return parser.text


def body(message: BotMessage) -> Text:
    """The message's text or caption (styled when it was sent as HTML), after a tag for any media."""
    out = Text()
    payload = message.payload
    if message.photo:
        out.append(cli_text("shell_photo"), style="magenta")
    if message.document:
        out.append(cli_text("shell_document", name=message.document.get("file_name", "")), style="magenta")
    for kind, key in (("voice", "shell_voice"), ("audio", "shell_audio")):
        if kind in payload:
            out.append(cli_text(key, length=clock(payload[kind].get("duration", 0))), style="magenta")
    raw = message.raw_text if message.raw_text is not None else message.raw_caption
    shown = message.text if message.text is not None else message.caption
    if raw is not None and (message.parse_mode or "").upper() == "HTML":
        if out:
            out.append("\n")
        out.append_text(html_text(raw))
    elif shown:
        if out:
            out.append("\n")
        out.append(shown)
    return out


def clock(seconds: int | float) -> str:
    """1:42 for 102 seconds."""
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


@dataclass(frozen=True)
class Button:
    """One inline button, numbered as the shell shows it: callback data to press, or a link it can't open."""

    number: int
    text: str
    data: str | None


def buttons(message: BotMessage) -> list[Button]:
    """The message's inline buttons, numbered from 1 row by row."""
    found: list[Button] = []
    for row in message.inline_keyboard:
        for button in row:
            found.append(Button(len(found) + 1, button["text"], button.get("callback_data")))
    return found


def button_line(message: BotMessage) -> Text:
    """`[1] 接收  [2] 转交`, one line per keyboard row."""
    out = Text()
    numbered = iter(buttons(message))
    for row in message.inline_keyboard:
        if out:
            out.append("\n")
        for _ in row:
            button = next(numbered)
            out.append(f"[{button.number}]", style="bold yellow")
            out.append(f" {button.text}  ", style=None if button.data is not None else "dim")
    return out


def keyboard_line(rows: list[list[str]]) -> Text:
    """The reply keyboard under the input field, as `键盘：[k1] 记录活动  [k2] 我的`."""
    out = Text(cli_text("shell_keyboard"), style="dim")
    n = 0
    for row in rows:
        for text in row:
            n += 1
            out.append(f"[k{n}]", style="bold yellow")
            out.append(f" {text}  ")
    return out
