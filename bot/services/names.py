"""Nearest-name suggestions for names typed by hand (sectors, groups, regions, column headers)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERAL = re.compile(r"[零一二两三四五六七八九十]+")


def _numeral(text: str) -> str:
    """一 → 1, 十二 → 12, 二十三 → 23 (enough for group numbers)."""
    if "十" not in text:
        return "".join(str(_DIGITS[c]) for c in text)
    tens, _, ones = text.partition("十")
    return str((_DIGITS.get(tens, 1) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0))


def _plain(text: str) -> str:
    """Compared without spaces, case, or the difference between 第一 and 第1."""
    return _NUMERAL.sub(lambda m: _numeral(m.group()), "".join(text.split()).lower())


def nearest(value: str, names: Iterable[str], *, limit: int = 3, cutoff: float = 0.5) -> list[str]:
    """Up to `limit` names close to `value`: the same once numerals are read, containing it, then look-alikes."""
    value = value.strip()
    pool = list(dict.fromkeys(n for n in names if n))
    if not value:
        return []
    wanted = _plain(value)
    found = [n for n in pool if _plain(n) == wanted]
    contains = [n for n in pool if n not in found and (value in n or (len(n) >= 2 and n in value))]
    contains.sort(key=lambda n: (abs(len(n) - len(value)), n))
    found += contains
    for name in difflib.get_close_matches(value, pool, n=limit + len(found), cutoff=cutoff):
        if name not in found:
            found.append(name)
    return found[:limit]
