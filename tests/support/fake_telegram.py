"""The fake Bot API the tests use: the product's stand-in (`bot/standin/api.py`), shared with the shell."""

from bot.standin.api import (
    ApiError,
    BotMessage,
    FakeChat,
    FakeTelegram,
    FakeUser,
    image_size,
    make_png,
    parse_html,
    parse_markdown_v2,
)

__all__ = [
    "ApiError",
    "BotMessage",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "image_size",
    "make_png",
    "parse_html",
    "parse_markdown_v2",
]
