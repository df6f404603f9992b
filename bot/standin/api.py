"""A local fake of the Telegram Bot API that the real python-telegram-bot talks to over HTTP.

Usage::

    async with FakeTelegram(token="123456:TEST-TOKEN", bot_username="lianxin_test_bot") as fake:
        app = ApplicationBuilder().token(fake.token).base_url(fake.base_url) \
            .base_file_url(fake.base_file_url).build()
        ...
        alice = fake.user(1001, first_name="张三", language_code="zh-hans")
        await alice.send("/start")
        msg = await alice.expect_message()
        await alice.press("确认")

The server binds to 127.0.0.1 on a random free port only.  Every response is shaped like
Telegram's (``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": ...}``)
and the validations that catch real bot bugs (text/caption length, callback_data bytes, HTML
entity parsing, unknown chats, blocked users, stale edits, double-answered callback queries)
mirror Telegram's error messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import hashlib
import itertools
import json
import logging
import mimetypes
import re
import socket
import struct
import time
import traceback
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

__all__ = [
    "ApiError",
    "BotMessage",
    "Call",
    "CallbackAnswer",
    "ChatEvent",
    "EntityParseError",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "StoredFile",
    "Upload",
    "image_size",
    "make_png",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
]

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # Bot API upload limit for documents
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_COMMANDS = 100

UNAUTHORIZED = (401, "Unauthorized")
NOT_FOUND = (404, "Not Found")

# Update kinds Telegram leaves out unless explicitly listed in allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# Form fields that are plain strings; every other form field is JSON-decoded when it parses.
# PTB sends non-string values JSON-encoded, so text like "123" must not become an int.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "language_code",
        "action",
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "animation",
        "sticker",
        "video_note",
        "thumbnail",
        "file_id",
        "description",
        "short_description",
        "name",
        "title",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "emoji",
        "query",
        "business_connection_id",
        "message_effect_id",
        "custom_title",
        "invite_link",
        "question",
        "address",
        "payload",
        "currency",
        "start_parameter",
        "error_message",
        "result_id",
        "web_app_query_id",
    }
)


# --------------------------------------------------------------------------------------------
# Errors and small records
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """A Bot API error response: HTTP status, Telegram description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.parameters = parameters


def _bad_request(message: str) -> ApiError:
    """A 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {message}")


class EntityParseError(ValueError):
    """Formatted text could not be parsed; the message is tdlib's wording."""


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    mime_type: str

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, {len(self.content)} bytes, {self.mime_type!r})"


@dataclass
class Call:
    """One request the bot made; ``error_code`` is set for rejected ones (see ``fake.errors``)."""

    method: str
    params: dict[str, Any]
    timestamp: float
    result: Any = None
    error_code: int | None = None
    description: str | None = None
    client: str | None = None  # which bot process called (`client_base_url`), when it says

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.error_code is None

    def __str__(self) -> str:
        if self.ok:
            return f"{self.method}({_short(self.params, 200)})"
        return f"{self.method}({_short(self.params, 200)}) -> {self.error_code} {self.description}"


@dataclass
class StoredFile:
    """A file known to the fake (uploaded by the bot or sent by a simulated user)."""

    file_id: str
    file_unique_id: str
    kind: str  # "photo" | "document"
    content: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def file_size(self) -> int:
        """Size in bytes."""
        return len(self.content)

    def photo_size(self) -> dict[str, Any]:
        """The PhotoSize dict for this file."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": self.file_size,
        }

    def document(self) -> dict[str, Any]:
        """The Document dict for this file."""
        doc: dict[str, Any] = {"file_id": self.file_id, "file_unique_id": self.file_unique_id}
        if self.file_name is not None:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        doc["file_size"] = self.file_size
        return doc


@dataclass
class CallbackAnswer:
    """The bot's answerCallbackQuery for one query."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None
    timestamp: float


@dataclass(eq=False)
class BotMessage:
    """A message the bot sent; the live object reflects edits, ``payload`` is the Telegram dict."""

    chat_id: int
    message_id: int
    method: str  # the method that created it, or the edit method for edit snapshots
    payload: dict[str, Any]
    raw_text: str | None = None
    raw_caption: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None  # as sent, any markup kind
    document_name: str | None = None
    document_bytes: bytes | None = None
    document_mime: str | None = None
    photo_bytes: bytes | None = None
    params: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False
    edit_count: int = 0
    seq: int = 0  # global send order across chats

    @property
    def text(self) -> str | None:
        """Plain text as Telegram shows it (tags stripped, entities unescaped)."""
        return self.payload.get("text")

    @property
    def caption(self) -> str | None:
        """Plain caption as Telegram shows it."""
        return self.payload.get("caption")

    @property
    def content(self) -> str:
        """Text or caption, whichever the message has ("" if neither)."""
        return self.payload.get("text") or self.payload.get("caption") or ""

    @property
    def entities(self) -> list[dict[str, Any]]:
        """Entities of the text or caption."""
        return self.payload.get("entities") or self.payload.get("caption_entities") or []

    @property
    def date(self) -> int:
        """Unix time of sending."""
        return self.payload["date"]

    @property
    def photo(self) -> list[dict[str, Any]] | None:
        """PhotoSize dicts, if this is a photo."""
        return self.payload.get("photo")

    @property
    def document(self) -> dict[str, Any] | None:
        """Document dict, if this is a document."""
        return self.payload.get("document")

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        """Current inline keyboard rows (button dicts)."""
        markup = self.payload.get("reply_markup") or {}
        return markup.get("inline_keyboard") or []

    @property
    def buttons(self) -> list[list[str]]:
        """Current inline keyboard as rows of button texts."""
        return [[button["text"] for button in row] for row in self.inline_keyboard]

    @property
    def button_data(self) -> dict[str, str]:
        """Button text -> callback_data for the callback buttons (first wins on duplicates)."""
        data: dict[str, str] = {}
        for row in self.inline_keyboard:
            for button in row:
                if "callback_data" in button:
                    data.setdefault(button["text"], button["callback_data"])
        return data

    @property
    def button_urls(self) -> dict[str, str]:
        """Button text -> url for URL buttons."""
        return {b["text"]: b["url"] for row in self.inline_keyboard for b in row if "url" in b}

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Rows of button texts if the message carried a ReplyKeyboardMarkup."""
        if not self.reply_markup or "keyboard" not in self.reply_markup:
            return None
        return [[_button_text(b) for b in row] for row in self.reply_markup["keyboard"]]

    @property
    def removes_keyboard(self) -> bool:
        """Whether the message carried ReplyKeyboardRemove."""
        return bool(self.reply_markup and self.reply_markup.get("remove_keyboard"))

    def describe(self) -> str:
        """One line for failure dumps."""
        parts = [f"#{self.message_id} {self.method}"]
        if self.text is not None:
            parts.append(f"text={_short(self.text)}")
        if self.caption is not None:
            parts.append(f"caption={_short(self.caption)}")
        if self.document_name is not None:
            parts.append(f"document={self.document_name!r} ({len(self.document_bytes or b'')} bytes)")
        if self.photo:
            parts.append("photo")
        if self.buttons:
            parts.append(f"buttons={self.buttons}")
        if self.reply_keyboard:
            parts.append(f"reply_keyboard={self.reply_keyboard}")
        if self.deleted:
            parts.append("[deleted]")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"BotMessage({self.describe()})"


@dataclass
class ChatEvent:
    """Something the bot did in a chat: "message" (live object), "edit"/"delete" (snapshots)."""

    kind: str
    message: BotMessage
    timestamp: float


def _button_text(button: Any) -> str:
    """Text of a reply keyboard button given as a string or KeyboardButton dict."""
    return button if isinstance(button, str) else button.get("text", "")


def _short(value: Any, limit: int = 80) -> str:
    """repr() cut to limit characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------
# Formatted text: HTML / MarkdownV2 / Markdown parsing as Telegram does it
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (Telegram's unit for entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of a character index (Telegram reports byte offsets in errors)."""
    return len(text[:index].encode("utf-8"))


_HTML_SPACE = " \t\r\n\v\0"
_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,10})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z]+))(;?)")
_SURROGATE_ERROR = (
    "Text contains invalid Unicode characters after decoding HTML entities, "
    "check for unmatched surrogate code units"
)


def _decode_html_entity(text: str, pos: int, strict: bool) -> tuple[str, int] | None:
    """Decode the character reference at text[pos] ("&..."); None if it is not one."""
    match = _ENTITY_RE.match(text, pos)
    if not match:
        return None
    decimal, hexadecimal, name, semicolon = match.groups()
    if strict and not semicolon:
        return None
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        if char is None:
            return None
    else:
        code = int(decimal) if decimal is not None else int(hexadecimal, 16)
        if code == 0 or code >= 0x10FFFF:
            return None
        if 0xD800 <= code <= 0xDFFF:
            raise EntityParseError(_SURROGATE_ERROR)
        char = chr(code)
    return char, match.end()


def _looks_like_url(text: str) -> bool:
    """Whether text would be accepted by Telegram as a link (a loose approximation)."""
    text = text.strip()
    if not text or any(c in text for c in " \n\t<>\"'"):
        return False
    parts = urlsplit(text if "://" in text else f"http://{text}")
    if parts.scheme in ("tg", "ton"):
        return True
    if parts.scheme not in ("http", "https", "ftp"):
        return False
    host = parts.hostname or ""
    return "." in host and not host.startswith(".") and not host.endswith(".")


