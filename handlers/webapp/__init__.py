"""The dashboard, a Telegram Mini App: served by the bot process on its own event loop when WEBAPP_URL is set
(docs/decisions.md, "The dashboard"), and its button under /stats, /laggards and /queue.

`server.py` is the web server and its JSON API (every figure from the services, scoped as in chat);
`auth.py` verifies Telegram's initData; `static/` is the page (no inline script, ECharts vendored).
"""

from __future__ import annotations

import logging
import weakref
from urllib.parse import urlencode

from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.config import Settings
from bot.context import LianxinApplication
from bot.texts import label
from handlers.webapp.server import make_app

log = logging.getLogger(__name__)
_runners: weakref.WeakKeyDictionary[LianxinApplication, web.AppRunner] = weakref.WeakKeyDictionary()
PAGES = ("overview", "laggards", "queue")


async def start_webapp(application: LianxinApplication) -> None:
    """Listen on WEBAPP_LISTEN:WEBAPP_PORT; nothing (no port opened) while WEBAPP_URL is unset."""
    settings = application.settings
    if not settings.webapp_url or application in _runners:
        return
    runner = web.AppRunner(make_app(application), access_log=None)  # paths hold ids: no access log
    await runner.setup()
    site = web.TCPSite(runner, settings.webapp_listen, settings.webapp_port)
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        raise
    _runners[application] = runner
    log.info("dashboard listening on %s:%s", settings.webapp_listen, settings.webapp_port)


async def stop_webapp(application: LianxinApplication) -> None:
    runner = _runners.pop(application, None)
    if runner is not None:
        await runner.cleanup()


def dashboard_url(settings: Settings, page: str) -> str:
    """The page's address with the view to open first (no personal data: a view's name only)."""
    return f"{settings.webapp_url}?{urlencode({'view': page})}"


def with_dashboard(markup: InlineKeyboardMarkup | None, settings: Settings, page: str
                   ) -> InlineKeyboardMarkup | None:
    """`markup` with a last row "📊 打开看板" (a web_app button) when WEBAPP_URL is set; unchanged otherwise."""
    if not settings.webapp_url:
        return markup
    button = InlineKeyboardButton(label("webapp_open"), web_app=WebAppInfo(dashboard_url(settings, page)))
    rows = list(markup.inline_keyboard) if markup is not None else []
    return InlineKeyboardMarkup([*rows, [button]])
