"""Logging set-up that never writes the bot token."""

from __future__ import annotations

import logging
import re

from bot.texts import cli_text

_TOKEN_IN_TEXT = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


class RedactTokens(logging.Filter):
    """Replace anything shaped like a bot token (and the configured one) in every record."""

    def __init__(self, token: str = "") -> None:
        super().__init__()
        self.token = token

    def _clean(self, text: str) -> str:
        if self.token:
            text = text.replace(self.token, "<token>")
        return _TOKEN_IN_TEXT.sub("<token>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._clean(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redact(text: str, token: str = "") -> str:
    """`text` with the token (and anything token-shaped) replaced, for output that bypasses logging."""
    return RedactTokens(token)._clean(text)  # noqa: SLF001 - this module's own filter


def _is_telegram_error(exc: BaseException, name: str) -> bool:
    """python-telegram-bot's error class `name` (or a subclass), without importing telegram here."""
    return any(c.__module__ == "telegram.error" and c.__name__ == name for c in type(exc).__mro__)


def _is_network_error(exc: BaseException) -> bool:
    return _is_telegram_error(exc, "NetworkError")  # TimedOut included


def short_error(exc: BaseException) -> str:
    """`Type: first line of the message`, for one-line reports."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


# why a connection failed, by the class names and words of the exception and its causes (httpx, httpcore,
# the socket, python-telegram-bot's wrapping of them), first match wins
_NETWORK_REASONS: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (("ProxyError",), ("proxy", "socks"), "net_proxy"),
    (("RetryAfter",), ("flood control", "too many requests"), "net_flood"),
    ((), ("bad gateway", "service unavailable", "internal server error", "gateway time"), "net_server"),
    (("ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout", "TimeoutException", "TimedOut"),
     ("timed out", "timeout"), "net_timeout"),
    ((), ("certificate", "ssl", "tls"), "net_tls"),
    ((), ("name or service not known", "nodename nor servname", "temporary failure in name resolution",
          "getaddrinfo failed", "no address associated", "name resolution"), "net_dns"),
    ((), ("connection refused", "connect call failed", "all connection attempts failed", "errno 111"),
     "net_refused"),
    (("RemoteProtocolError", "ReadError", "WriteError"), ("connection reset", "disconnected", "broken pipe"),
     "net_dropped"),
)
_HTTP_STATUS = re.compile(r"\((\d{3})\)")


def _message(exc: BaseException) -> str:
    """The exception's text without the answer python-telegram-bot quotes when it was no JSON (a web page)."""
    return str(exc).split(". Parsing the server response", 1)[0]


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    while exc is not None and exc not in found:
        found.append(exc)
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment] - the end of the chain is None
    return found


def network_reason(exc: BaseException, *, detail: bool = False) -> str:
    """Why Telegram (or the proxy) could not be reached, in Chinese a clerk can act on; the libraries' own
    error (httpx's class names …) only with `detail` (LOG_LEVEL=DEBUG)."""
    chain = _chain(exc)
    names = {c.__name__ for e in chain for c in type(e).__mro__}
    words = " ".join(_message(e) for e in chain).lower()
    status = _HTTP_STATUS.search(_message(exc))
    reason = cli_text("net_http", status=status.group(1)) if status else next(
        (cli_text(key) for classes, needles, key in _NETWORK_REASONS
         if names.intersection(classes) or any(n in words for n in needles)), cli_text("net_other"))
    if not detail:
        return reason
    return cli_text("net_detail", reason=reason, error=f"{type(exc).__name__}: {_message(exc)}"[:300])


def quiet_invalid_json(record: logging.LogRecord) -> bool:
    """python-telegram-bot logs the whole answer when the Bot API's address answers with something else than
    JSON (a web page): never shown; at DEBUG its size instead."""
    if not str(record.msg).startswith("Can not load invalid JSON data"):
        return True
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        return False
    size = len(str(record.args[0])) if isinstance(record.args, tuple) and record.args else 0
    record.msg, record.args = "the Bot API's address answered no JSON (%d characters, not shown)", (size,)
    record.exc_info = record.exc_text = None
    return True


class OneLineErrors(logging.Filter):
    """Below DEBUG, a record with a traceback becomes one line (tracebacks only at LOG_LEVEL=DEBUG).

    A lost connection to Telegram while polling (python-telegram-bot retries it with back-off)
    is said in one Chinese line instead of the error handler's traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.exc_info or record.exc_info is True or record.exc_info[1] is None:
            return True
        exc = record.exc_info[1]
        if _is_network_error(exc):
            record.msg, record.args = cli_text("log_network_retry", error=network_reason(exc)), None
        elif _is_telegram_error(exc, "Conflict"):  # another process polls with the same token
            record.msg, record.args = cli_text("log_conflict"), None
        else:
            record.msg, record.args = f"{record.getMessage()}（{short_error(exc)}）", None
        record.exc_info = None
        record.exc_text = None
        return True


def setup_logging(level: str, token: str = "", *, plain: bool = False) -> None:
    """Log to stderr; `plain` (CLI commands) prints bare messages, the bot adds time, level and source."""
    fmt = "%(message)s" if plain else "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(format=fmt, level=level.upper())
    redact = RedactTokens(token)
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, (RedactTokens, OneLineErrors))]:
            handler.removeFilter(old)
        if level.upper() != "DEBUG":
            handler.addFilter(OneLineErrors())
        handler.addFilter(redact)
    logging.getLogger("telegram.request.BaseRequest").filters[:] = [quiet_invalid_json]
    # httpx logs every request URL, token included, at INFO
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