def parse_html(text: str, strict_entities: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities); raise EntityParseError like Telegram.

    With ``strict_entities`` every ``&`` must start ``&lt; &gt; &amp; &quot; &#NN; &#xHH;``.
    Telegram itself keeps an unknown ``&`` literally; the strict mode exists to catch
    unescaped user input in tests.
    """
    out: list[str] = []
    u16 = 0
    stack: list[dict[str, Any]] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)

    def at(pos: int) -> str:
        return text[pos] if pos < n else "\0"

    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_html_entity(text, i, strict_entities)
            if decoded is not None:
                out.append(decoded[0])
                u16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
            if strict_entities:
                raise EntityParseError(
                    f"Unsupported HTML entity at byte offset {_byte_offset(text, i)} "
                    "(FakeTelegram strict mode: escape '&' as &amp;)"
                )
            out.append("&")
            u16 += 1
            i += 1
            continue
        if char != "<":
            end = i + 1
            while end < n and text[end] not in "&<":
                end += 1
            chunk = text[i:end]
            out.append(chunk)
            u16 += utf16_len(chunk)
            i = end
            continue

        begin = i
        if at(i + 1) == "/":
            # end tag: "</name   >" or "</>" (closes the innermost tag)
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            i += 2
            name_start = i
            while at(i) not in _HTML_SPACE and at(i) != ">":
                i += 1
            end_name = text[name_start:i].lower()
            while i < n and at(i) in _HTML_SPACE:
                i += 1
            if at(i) != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            opened = stack[-1]
            if end_name and end_name != opened["tag"]:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{opened["tag"]}>", found "</{end_name}>"'
                )
            stack.pop()
            i += 1
            _close_html_entity(opened, u16, out, stack, entities)
            continue

        # start tag
        i += 1
        while at(i) not in _HTML_SPACE and at(i) != ">":
            i += 1
        if i >= n:
            raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[begin + 1 : i].lower()
        if tag not in _HTML_TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
        attrs: dict[str, str] = {}
        while at(i) != ">":
            while i < n and at(i) in _HTML_SPACE:
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            if at(i) == ">":
                break
            attr_start = i
            while at(i) not in _HTML_SPACE and at(i) not in "=>":
                i += 1
            attr_name = text[attr_start:i].lower()
            if not attr_name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            while i < n and at(i) in _HTML_SPACE:
                i += 1
            if at(i) != "=":
                if tag == "blockquote" and attr_name == "expandable":
                    attrs[attr_name] = ""
                    continue
                raise EntityParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {_byte_offset(text, begin)}"
                )
            i += 1
            while i < n and at(i) in _HTML_SPACE:
                i += 1
            if i >= n:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
            if at(i) not in "'\"":
                token_start = i
                while at(i).isascii() and (at(i).isalnum() or at(i) in ".-"):
                    i += 1
                value = text[token_start:i].lower()
                if at(i) not in _HTML_SPACE and at(i) != ">":
                    raise EntityParseError(
                        f"Unexpected end of name token at byte offset {_byte_offset(text, token_start)}"
                    )
            else:
                quote = text[i]
                i += 1
                chars: list[str] = []
                while i < n and text[i] != quote:
                    if text[i] == "&":
                        decoded = _decode_html_entity(text, i, strict=False)
                        if decoded is not None:
                            chars.append(decoded[0])
                            i = decoded[1]
                            continue
                    chars.append(text[i])
                    i += 1
                if i >= n:
                    raise EntityParseError(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                i += 1
                value = "".join(chars)
            attrs[attr_name] = value
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(text, begin)}'
            )
        stack.append({"tag": tag, "attrs": attrs, "offset": u16, "out_index": len(out)})
        i += 1  # skip ">"

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]["tag"]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_html_entity(
    opened: dict[str, Any],
    u16: int,
    out: list[str],
    stack: list[dict[str, Any]],
    entities: list[dict[str, Any]],
) -> None:
    """Turn a closed HTML tag into a MessageEntity dict (empty ranges produce none)."""
    tag, attrs, offset = opened["tag"], opened["attrs"], opened["offset"]
    length = u16 - offset
    if length <= 0:
        return
    entity: dict[str, Any] = {"offset": offset, "length": length}
    if tag == "a":
        inner = "".join(out[opened["out_index"] :])
        url = attrs.get("href") or inner
        if not _looks_like_url(url):
            return
        entity.update(type="text_link", url=url)
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if "expandable" in attrs else "blockquote"
    elif tag == "tg-emoji":
        if not attrs.get("emoji-id"):
            return
        entity.update(type="custom_emoji", custom_emoji_id=attrs["emoji-id"])
    elif tag == "code" and attrs.get("class", "").startswith("language-"):
        language = attrs["class"][len("language-") :]
        parent = stack[-1] if stack else None
        if parent is not None and parent["tag"] == "pre" and language:
            parent["language"] = language  # <pre><code class="language-x"> is one pre entity
            return
        entity["type"] = "code"
    else:
        entity["type"] = _HTML_ENTITY_TYPES[tag]
        if tag == "pre" and opened.get("language"):
            entity["language"] = opened["language"]
    entities.append(entity)


_MD2_RESERVED = "_*[]()~`>#+-=|{}.!"
_MD2_END = {
    "bold": lambda t, i: t[i] == "*",
    "italic": lambda t, i: t[i] == "_" and t[i + 1 : i + 2] != "_",
    "code": lambda t, i: t[i] == "`",
    "pre": lambda t, i: t[i : i + 3] == "```",
    "text_link": lambda t, i: t[i] == "]",
    "underline": lambda t, i: t[i : i + 2] == "__",
    "strikethrough": lambda t, i: t[i] == "~",
    "spoiler": lambda t, i: t[i : i + 2] == "||",
    "custom_emoji": lambda t, i: t[i] == "]",
}
_MD2_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "custom_emoji": "CustomEmoji",
}


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse MarkdownV2 into (plain text, entities); raise EntityParseError like Telegram."""
    out: list[str] = []
    u16 = 0
    stack: list[dict[str, Any]] = []
    entities: list[dict[str, Any]] = []
    quote_start: int | None = None  # open blockquote (u16 offset); it is line based, not nested
    quote_expandable = False
    i, n = 0, len(text)

    def emit(chunk: str) -> None:
        nonlocal u16
        out.append(chunk)
        u16 += utf16_len(chunk)

    def close_quote(end: int) -> None:
        nonlocal quote_start
        if quote_start is not None and end > quote_start:
            kind = "expandable_blockquote" if quote_expandable else "blockquote"
            entities.append({"type": kind, "offset": quote_start, "length": end - quote_start})
        quote_start = None

    while i < n:
        char = text[i]
        in_code = bool(stack) and stack[-1]["type"] in ("code", "pre")
        line_start = i == 0 or text[i - 1] == "\n"
        if line_start and not in_code:
            if char == ">" or text.startswith("**>", i):
                if quote_start is None:
                    quote_start = u16
                    quote_expandable = char == "*"
                i += 1 if char == ">" else 3
                continue
            if quote_start is not None:
                close_quote(u16 - 1)  # the quote ends before the newline
        if char == "\\" and i + 1 < n and 0 < ord(text[i + 1]) <= 126:
            emit(text[i + 1])
            i += 2
            continue
        reserved = "`" if in_code else _MD2_RESERVED
        if char not in reserved:
            emit(char)
            i += 1
            continue
        if stack and _MD2_END[stack[-1]["type"]](text, i):
            opened = stack.pop()
            kind = opened["type"]
            entity: dict[str, Any] = {"type": kind, "offset": opened["offset"], "length": u16 - opened["offset"]}
            if kind in ("underline", "spoiler"):
                i += 2
            elif kind == "pre":
                i += 3
                if opened.get("language"):
                    entity["language"] = opened["language"]
            elif kind in ("text_link", "custom_emoji"):
                if text[i + 1 : i + 2] == "(":
                    url_start = i + 2
                    j = url_start
                    url_chars: list[str] = []
                    while j < n and text[j] != ")":
                        if text[j] == "\\" and j + 1 < n and 0 < ord(text[j + 1]) <= 126:
                            url_chars.append(text[j + 1])
                            j += 2
                            continue
                        url_chars.append(text[j])
                        j += 1
                    if j >= n:
                        offset = _byte_offset(text, url_start)
                        raise EntityParseError(f"Can't find end of a URL at byte offset {offset}")
                    url = "".join(url_chars)
                    i = j + 1
                else:
                    if kind == "custom_emoji":
                        raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                    url = "".join(out[opened["out_index"] :])
                    i += 1
                if kind == "custom_emoji":
                    match = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                    if not match:
                        raise EntityParseError(f'Invalid custom emoji URL "{url}" specified')
                    entity["custom_emoji_id"] = match.group(1)
                elif _looks_like_url(url):
                    entity["url"] = url
                else:
                    entity["length"] = 0  # Telegram silently drops invalid links
            else:
                i += 1
            if entity["length"] > 0:
                entities.append(entity)
            continue
        # beginning of an entity
        begin = i
        entity_start: dict[str, Any] = {"offset": u16, "out_index": len(out), "byte": _byte_offset(text, begin)}
        if char == "_":
            if text[i + 1 : i + 2] == "_":
                entity_start["type"] = "underline"
                i += 2
            else:
                entity_start["type"] = "italic"
                i += 1
        elif char == "*":
            entity_start["type"] = "bold"
            i += 1
        elif char == "~":
            entity_start["type"] = "strikethrough"
            i += 1
        elif char == "|" and text[i + 1 : i + 2] == "|":
            entity_start["type"] = "spoiler"
            i += 2
        elif char == "[":
            entity_start["type"] = "text_link"
            i += 1
        elif char == "!" and text[i + 1 : i + 2] == "[":
            entity_start["type"] = "custom_emoji"
            i += 2
        elif char == "`":
            if text.startswith("```", i):
                i += 3
                entity_start["type"] = "pre"
                language_end = i
                while language_end < n and text[language_end] not in " \t\r\n\v`":
                    language_end += 1
                if i != language_end and language_end < n and text[language_end] != "`":
                    entity_start["language"] = text[i:language_end]
                    i = language_end
                if i < n and text[i] in "\r\n":  # one leading newline is not part of the block
                    i += 2 if text[i + 1 : i + 2] in ("\r", "\n") and text[i + 1] != text[i] else 1
            else:
                entity_start["type"] = "code"
                i += 1
        else:
            raise EntityParseError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        stack.append(entity_start)
    if stack:
        opened = stack[-1]
        name = _MD2_TYPE_NAMES[opened["type"]]
        if opened["type"] == "pre" and opened.get("language"):
            name = "PreCode"
        raise EntityParseError(f"Can't find end of {name} entity at byte offset {opened['byte']}")
    close_quote(u16)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy Markdown into (plain text, entities); raise EntityParseError like Telegram."""
    out: list[str] = []
    u16 = 0
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and text[i + 1 : i + 2] in ("_", "*", "`", "["):
            out.append(text[i + 1])
            u16 += 1
            i += 2
            continue
        if char not in "_*`[":
            out.append(char)
            u16 += utf16_len(char)
            i += 1
            continue
        begin = i
        end_char = "]" if char == "[" else char
        i += 1
        is_pre = False
        language = ""
        if char == "`" and text[i : i + 2] == "``":
            i += 2
            is_pre = True
            language_end = i
            while language_end < n and text[language_end] not in " \t\r\n\v`":
                language_end += 1
            if i != language_end and language_end < n and text[language_end] != "`":
                language = text[i:language_end]
                i = language_end
            if i < n and text[i] in "\r\n":
                i += 2 if text[i + 1 : i + 2] in ("\r", "\n") and text[i + 1] != text[i] else 1
        offset = u16
        content_start = i
        while i < n and (text[i] != end_char or (is_pre and text[i + 1 : i + 3] != "``")):
            u16 += utf16_len(text[i])
            i += 1
        if i >= n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        inner = text[content_start:i]
        out.append(inner)
        if u16 > offset:
            entity: dict[str, Any] = {"offset": offset, "length": u16 - offset}
            if char == "_":
                entity["type"] = "italic"
            elif char == "*":
                entity["type"] = "bold"
            elif char == "[":
                if text[i + 1 : i + 2] == "(":
                    close = text.find(")", i + 2)
                    close = n if close < 0 else close
                    url = text[i + 2 : close]
                    i = close
                else:
                    url = inner
                entity.update(type="text_link", url=url)
                if not _looks_like_url(url):
                    entity = {}
            elif is_pre:
                entity["type"] = "pre"
                if language:
                    entity["language"] = language
            else:
                entity["type"] = "code"
            if entity:
                entities.append(entity)
        i += 3 if is_pre else 1
    return "".join(out), entities


_STRIP_CHARS = " \t\r\n"


def _strip_formatted(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim leading/trailing whitespace as Telegram does, shifting and clipping entities."""
    stripped = text.strip(_STRIP_CHARS)
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip(_STRIP_CHARS))])
    total = utf16_len(stripped)
    fixed = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return stripped, fixed


