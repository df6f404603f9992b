"""The merged catalogue and the lookups that render from it.

The dicts here start empty; `bot/texts/__init__.py` fills each once from the feature modules
with `merge`, which refuses a key that two modules define. The lookups read them at call time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from types import ModuleType

TEXTS: dict[str, str] = {}
BUTTONS: dict[str, str] = {}
CLI: dict[str, str] = {}
LOG_LINES: dict[str, str] = {}
FORM_STEPS: dict[str, dict[str, str]] = {}


class DuplicateKey(ValueError):
    """A key that two feature modules both define."""


def merge(name: str, parts: Iterable[tuple[str, Mapping]]) -> dict:
    """One dict from (module name, that module's part) pairs; a key in two parts raises `DuplicateKey`."""
    merged: dict = {}
    owner: dict = {}
    for module, part in parts:
        for key, value in part.items():
            if key in merged:
                raise DuplicateKey(f"{name}[{key!r}] is defined in both {owner[key]} and {module}")
            merged[key] = value
            owner[key] = module
    return merged


def fill(target: dict, name: str, modules: Iterable[ModuleType]) -> None:
    """Fill `target` with every module's dict called `name` (modules without one are skipped)."""
    target.clear()
    target.update(merge(name, ((m.__name__, getattr(m, name)) for m in modules if hasattr(m, name))))


class Safe(str):
    """HTML produced by us; `t()` inserts it as is."""


def t(key: str, /, **values: object) -> str:
    """Render text `key` with every value escaped (except `Safe` ones)."""
    template = TEXTS[key]
    if not values:
        return template
    rendered = {k: v if isinstance(v, Safe) else escape(str(v), quote=False) for k, v in values.items()}
    return template.format(**rendered)


def plain(key: str, /, **values: object) -> str:
    """Text `key` filled in without HTML escaping: for CLI output, logs and stored text, never for Telegram HTML."""
    return TEXTS[key].format(**values)


def label(key: str, /, **values: object) -> str:
    """A button label (plain text, not escaped: buttons show text as is)."""
    return BUTTONS[key].format(**values)


def cli_text(key: str, /, **values: object) -> str:
    """Render CLI text `key` (plain text: nothing is escaped)."""
    template = CLI[key]
    return template.format(**values) if values else template


def log_line(key: str, /, **values: object) -> str:
    """A line for the operator's log (plain text, not HTML)."""
    return LOG_LINES[key].format(**values)
