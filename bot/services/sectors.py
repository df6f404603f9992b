"""Sector names as offices type them: the full name, the catalogue's short name, or a common other form.

One table for every place a sector is named by hand (the roster, `roles grant --sector`, the
routing table), so that 全国妇联 and 妇联 mean the same sector everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable

# full name -> other forms in common use besides the catalogue's short name (bot/data/sectors.csv)
SECTOR_ALIASES: dict[str, tuple[str, ...]] = {
    "中国共产党": ("中共",),
    "中国农工民主党": ("农工",),
    "中国致公党": ("致公",),
    "九三学社": ("九三",),
    "无党派人士": ("无党派",),
    "中国共产主义青年团和中华全国青年联合会": ("共青团", "青联", "全国青联"),
    "中华全国总工会": ("全国总工会",),
    "中华全国妇女联合会": ("全国妇联",),
    "中华全国工商业联合会": ("全国工商联",),
    "中国科学技术协会": ("中国科协",),
    "中华全国台湾同胞联谊会": ("全国台联",),
    "中华全国归国华侨联合会": ("全国侨联",),
}


def squash(text: str) -> str:
    """A name as compared: without spaces (full-width ones too) and case."""
    return "".join(text.split()).lower()


def other_names(name: str, short: str) -> tuple[str, ...]:
    """The forms accepted for this sector besides its full and short name."""
    return tuple(alias for alias in SECTOR_ALIASES.get(name, ()) if alias not in (name, short))


def accepted_names(name: str, short: str) -> list[str]:
    """Every name that means this sector: the full name, the short name, then the other forms; each once."""
    return list(dict.fromkeys([name, short, *other_names(name, short)]))


def sector_names(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """squash(any accepted name) -> full name, for the (full name, short name) pairs of the sector table.

    A full name always means its own sector, then short names, then the other forms."""
    pairs = list(pairs)
    ranked = ([(name, name) for name, _ in pairs] + [(short, name) for name, short in pairs]
              + [(alias, name) for name, _ in pairs for alias in SECTOR_ALIASES.get(name, ())])
    table: dict[str, str] = {}
    for alias, name in ranked:
        table.setdefault(squash(alias), name)
    return table