def _bot_command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram attaches to a leading "/command" or "/command@bot"."""
    match = re.match(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": len(match.group(0))}]


# --------------------------------------------------------------------------------------------
# Images: a tiny PNG writer and a header sniffer (no Pillow needed)
# --------------------------------------------------------------------------------------------


def make_png(width: int = 320, height: int = 240, rgb: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    """A valid solid-colour RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height, 9))
        + chunk(b"IEND", b"")
    )


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) for PNG, JPEG, GIF and WebP data; None if not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return "png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "gif", width, height
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            return "webp", 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if chunk == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return "webp", width & 0x3FFF, height & 0x3FFF
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return "webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        return None
    if data[:2] == b"\xff\xd8":
        pos = 2
        while pos + 9 < len(data):
            if data[pos] != 0xFF:
                pos += 1
                continue
            marker = data[pos + 1]
            if marker == 0xFF:
                pos += 1
                continue
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                pos += 2
                continue
            (segment_length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
                return "jpeg", width, height
            pos += 2 + segment_length
    return None


# --------------------------------------------------------------------------------------------
# Chats and simulated users
# --------------------------------------------------------------------------------------------

_MISSING = object()
_OWN = object()


class FakeChat:
    """A chat the fake knows: the bot's messages in it, and expect_* helpers over them."""

    def __init__(
        self,
        fake: FakeTelegram,
        chat_id: int,
        chat_type: str,
        *,
        title: str | None = None,
        username: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
    ):
        self.fake = fake
        self.id = chat_id
        self.type = chat_type
        self.title = title
        self.username = username
        self.first_name = first_name
        self.last_name = last_name
        self.log: list[ChatEvent] = []
        self.chat_actions: list[str] = []
        self.user_messages: list[dict[str, Any]] = []
        self.deleted_user_message_ids: list[int] = []
        self._bot_messages: dict[int, BotMessage] = {}
        self._user_message_ids: dict[int, dict[str, Any]] = {}
        self._last_message_id = 0
        self._since = 0  # log index of the latest user action in this chat
        self._consumed: set[int] = set()

    # --- Telegram shapes -------------------------------------------------------------------

    @property
    def chat_dict(self) -> dict[str, Any]:
        """The Chat object Telegram puts into messages."""
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            value = getattr(self, key)
            if value is not None:
                chat[key] = value
        return chat

    @property
    def chat_instance(self) -> str:
        """A stable chat_instance string for callback queries from this chat."""
        return str(-(abs(self.id) * 1_000_003 + 4_242_424_242_424))

    def _next_message_id(self) -> int:
        self._last_message_id += 1
        return self._last_message_id

    # --- state ------------------------------------------------------------------------------

    @property
    def messages(self) -> list[BotMessage]:
        """The bot's messages in this chat, oldest first, edits applied, deleted ones left out."""
        return [m for m in self._bot_messages.values() if not m.deleted]

    @property
    def all_messages(self) -> list[BotMessage]:
        """The bot's messages including deleted ones."""
        return list(self._bot_messages.values())

    @property
    def last_message(self) -> BotMessage | None:
        """The bot's latest (not deleted) message in this chat."""
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard a client would currently show (latest keyboard/remove wins)."""
        for message in reversed(self.all_messages):
            if message.reply_keyboard is not None:
                return message.reply_keyboard
            if message.removes_keyboard:
                return None
        return None

    def message(self, message_id: int) -> BotMessage | None:
        """A bot message by id (deleted ones included)."""
        return self._bot_messages.get(message_id)

    def find(self, needle: str) -> BotMessage | None:
        """The latest bot message whose text or caption contains needle."""
        for message in reversed(self.messages):
            if needle in message.content:
                return message
        return None

    def _add_event(self, kind: str, message: BotMessage) -> None:
        self.log.append(ChatEvent(kind, message, time.time()))
        self.fake._notify()

    def _mark_action(self) -> None:
        """A user acted here: expect_* now look only at what the bot does from now on."""
        self._since = len(self.log)

    def _lookup_any(self, message_id: int) -> BotMessage | dict[str, Any] | None:
        message = self._bot_messages.get(message_id)
        if message is not None:
            return None if message.deleted else message
        return self._user_message_ids.get(message_id)

    # --- expectations -----------------------------------------------------------------------

    def _unconsumed(self, *kinds: str) -> list[int]:
        return [
            index
            for index in range(self._since, len(self.log))
            if index not in self._consumed and self.log[index].kind in kinds
        ]

    async def _expect(self, kind: str, count: int, timeout: float, what: str) -> list[BotMessage]:
        def ready() -> list[int] | None:
            found = self._unconsumed(kind)
            return found[:count] if len(found) >= count else None

        indexes = await self.fake._wait_for(ready, timeout)
        if indexes is _MISSING:
            raise AssertionError(self.report(f"Timed out after {timeout}s waiting for {what}"))
        self._consumed.update(indexes)
        return [self.log[index].message for index in indexes]

    async def expect_message(self, timeout: float = 5.0) -> BotMessage:
        """The next new message the bot sent here since the last user action."""
        return (await self._expect("message", 1, timeout, "a message from the bot"))[0]

    async def expect_messages(self, n: int, timeout: float = 5.0) -> list[BotMessage]:
        """The next n new messages the bot sent here since the last user action."""
        return await self._expect("message", n, timeout, f"{n} message(s) from the bot")

    async def expect_edit(self, timeout: float = 5.0) -> BotMessage:
        """A snapshot of the message right after the bot's next edit here (.method = edit method)."""
        return (await self._expect("edit", 1, timeout, "an edit by the bot"))[0]

    async def expect_delete(self, timeout: float = 5.0) -> BotMessage:
        """The next message the bot deleted here."""
        return (await self._expect("delete", 1, timeout, "a deletion by the bot"))[0]

    async def expect_silence(self, seconds: float = 0.3) -> None:
        """Assert the bot sends or edits nothing here (beyond what expect_* already consumed)."""
        found = await self.fake._wait_for(lambda: self._unconsumed("message", "edit") or None, seconds)
        if found is not _MISSING:
            raise AssertionError(self.report("Expected silence but the bot did send something"))

    def report(self, headline: str) -> str:
        """A failure message: what the bot did here, and its rejected API calls."""
        described = [f"  [{index}] {event.kind}: {event.message.describe()}" for index, event in enumerate(self.log)]
        earlier, recent = described[: self._since], described[self._since :]
        lines = [f"{headline} in chat {self.id} ({self.name}).", "Bot activity in this chat since the last user action:"]
        lines.extend(recent or ["  (nothing)"])
        if earlier:
            lines.append("Earlier:")
            lines.extend(earlier[-10:])
        lines.extend(self.fake._diagnostics())
        return "\n".join(lines)

    @property
    def name(self) -> str:
        """Human readable chat name."""
        return self.title or " ".join(p for p in (self.first_name, self.last_name) if p) or str(self.id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.name!r}>"


class FakeUser(FakeChat):
    """A simulated Telegram user; its private chat with the bot has the same id."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int,
        *,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_premium: bool | None = None,
        started: bool = True,
    ):
        super().__init__(fake, user_id, "private", username=username, first_name=first_name, last_name=last_name)
        self.language_code = language_code
        self.is_premium = is_premium
        self.started = started
        self.blocked = False
        self.answers: list[CallbackAnswer] = []
        self._last_query_id: str | None = None

    @property
    def user_dict(self) -> dict[str, Any]:
        """The User object Telegram puts into updates."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code", "is_premium"):
            value = getattr(self, key)
            if value is not None:
                user[key] = value
        return user

    @property
    def commands(self) -> list[tuple[str, str]]:
        """The command menu this user would see in the private chat."""
        return self.fake.commands_for(self.id, self.language_code)

    @property
    def menu_button(self) -> dict[str, Any]:
        """The menu button this user would see."""
        return self.fake.menu_button_for(self.id)

    # --- actions ----------------------------------------------------------------------------

    def _chat(self, chat: FakeChat | int | None) -> FakeChat:
        if chat is None:
            return self
        if isinstance(chat, FakeChat):
            return chat
        return self.fake.chats[chat]

    def _wake(self) -> None:
        """The user opened the chat: it counts as started, and writing unblocks the bot."""
        self.started = True
        if self.blocked:
            self.unblock_bot()

    def _base_message(self, chat: FakeChat) -> dict[str, Any]:
        return {
            "message_id": chat._next_message_id(),
            "from": self.user_dict,
            "chat": chat.chat_dict,
            "date": int(time.time()),
        }

    def _deliver(self, chat: FakeChat, message: dict[str, Any]) -> dict[str, Any]:
        chat.user_messages.append(message)
        chat._user_message_ids[message["message_id"]] = message
        chat._mark_action()
        self.fake.push_update({"message": message})
        return message

    async def send(
        self,
        text: str,
        *,
        chat: FakeChat | int | None = None,
        reply_to: BotMessage | int | None = None,
    ) -> dict[str, Any]:
        """Send a text message (commands get a bot_command entity); returns the Message dict."""
        target = self._chat(chat)
        self._wake()
        message = self._base_message(target)
        message["text"] = text
        entities = _bot_command_entities(text)
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            replied = target.message(reply_to if isinstance(reply_to, int) else reply_to.message_id)
            if replied is None:
                raise AssertionError(f"{self}: no bot message {reply_to!r} to reply to")
            message["reply_to_message"] = copy.deepcopy(replied.payload)
        return self._deliver(target, message)

    async def reply_keyboard_press(self, text: str) -> dict[str, Any]:
        """Press a ReplyKeyboard button: checks the currently shown keyboard has it, then sends it."""
        keyboard = self.reply_keyboard
        if keyboard is None:
            raise AssertionError(self.report(f"No reply keyboard is shown to press {text!r}"))
        if not any(text == button for row in keyboard for button in row):
            raise AssertionError(self.report(f"Reply keyboard {keyboard} has no button {text!r}"))
        return await self.send(text)

    def _keyboard_message(self, chat: FakeChat, message: BotMessage | int | None) -> BotMessage:
        if message is None:
            for candidate in reversed(chat.messages):
                if candidate.inline_keyboard:
                    return candidate
            raise AssertionError(chat.report("No bot message with an inline keyboard to press on"))
        found = chat.message(message if isinstance(message, int) else message.message_id)
        if found is None:
            raise AssertionError(chat.report(f"No bot message {message!r} in this chat"))
        if found.deleted:
            raise AssertionError(chat.report(f"Message #{found.message_id} was deleted; its buttons are gone"))
        return found

    async def press(
        self,
        text: str,
        *,
        message: BotMessage | int | None = None,
        chat: FakeChat | int | None = None,
    ) -> dict[str, Any]:
        """Press an inline callback button by its text; returns the CallbackQuery dict."""
        target = self._chat(chat)
        keyboard_message = self._keyboard_message(target, message)
        for row in keyboard_message.inline_keyboard:
            for button in row:
                if button["text"] == text:
                    if "callback_data" not in button:
                        raise AssertionError(f"Button {text!r} is not a callback button: {button}")
                    return self._callback(target, keyboard_message, button["callback_data"])
        raise AssertionError(
            target.report(f"No button {text!r} on #{keyboard_message.message_id}; buttons: {keyboard_message.buttons}")
        )

    async def press_data(
        self,
        data: str,
        *,
        message: BotMessage | int | None = None,
        chat: FakeChat | int | None = None,
    ) -> dict[str, Any]:
        """A callback query with arbitrary data (e.g. forged or stale) on a keyboard message."""
        target = self._chat(chat)
        return self._callback(target, self._keyboard_message(target, message), data)

    def _callback(self, chat: FakeChat, message: BotMessage, data: str) -> dict[str, Any]:
        self._wake()
        query = {
            "id": self.fake._new_query_id(),
            "from": self.user_dict,
            "chat_instance": chat.chat_instance,
            "message": copy.deepcopy(message.payload),
            "data": data,
        }
        self.fake._queries[query["id"]] = query
        self._last_query_id = query["id"]
        chat._mark_action()
        self.fake.push_update({"callback_query": query})
        return query

    async def share_contact(
        self,
        phone_number: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        user_id: Any = _OWN,
        vcard: str | None = None,
    ) -> dict[str, Any]:
        """Share a contact; by default one's own (user_id = own id). Pass user_id=None to omit it."""
        self._wake()
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name or self.first_name}
        if last_name is not None or (first_name is None and self.last_name is not None):
            contact["last_name"] = last_name if last_name is not None else self.last_name
        resolved_user_id = self.id if user_id is _OWN else user_id
        if resolved_user_id is not None:
            contact["user_id"] = resolved_user_id
        if vcard is not None:
            contact["vcard"] = vcard
        message = self._base_message(self)
        message["contact"] = contact
        return self._deliver(self, message)

    async def send_location(self, latitude: float, longitude: float) -> dict[str, Any]:
        """Share a location (the paperclip's 位置)."""
        self._wake()
        message = self._base_message(self)
        message["location"] = {"latitude": latitude, "longitude": longitude}
        return self._deliver(self, message)

    async def send_photo(
        self,
        caption: str | None = None,
        *,
        content: bytes | None = None,
        width: int = 320,
        height: int = 240,
        chat: FakeChat | int | None = None,
    ) -> dict[str, Any]:
        """Send a photo (a generated PNG unless content is given), downloadable via getFile."""
        target = self._chat(chat)
        self._wake()
        sizes = []
        if content is None:
            thumb_w, thumb_h = max(1, width * 90 // max(width, height)), max(1, height * 90 // max(width, height))
            sizes.append(self.fake.add_file(make_png(thumb_w, thumb_h), "photo"))
            sizes.append(self.fake.add_file(make_png(width, height), "photo"))
        else:
            sizes.append(self.fake.add_file(content, "photo"))
        message = self._base_message(target)
        message["photo"] = [stored.photo_size() for stored in sizes]
        if caption is not None:
            message["caption"] = caption
            entities = _bot_command_entities(caption)
            if entities:
                message["caption_entities"] = entities
        return self._deliver(target, message)

    async def send_document(
        self,
        filename: str = "file.bin",
        content: bytes = b"",
        *,
        mime_type: str | None = None,
        caption: str | None = None,
        chat: FakeChat | int | None = None,
    ) -> dict[str, Any]:
        """Send a document, downloadable via getFile."""
        target = self._chat(chat)
        self._wake()
        stored = self.fake.add_file(content, "document", file_name=filename, mime_type=mime_type)
        message = self._base_message(target)
        message["document"] = stored.document()
        if caption is not None:
            message["caption"] = caption
        return self._deliver(target, message)

    async def send_media(
        self,
        kind: str,
        *,
        duration: int = 5,
        content: bytes | None = None,
        file_size: int | None = None,
        caption: str | None = None,
        chat: FakeChat | int | None = None,
    ) -> dict[str, Any]:
        """Send a voice note, audio file, video note, sticker or animation (downloadable via getFile).
        `file_size` claims a size without storing that many bytes (e.g. a 20 MB audio file)."""
        target = self._chat(chat)
        self._wake()
        stored = self.fake.add_file(content if content is not None else f"{kind} {time.time_ns()}".encode(), kind)
        media: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                 "file_size": file_size if file_size is not None else stored.file_size}
        if kind in ("voice", "audio", "video_note", "animation"):
            media["duration"] = duration
        if kind == "voice":
            media["mime_type"] = "audio/ogg"
        if kind in ("video_note",):
            media["length"] = 240
        if kind in ("sticker", "animation"):
            media.update(width=512, height=512)
        if kind == "sticker":
            media.update(type="regular", is_animated=False, is_video=False)
        message = self._base_message(target)
        message[kind] = media
        if caption is not None:
            message["caption"] = caption
        return self._deliver(target, message)

    async def send_voice(self, duration: int = 5, **kwargs: Any) -> dict[str, Any]:
        """Send a voice note of `duration` seconds."""
        return await self.send_media("voice", duration=duration, **kwargs)

    def block_bot(self, *, notify: bool = True) -> None:
        """Block the bot: sends now fail with 403; a my_chat_member update is queued."""
        if self.blocked:
            return
        self.blocked = True
        if notify:
            self._member_update("member", "kicked")

    def unblock_bot(self, *, notify: bool = True) -> None:
        """Unblock (restart) the bot; a my_chat_member update is queued."""
        if not self.blocked:
            return
        self.blocked = False
        if notify:
            self._member_update("kicked", "member")

    def _member_update(self, old: str, new: str) -> None:
        bot = self.fake.bot_user_dict()

        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"status": status, "user": bot}
            if status == "kicked":
                data["until_date"] = 0
            return data

        self.fake.push_update(
            {
                "my_chat_member": {
                    "chat": self.chat_dict,
                    "from": self.user_dict,
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    # --- expectations -----------------------------------------------------------------------

    async def expect_answer(self, timeout: float = 5.0) -> CallbackAnswer:
        """The bot's answerCallbackQuery for this user's latest press."""
        query_id = self._last_query_id
        if query_id is None:
            raise AssertionError(f"{self}: expect_answer() before any press()")
        answer = await self.fake._wait_for(lambda: self.fake.callback_answers.get(query_id), timeout)
        if answer is _MISSING:
            raise AssertionError(self.report(f"Timed out after {timeout}s waiting for answerCallbackQuery({query_id})"))
        return answer


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """The fake Bot API server; see the module docstring."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "test_bot",
        bot_id: int | None = None,
        *,
        bot_first_name: str = "Test Bot",
        strict_html: bool = True,
    ):
        self.token = token
        self.bot_username = bot_username
        prefix = token.split(":", 1)[0]
        self.bot_id = bot_id if bot_id is not None else (int(prefix) if prefix.isdigit() else 123456)
        self.bot_first_name = bot_first_name
        self.strict_html = strict_html

        self.calls: list[Call] = []
        self.errors: list[Call] = []
        self.chats: dict[int, FakeChat] = {}
        self.users: dict[int, FakeUser] = {}
        self.files: dict[str, StoredFile] = {}
        self.callback_answers: dict[str, CallbackAnswer] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.bot_settings: dict[tuple[str, str], dict[str, Any]] = {}  # (method, language) -> params
        self.logged_out = False
        self.closed = False

        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(700_000_001)
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._message_seq = itertools.count(1)
        self._queries: dict[str, dict[str, Any]] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._commands: dict[tuple[str, int | None, int | None, str], list[dict[str, str]]] = {}
        self._webhook: dict[str, Any] = {"url": ""}
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._holds: dict[str, asyncio.Event] = {}
        self.held = 0  # calls waiting in hold() right now
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._faults: list[dict[str, Any]] = []
        self._drops: dict[str, list[bool]] = {}  # method (lower case) -> one `reset` per answer to drop
        self.dropped: list[Call] = []  # calls carried out whose answer was never written (drop_next)
        self._send_limit: tuple[int, float] | None = None
        self._send_times: list[float] = []
        self.rate_limited: list[Call] = []  # sends refused with 429 by enforce_send_rate()

        self._methods: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._get_me),
                ("getUpdates", self._get_updates),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._delete_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("sendMessage", self._send_message),
                ("editMessageText", self._edit_message_text),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("editMessageCaption", self._edit_message_caption),
                ("deleteMessage", self._delete_message),
                ("deleteMessages", self._delete_messages),
                ("answerCallbackQuery", self._answer_callback_query),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("setChatMenuButton", self._set_chat_menu_button),
                ("getChatMenuButton", self._get_chat_menu_button),
                ("sendChatAction", self._send_chat_action),
                ("sendPhoto", self._send_photo),
                ("sendDocument", self._send_document),
                ("sendVoice", functools.partial(self._send_voice_or_audio, "voice")),
                ("sendAudio", functools.partial(self._send_voice_or_audio, "audio")),
                ("sendMediaGroup", self._send_media_group),
                ("getFile", self._get_file),
                ("close", self._close),
                ("logOut", self._log_out),
                ("setMyDescription", functools.partial(self._store_setting, "setMyDescription")),
                ("setMyShortDescription", functools.partial(self._store_setting, "setMyShortDescription")),
                ("setMyName", functools.partial(self._store_setting, "setMyName")),
            )
        }

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self, port: int = 0) -> FakeTelegram:
        """Start listening on 127.0.0.1, on `port` or a free one (a given port lets a test have the bot
        call an address where nothing listens yet)."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # Short shutdown timeout: long polls are released by stop() anyway.
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Release pending long polls and shut the server down."""
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Server root, e.g. http://127.0.0.1:PORT."""
        if self.port is None:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Value for ApplicationBuilder().base_url(); PTB appends the token."""
        return f"{self.url}/bot"

    def client_base_url(self, client: str) -> str:
        """Like `base_url`, for one of several bot processes: each call it makes is recorded with
        `Call.client` = `client` (a name without "/"), so a test can tell the processes apart."""
        return f"{self.url}/c/{client}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ApplicationBuilder().base_file_url(); PTB appends the token."""
        return f"{self.url}/file/bot"

    # --- test-facing API --------------------------------------------------------------------

    def inject_fault(
        self,
        method: str,
        code: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next `times` calls of `method` (to `chat_id`, if given) fail with `code`.

        429 carries `parameters.retry_after` like Telegram's flood control; 502 and other
        codes answer as an overloaded Bot API would.
        """
        if description is None:
            description = {429: f"Too Many Requests: retry after {retry_after or 1}", 502: "Bad Gateway"}.get(
                code, f"Error {code}"
            )
        self._faults.append(
            {"method": method.lower(), "code": code, "description": description, "times": times,
             "chat_id": chat_id, "parameters": {"retry_after": retry_after or 1} if code == 429 else None}
        )

    def enforce_send_rate(self, limit: int = 30, period: float = 1.0) -> None:
        """Refuse sends beyond `limit` per `period` seconds with 429, as Telegram's flood control does."""
        self._send_limit = (limit, period)

    def _take_fault(self, method: str, params: dict[str, Any]) -> ApiError | None:
        for fault in self._faults:
            if fault["method"] != method.lower():
                continue
            if fault["chat_id"] is not None and str(params.get("chat_id")) != str(fault["chat_id"]):
                continue
            fault["times"] -= 1
            if fault["times"] <= 0:
                self._faults.remove(fault)
            return ApiError(fault["code"], fault["description"], fault["parameters"])
        if self._send_limit is not None and method.lower().startswith("send"):
            limit, period = self._send_limit
            now = time.monotonic()
            self._send_times = [t for t in self._send_times if t > now - period]
            if len(self._send_times) >= limit:
                return ApiError(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            self._send_times.append(now)
        return None

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        *,
        is_premium: bool | None = None,
        started: bool = True,
    ) -> FakeUser:
        """The simulated user with this id (created on first call; later calls return it)."""
        existing = self.users.get(user_id)
        if existing is not None:
            return existing
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = FakeUser(
            self,
            user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_premium=is_premium,
            started=started,
        )
        self.users[user_id] = user
        self.chats[user_id] = user
        return user

    def group(
        self,
        chat_id: int,
        title: str = "Test Group",
        *,
        chat_type: str = "supergroup",
        username: str | None = None,
    ) -> FakeChat:
        """A known group chat (negative id); users can send there with ``send(..., chat=group)``."""
        existing = self.chats.get(chat_id)
        if existing is not None:
            return existing
        if chat_id >= 0:
            raise ValueError("group ids are negative")
        chat = FakeChat(self, chat_id, chat_type, title=title, username=username)
        self.chats[chat_id] = chat
        return chat

    def fail_next(
        self,
        method: str,
        *,
        code: int = 502,
        description: str = "Bad Gateway",
        times: int = 1,
        parameters: dict[str, Any] | None = None,
    ) -> None:
        """Fault injection: the next `times` calls of `method` fail with `code` before doing anything
        (e.g. 502 Bad Gateway, or 429 with ``parameters={"retry_after": 1}``); recorded in `errors`.
        The same faults as `inject_fault`, spelled with Telegram's `parameters`."""
        self._faults.append({"method": method.lower(), "code": code, "description": description, "times": times,
                             "chat_id": None, "parameters": parameters})

    def drop_next(self, method: str, *, times: int = 1, reset: bool = True) -> None:
        """Fault injection: the next `times` calls of `method` are received and carried out as usual
        (recorded in `calls`, or `errors` if refused), then the connection goes instead of the answer,
        as when a network fails between Telegram acting and its answer arriving. Recorded in `dropped`.

        `reset`: the connection is reset (the client's read fails: httpx.ReadError); otherwise it is
        closed cleanly without an answer (httpx.RemoteProtocolError)."""
        self._drops.setdefault(method.lower(), []).extend([reset] * times)

    def hold(self, method: str) -> None:
        """Fault injection: calls of `method` wait (unanswered) until `release(method)`; a call whose
        client went away meanwhile (the bot was killed) is then dropped without effect."""
        self._holds.setdefault(method.lower(), asyncio.Event())

    def release(self, method: str) -> None:
        event = self._holds.pop(method.lower(), None)
        if event is not None:
            event.set()

    def continue_after(self, update_id: int) -> None:
        """Number the next updates from update_id + 1 (a bot whose inbox has seen ids up to it)."""
        self._update_ids = itertools.count(max(update_id + 1, 700_000_001))

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue a raw update for the bot (update_id is assigned unless given)."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self._updates.append(update)
        self._notify()
        return update

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates the bot has not confirmed yet."""
        return list(self._updates)

    def calls_to(self, method: str) -> list[Call]:
        """Successful calls of one method (case-insensitive)."""
        method = method.lower()
        return [call for call in self.calls if call.method.lower() == method]

    def messages(self, chat_id: int | None = None) -> list[BotMessage]:
        """All live bot messages, of one chat or of all chats (in send order)."""
        if chat_id is not None:
            return self.chats[chat_id].messages
        return sorted((m for chat in self.chats.values() for m in chat.messages), key=lambda m: m.seq)

    def add_file(
        self,
        content: bytes,
        kind: str = "document",
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        """Register a file (as if on Telegram's servers) and return it; photos must be images."""
        width = height = None
        extension = ""
        if kind == "photo":
            size = image_size(content)
            if size is None:
                raise ValueError("photo content is not a PNG/JPEG/GIF/WebP image")
            image_format, width, height = size
            extension = ".jpg" if image_format == "jpeg" else f".{image_format}"
        elif file_name and "." in file_name:
            extension = "." + file_name.rsplit(".", 1)[1].lower()
        if kind == "document" and mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name, strict=False)[0] or "application/octet-stream"
        number = next(self._file_ids)
        digest = hashlib.sha1(content).hexdigest()
        prefix = {"photo": "AgACAgUAAxkBAAI", "document": "BQACAgUAAxkBAAI"}.get(kind, "CgACAgUAAxkBAAI")
        stored = StoredFile(
            file_id=f"{prefix}{number:06d}{digest[:20]}",
            file_unique_id=f"AQAD{digest[:12]}",  # same bytes -> same unique id, as on Telegram
            kind=kind,
            content=content,
            file_path=f"{kind}s/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def commands_for(self, chat_id: int | None = None, language_code: str | None = None) -> list[tuple[str, str]]:
        """The command list a client would show, resolved with Telegram's scope rules."""
        languages = [""]
        if language_code:
            base = language_code.split("-", 1)[0].lower()
            languages = [language_code.lower(), base, ""] if base != language_code.lower() else [base, ""]
        if chat_id is None:
            scopes = [("all_private_chats", None), ("default", None)]
        elif chat_id > 0:
            scopes = [("chat", chat_id), ("all_private_chats", None), ("default", None)]
        else:
            scopes = [("chat", chat_id), ("all_group_chats", None), ("default", None)]
        for scope_type, scope_chat in scopes:
            for language in languages:
                commands = self._commands.get((scope_type, scope_chat, None, language))
                if commands:
                    return [(c["command"], c["description"]) for c in commands]
        return []

    def menu_button_for(self, chat_id: int | None = None) -> dict[str, Any]:
        """The menu button of a chat (falls back to the bot default)."""
        if chat_id is not None and chat_id in self.menu_buttons:
            return self.menu_buttons[chat_id]
        return self.menu_buttons.get(None, {"type": "default"})

    @property
    def webhook(self) -> dict[str, Any]:
        """Current webhook settings (url "" when polling), with pending_update_count."""
        return {**self._webhook, "pending_update_count": len(self._updates)}

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 5.0, message: str | None = None) -> Any:
        """Wait until predicate() is truthy (re-checked on every server event); return its value."""
        value = await self._wait_for(lambda: predicate() or None, timeout)
        if value is _MISSING:
            lines = [message or f"Timed out after {timeout}s waiting for {predicate!r}", *self._diagnostics()]
            raise AssertionError("\n".join(lines))
        return value

    def bot_user_dict(self) -> dict[str, Any]:
        """The bot's User object as it appears in messages."""
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_first_name, "username": self.bot_username}

    # --- internals: waiting -----------------------------------------------------------------

    def _notify(self) -> None:
        """Wake every waiter (long polls, expect_*, wait_until) to re-check its condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_for(self, check: Callable[[], Any], timeout: float) -> Any:
        """check() re-evaluated on every change until it returns non-None; _MISSING on timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._changed  # taken before checking, so no notification is missed
            value = check()
            if value is not None:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                return _MISSING
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _diagnostics(self) -> list[str]:
        lines = []
        if self.errors:
            lines.append("Rejected bot API calls (most recent last):")
            lines.extend(f"  {call}" for call in self.errors[-10:])
        if self._updates:
            lines.append(f"{len(self._updates)} update(s) not yet confirmed by the bot (is it polling?)")
        return lines

    def _new_query_id(self) -> str:
        return f"{self.bot_id}{next(self._query_ids):010d}"

    # --- internals: HTTP --------------------------------------------------------------------

    @staticmethod
    def _error_response(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        client = None
        if path.startswith("/c/"):  # /c/<client>/bot<token>/<method>: a process named by `client_base_url`
            client, _, rest = path[len("/c/"):].partition("/")
            path = "/" + rest
        if path.startswith("/file/bot"):
            return self._serve_file(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return self._error_response(*NOT_FOUND)
        token, _, method = path[len("/bot") :].partition("/")
        if not method or "/" in method:
            return self._error_response(*NOT_FOUND)
        if token != self.token:
            return self._error_response(*UNAUTHORIZED)
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else method
        started = time.time()
        params: dict[str, Any] = {}
        try:
            params = await self._read_params(request)
            if entry is None:
                raise ApiError(*NOT_FOUND)
            hold = self._holds.get(name.lower())
            if hold is not None:
                self.held += 1
                self._notify()
                try:
                    await hold.wait()
                finally:
                    self.held -= 1
                if request.transport is None or request.transport.is_closing():
                    return web.Response(status=499)  # nobody to answer: the call never happened
            fault = self._take_fault(name, params)
            if fault is not None:
                if fault.code == 429 and self._send_limit is not None:
                    self.rate_limited.append(Call(name, params, started, client=client, error_code=429, description=fault.description))
                raise fault
            result = entry[1](params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as error:
            self.errors.append(Call(name, params, started, client=client, error_code=error.code, description=error.description))
            self._notify()
            return self._answer(request, name, self.errors[-1],
                                self._error_response(error.code, error.description, error.parameters))
        except web.HTTPRequestEntityTooLarge:
            self.errors.append(Call(name, params, started, client=client, error_code=413, description="Request Entity Too Large"))
            return self._error_response(413, "Request Entity Too Large")
        except Exception as error:  # a bug in the fake: make it loud, not a silent hang
            log.exception("FakeTelegram failed handling %s", name)
            description = f"Internal Server Error: FakeTelegram bug: {error!r}"
            self.errors.append(Call(name, params, started, client=client, error_code=500, description=description))
            self._notify()
            return self._error_response(500, description + "\n" + traceback.format_exc(limit=3))
        self.calls.append(Call(name, params, started, client=client, result=copy.deepcopy(result)))
        self._notify()
        return self._answer(request, name, self.calls[-1], web.json_response({"ok": True, "result": result}))

    def _answer(self, request: web.Request, name: str, call: Call, response: web.Response) -> web.Response:
        """`response`, or a reset connection if `drop_next` asked for one (aiohttp then finds the
        transport gone and writes nothing)."""
        drops = self._drops.get(name.lower())
        if not drops:
            return response
        reset = drops.pop(0)
        if not drops:
            del self._drops[name.lower()]
        self.dropped.append(call)
        transport = request.transport
        if transport is not None:
            sock = transport.get_extra_info("socket")
            if reset and sock is not None:  # closing with a zero linger sends RST instead of FIN
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        self._notify()
        return response

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Query string + JSON / urlencoded / multipart body; form values JSON-decoded per field."""
        params: dict[str, Any] = {key: _decode_field(key, value) for key, value in request.query.items()}
        if not request.body_exists:
            return params
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as error:
                raise _bad_request(f"can't parse JSON object: {error}") from None
            if not isinstance(body, dict):
                raise _bad_request("JSON object expected")
            params.update(body)
        elif content_type == "multipart/form-data":
            reader = await request.multipart()
            total = 0
            async for part in reader:
                if part is None or not hasattr(part, "read"):
                    continue
                if part.filename is not None:
                    data = bytes(await part.read(decode=False))
                    total += len(data)
                    if total > MAX_UPLOAD_BYTES:
                        raise ApiError(413, "Request Entity Too Large")
                    mime = part.headers.get("Content-Type", "application/octet-stream")
                    # Files become parameters by part name; attach://<name> references resolve to them.
                    params[part.name] = Upload(_unescape_filename(part.filename), data, mime)
                else:
                    params[part.name] = _decode_field(part.name, await part.text())
        else:
            form = await request.post()
            params.update({key: _decode_field(key, value) for key, value in form.items()})
        return params

    def _serve_file(self, rest: str) -> web.Response:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return self._error_response(*UNAUTHORIZED)
        stored = self._files_by_path.get(file_path)
        if stored is None:
            return self._error_response(*NOT_FOUND)
        return web.Response(body=stored.content, content_type=stored.mime_type or "application/octet-stream")

    # --- internals: parameter helpers -------------------------------------------------------

    def _chat(self, chat_id: Any, *, sending: bool = False) -> FakeChat:
        """Resolve chat_id (int, numeric string or @username of a group); Telegram's errors."""
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        chat: FakeChat | None = None
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            chat = next(
                (c for c in self.chats.values() if c.type != "private" and (c.username or "").lower() == wanted),
                None,
            )
        else:
            with contextlib.suppress(TypeError, ValueError):
                chat = self.chats.get(int(chat_id))
        if chat is None:
            raise _bad_request("chat not found")
        if sending and isinstance(chat, FakeUser):
            if chat.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _format(
        self,
        raw: Any,
        parse_mode: Any,
        entities: Any,
    ) -> tuple[str, list[dict[str, Any]]]:
        """Parse text/caption like Telegram: explicit entities win over parse_mode; then trimmed."""
        raw = "" if raw is None else str(raw)
        if isinstance(entities, str):
            entities = _json_or_error(entities, "entities")
        mode = (parse_mode or "").lower() if isinstance(parse_mode, str) else ""
        try:
            if entities:
                text, parsed = raw, list(entities)
            elif mode == "html":
                text, parsed = parse_html(raw, self.strict_html)
            elif mode == "markdownv2":
                text, parsed = parse_markdown_v2(raw)
            elif mode == "markdown":
                text, parsed = parse_markdown(raw)
            elif mode == "":
                text, parsed = raw, []
            else:
                raise _bad_request("unsupported parse_mode")
        except EntityParseError as error:
            raise _bad_request(f"can't parse entities: {error}") from None
        return _strip_formatted(text, parsed)

    def _text(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        text, entities = self._format(params.get("text"), params.get("parse_mode"), params.get("entities"))
        if not text:
            raise _bad_request("message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            raise _bad_request("message is too long")
        return text, entities

    def _caption(self, params: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
        if params.get("caption") in (None, ""):
            return None, []
        caption, entities = self._format(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        if len(caption) > MAX_CAPTION_LENGTH:
            raise _bad_request("message caption is too long")
        return caption or None, entities

    def _markup(self, raw: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        """Validate reply_markup like Telegram; returns the decoded markup or None."""
        if raw is None or raw == "":
            return None
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raise _bad_request("can't parse reply keyboard markup JSON object") from None
        if not isinstance(raw, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in raw:
            _validate_inline_keyboard(raw["inline_keyboard"])
            return raw
        if inline_only:
            raise _bad_request("inline keyboard expected")
        if "keyboard" in raw:
            rows = raw["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
                raise _bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
            for row in rows:
                for button in row:
                    text = button.get("text") if isinstance(button, dict) else button
                    if not isinstance(text, str):
                        raise _bad_request('can\'t parse keyboard button: Field "text" must be of type String')
            return raw
        if raw.get("remove_keyboard") or raw.get("force_reply"):
            return raw
        raise _bad_request("can't parse reply keyboard markup JSON object")

    def _reply_target(self, chat: FakeChat, params: dict[str, Any]) -> dict[str, Any] | None:
        """The replied-to message for reply_parameters / reply_to_message_id, Telegram's errors."""
        reply = params.get("reply_parameters")
        if isinstance(reply, str):
            reply = _json_or_error(reply, "reply_parameters")
        if reply is None and params.get("reply_to_message_id") is not None:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if not reply:
            return None
        target = chat._lookup_any(_int(reply.get("message_id"), "message_id"))
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise _bad_request("message to be replied not found")
        payload = target.payload if isinstance(target, BotMessage) else target
        replied = copy.deepcopy(payload)
        replied.pop("reply_to_message", None)
        return replied

    def _message_target(self, params: dict[str, Any], not_found: str) -> tuple[FakeChat, BotMessage]:
        """The bot message addressed by chat_id + message_id for edits."""
        if params.get("inline_message_id"):
            raise _bad_request(not_found)  # inline mode is not simulated
        chat = self._chat(params.get("chat_id"))
        if params.get("message_id") in (None, ""):
            raise _bad_request("message identifier is not specified")
        message_id = _int(params["message_id"], "message_id")
        found = chat._lookup_any(message_id)
        if found is None:
            raise _bad_request(not_found)
        if not isinstance(found, BotMessage):
            raise _bad_request("message can't be edited")
        return chat, found

    # --- internals: creating and changing messages -----------------------------------------

    def _store(
        self,
        chat: FakeChat,
        method: str,
        params: dict[str, Any],
        content: dict[str, Any],
        markup: dict[str, Any] | None,
        reply: dict[str, Any] | None,
        **fields: Any,
    ) -> BotMessage:
        payload: dict[str, Any] = {
            "message_id": chat._next_message_id(),
            "from": self.bot_user_dict(),
            "chat": chat.chat_dict,
            "date": int(time.time()),
        }
        if reply is not None:
            payload["reply_to_message"] = reply
        payload.update(content)
        if markup is not None and "inline_keyboard" in markup:
            payload["reply_markup"] = {"inline_keyboard": markup["inline_keyboard"]}
        if params.get("protect_content"):
            payload["has_protected_content"] = True
        message = BotMessage(
            chat_id=chat.id,
            message_id=payload["message_id"],
            method=method,
            payload=payload,
            reply_markup=markup,
            parse_mode=params.get("parse_mode") or None,
            params={k: v for k, v in params.items() if not isinstance(v, Upload)},
            seq=next(self._message_seq),
            **fields,
        )
        chat._bot_messages[message.message_id] = message
        chat._add_event("message", message)
        return message

    def _record_edit(self, chat: FakeChat, message: BotMessage, method: str) -> dict[str, Any]:
        message.payload["edit_date"] = int(time.time())
        message.edit_count += 1
        snapshot = copy.copy(message)
        snapshot.payload = copy.deepcopy(message.payload)
        snapshot.method = method
        chat._add_event("edit", snapshot)
        return copy.deepcopy(message.payload)

    @staticmethod
    def _set_optional(payload: dict[str, Any], key: str, value: Any) -> None:
        if value:
            payload[key] = value
        else:
            payload.pop(key, None)

    def _resolve_file(self, params: dict[str, Any], value: Any, kind: str) -> tuple[StoredFile, bool]:
        """A file parameter (upload, attach://, file_id or URL) -> (stored file, newly uploaded)."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
            if not isinstance(value, Upload):
                raise _bad_request("wrong HTTP URL specified")
        if isinstance(value, Upload):
            if not value.content:
                raise _bad_request("file must be non-empty")
            if kind == "photo":
                size = image_size(value.content)
                if size is None:
                    raise _bad_request("IMAGE_PROCESS_FAILED")
                _, width, height = size
                if width + height > 10000 or max(width, height) > 20 * min(width, height):
                    raise _bad_request("PHOTO_INVALID_DIMENSIONS")
                return self.add_file(value.content, "photo"), True
            mime = mimetypes.guess_type(value.filename, strict=False)[0] or value.mime_type
            return self.add_file(value.content, kind, file_name=value.filename, mime_type=mime), True
        if not isinstance(value, str) or not value:
            raise _bad_request(f'parameter "{kind}" is required')
        if value.startswith(("http://", "https://")):
            # No internet here: stand in for the downloaded file.
            if kind == "photo":
                return self.add_file(make_png(64, 64), "photo"), True
            name = value.rsplit("/", 1)[-1] or "file"
            return self.add_file(f"downloaded from {value}".encode(), kind, file_name=name), True
        stored = self.files.get(value)
        if stored is None:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise _bad_request(f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}")
        return stored, False

    # --- Bot API methods --------------------------------------------------------------------

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user_dict(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _deliverable(self) -> list[dict[str, Any]]:
        allowed = set(self._allowed_updates)
        result = []
        for update in self._updates:
            kind = next((key for key in update if key != "update_id"), "")
            if (kind in allowed) if allowed else (kind not in _OPT_IN_UPDATES):
                result.append(update)
        return result

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._webhook.get("url"):
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _int(params.get("offset", 0), "offset")
        limit = min(max(_int(params.get("limit", 100), "limit"), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if "allowed_updates" in params:
            allowed = params["allowed_updates"]
            self._allowed_updates = list(allowed) if isinstance(allowed, list) else []
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        # Like Telegram, a newer getUpdates terminates an older one still waiting.
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = self._deliverable()[:limit]
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                return copy.deepcopy(batch)
            event = self._changed
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if url and urlsplit(url).scheme != "https":
            raise _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": url}
        for key in ("secret_token", "max_connections", "allowed_updates", "ip_address"):
            if params.get(key) is not None:
                self._webhook[key] = params[key]
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = list(params["allowed_updates"])
        self._notify()
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": ""}
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self._webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook.get("url"):
            for key in ("max_connections", "allowed_updates", "ip_address"):
                if key in self._webhook:
                    info[key] = self._webhook[key]
        return info

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"), sending=True)
        text, entities = self._text(params)
        markup = self._markup(params.get("reply_markup"))
        reply = self._reply_target(chat, params)
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        if isinstance(params.get("link_preview_options"), dict):
            content["link_preview_options"] = params["link_preview_options"]
        message = self._store(chat, "sendMessage", params, content, markup, reply, raw_text=str(params["text"]))
        return copy.deepcopy(message.payload)

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, message = self._message_target(params, "message to edit not found")
        if "text" not in message.payload:
            raise _bad_request("there is no text in the message to edit")
        text, entities = self._text(params)
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        new_keyboard = markup["inline_keyboard"] if markup else None
        if (
            text == message.payload["text"]
            and entities == message.payload.get("entities", [])
            and new_keyboard == (message.payload.get("reply_markup") or {}).get("inline_keyboard")
        ):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message"
            )
        payload = message.payload
        payload["text"] = text
        self._set_optional(payload, "entities", entities)
        # Omitting reply_markup removes the inline keyboard, as on Telegram.
        self._set_optional(payload, "reply_markup", {"inline_keyboard": new_keyboard} if new_keyboard else None)
        message.raw_text = str(params["text"])
        message.parse_mode = params.get("parse_mode") or None
        message.reply_markup = markup
        return self._record_edit(chat, message, "editMessageText")

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, message = self._message_target(params, "message to edit not found")
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        new_keyboard = markup["inline_keyboard"] if markup else None
        if new_keyboard == (message.payload.get("reply_markup") or {}).get("inline_keyboard"):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message"
            )
        self._set_optional(message.payload, "reply_markup", {"inline_keyboard": new_keyboard} if new_keyboard else None)
        message.reply_markup = markup
        return self._record_edit(chat, message, "editMessageReplyMarkup")

    def _edit_message_caption(self, params: dict[str, Any]) -> dict[str, Any]:
        chat, message = self._message_target(params, "message to edit not found")
        if not any(key in message.payload for key in ("photo", "document", "video", "audio", "animation")):
            raise _bad_request("there is no caption in the message to edit")
        caption, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"), inline_only=True)
        new_keyboard = markup["inline_keyboard"] if markup else None
        payload = message.payload
        if (
            caption == payload.get("caption")
            and entities == payload.get("caption_entities", [])
            and new_keyboard == (payload.get("reply_markup") or {}).get("inline_keyboard")
        ):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are exactly the same "
                "as a current content and reply markup of the message"
            )
        self._set_optional(payload, "caption", caption)
        self._set_optional(payload, "caption_entities", entities)
        self._set_optional(payload, "reply_markup", {"inline_keyboard": new_keyboard} if new_keyboard else None)
        message.raw_caption = params.get("caption")
        message.parse_mode = params.get("parse_mode") or None
        message.reply_markup = markup
        return self._record_edit(chat, message, "editMessageCaption")

    def _delete_one(self, chat: FakeChat, message_id: int) -> bool:
        found = chat._lookup_any(message_id)
        if found is None:
            return False
        if isinstance(found, BotMessage):
            found.deleted = True
            snapshot = copy.copy(found)
            snapshot.method = "deleteMessage"
            chat._add_event("delete", snapshot)
        else:
            chat._user_message_ids.pop(message_id, None)
            chat.deleted_user_message_ids.append(message_id)
        return True

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params.get("chat_id"))
        if params.get("message_id") in (None, ""):
            raise _bad_request("message identifier is not specified")
        if not self._delete_one(chat, _int(params["message_id"], "message_id")):
            raise _bad_request("message to delete not found")
        return True

    def _delete_messages(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params.get("chat_id"))
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad_request("message_ids must be a non-empty list of at most 100 identifiers")
        for message_id in ids:
            self._delete_one(chat, _int(message_id, "message_ids"))
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._queries or query_id in self.callback_answers:
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(
            query_id=query_id,
            text=text,
            show_alert=bool(params.get("show_alert", False)),
            url=params.get("url"),
            cache_time=params.get("cache_time"),
            timestamp=time.time(),
        )
        self.callback_answers[query_id] = answer
        user = self.users.get(self._queries[query_id]["from"]["id"])
        if user is not None:
            user.answers.append(answer)
        return True

    def _scope_key(self, params: dict[str, Any]) -> tuple[str, int | None, int | None, str]:
        scope = params.get("scope")
        if isinstance(scope, str):
            scope = _json_or_error(scope, "scope")
        scope = scope or {"type": "default"}
        if not isinstance(scope, dict):
            raise _bad_request("can't parse BotCommandScope JSON object")
        kind = scope.get("type")
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise _bad_request("LANG_CODE_INVALID")
        if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
            return kind, None, None, language
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self._chat(scope.get("chat_id"))
            user_id = _int(scope.get("user_id"), "user_id") if kind == "chat_member" else None
            return kind, chat.id, user_id, language
        raise _bad_request("wrong BotCommandScope type specified")

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if isinstance(commands, str):
            commands = _json_or_error(commands, "commands")
        if not isinstance(commands, list):
            raise _bad_request("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise _bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad_request("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._scope_key(params)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return copy.deepcopy(self._commands.get(self._scope_key(params), []))

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop(self._scope_key(params), None)
        return True

    def _set_chat_menu_button(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params["chat_id"]).id if params.get("chat_id") not in (None, "") else None
        button = params.get("menu_button") or {"type": "default"}
        if isinstance(button, str):
            button = _json_or_error(button, "menu_button")
        if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
            raise _bad_request("can't parse menu button JSON object")
        if button["type"] == "web_app":
            web_app = button.get("web_app") or {}
            if not button.get("text") or urlsplit(str(web_app.get("url", ""))).scheme != "https":
                raise _bad_request("can't parse menu button JSON object: web app URL must be HTTPS")
        self.menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat(params["chat_id"]).id if params.get("chat_id") not in (None, "") else None
        return self.menu_button_for(chat_id)

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        chat = self._chat(params.get("chat_id"), sending=True)
        action = params.get("action")
        if action not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        chat.chat_actions.append(action)
        return True

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"), sending=True)
        caption, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"))
        reply = self._reply_target(chat, params)
        stored, _ = self._resolve_file(params, params.get("photo"), "photo")
        content: dict[str, Any] = {"photo": [stored.photo_size()]}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        message = self._store(
            chat, "sendPhoto", params, content, markup, reply,
            raw_caption=params.get("caption"), photo_bytes=stored.content,
        )
        return copy.deepcopy(message.payload)

    def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"), sending=True)
        caption, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"))
        reply = self._reply_target(chat, params)
        stored, _ = self._resolve_file(params, params.get("document"), "document")
        content: dict[str, Any] = {"document": stored.document()}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        message = self._store(
            chat, "sendDocument", params, content, markup, reply,
            raw_caption=params.get("caption"),
            document_name=stored.file_name,
            document_bytes=stored.content,
            document_mime=stored.mime_type,
        )
        return copy.deepcopy(message.payload)

    def _send_voice_or_audio(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params.get("chat_id"), sending=True)
        caption, entities = self._caption(params)
        markup = self._markup(params.get("reply_markup"))
        reply = self._reply_target(chat, params)
        stored, _ = self._resolve_file(params, params.get(kind), kind)
        content: dict[str, Any] = {kind: {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                          "file_size": stored.file_size, "duration": 0}}
        if caption:
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        message = self._store(chat, "send" + kind.capitalize(), params, content, markup, reply,
                              raw_caption=params.get("caption"))
        return copy.deepcopy(message.payload)

    def _send_media_group(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self._chat(params.get("chat_id"), sending=True)
        media = params.get("media")
        if isinstance(media, str):
            media = _json_or_error(media, "media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad_request("wrong number of media in the media group: must include 2-10 items")
        kinds = {item.get("type") if isinstance(item, dict) else None for item in media}
        if not kinds <= {"photo", "document"}:
            got = sorted(map(str, kinds))
            raise _bad_request(f"FakeTelegram supports only photo and document media groups, got {got}")
        if len(kinds) > 1:
            raise _bad_request("documents can't be mixed with other media types in a media group")
        reply = self._reply_target(chat, params)
        prepared = []
        for item in media:  # validate everything before sending anything
            caption, entities = self._caption(item)
            stored, _ = self._resolve_file(params, item.get("media"), item["type"])
            prepared.append((item, caption, entities, stored))
        group_id = str(10**17 + next(self._file_ids))
        results = []
        for item, caption, entities, stored in prepared:
            content: dict[str, Any] = {"media_group_id": group_id}
            if item["type"] == "photo":
                content["photo"] = [stored.photo_size()]
                extra = {"photo_bytes": stored.content}
            else:
                content["document"] = stored.document()
                extra = {
                    "document_name": stored.file_name,
                    "document_bytes": stored.content,
                    "document_mime": stored.mime_type,
                }
            if caption:
                content["caption"] = caption
                if entities:
                    content["caption_entities"] = entities
            message = self._store(
                chat, "sendMediaGroup", {**params, "parse_mode": item.get("parse_mode")}, content, None, reply,
                raw_caption=item.get("caption"), **extra,
            )
            results.append(copy.deepcopy(message.payload))
        return results

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad_request("invalid file_id")
        if stored.file_size > MAX_DOWNLOAD_BYTES:
            raise _bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    def _close(self, params: dict[str, Any]) -> bool:
        self.closed = True
        return True

    def _log_out(self, params: dict[str, Any]) -> bool:
        self.logged_out = True
        return True

    def _store_setting(self, method: str, params: dict[str, Any]) -> bool:
        self.bot_settings[(method, str(params.get("language_code") or ""))] = dict(params)
        return True


# --------------------------------------------------------------------------------------------
# Module helpers
# --------------------------------------------------------------------------------------------


def _decode_field(name: str, value: Any) -> Any:
    """JSON-decode a form value unless it is a known plain-string field."""
    if not isinstance(value, str) or name in _STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _json_or_error(value: str, name: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        raise _bad_request(f"can't parse {name} JSON object") from None


def _int(value: Any, name: str) -> int:
    """An integer parameter, with Telegram-like error on garbage."""
    if isinstance(value, bool):
        raise _bad_request(f'field "{name}" must be of type Integer')
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _bad_request(f'field "{name}" must be of type Integer') from None


def _unescape_filename(name: str) -> str:
    """Undo the HTML5 escaping httpx applies to multipart filenames (%22 for '"', %0A ...)."""
    return re.sub(r"%(22|[01][0-9A-Fa-f])", lambda m: chr(int(m.group(1), 16)), name)


def _validate_inline_keyboard(rows: Any) -> None:
    """Telegram's checks on an InlineKeyboardMarkup, with its error messages."""
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise _bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
            if not isinstance(button.get("text"), str):
                raise _bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
            actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
            if not actions:
                raise _bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                raise _bad_request(
                    f"can't parse inline keyboard button: exactly one of {', '.join(actions)} must be used "
                    "(FakeTelegram is stricter than Telegram here)"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str):
                    raise _bad_request(
                        'can\'t parse inline keyboard button: Field "callback_data" must be of type String'
                    )
                if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                    raise _bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not _looks_like_url(str(button["url"])):
                raise _bad_request(f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL")

